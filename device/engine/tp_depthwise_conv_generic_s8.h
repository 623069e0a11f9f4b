/* Private to tp_depthwise_conv_s8.c: the generic path of tp_depthwise_conv_s8, any stride and
 * depth multiplier (static, compiled into the wrapper's translation unit like the ring path).
 * Per output pixel, the window is clipped to the input; on the DSP path four channels at a
 * time with SXTAB16 (input + offset) and SMLABB/SMLATT. Memory contract
 * (memory_planner.overlap_limit): output pixels in raster order, and once pixel p is written
 * no input before the first element of p's clipped window is read again.
 */
#ifndef TP_DEPTHWISE_CONV_GENERIC_S8_H
#define TP_DEPTHWISE_CONV_GENERIC_S8_H

#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

typedef struct {
    int32_t ky_lo;
    int32_t ky_hi;
    int32_t kx_lo;
    int32_t kx_hi;
    int32_t row;    /* input values between window rows */
    const int8_t *x; /* input at window tap (0, 0), possibly outside the image */
} dw_window;

static int8_t requant_channel(const tp_dw_conv_params_s8 *params, const tp_channel_quant *quant,
                              int32_t oc, int32_t acc)
{
    return tp_requant_acc_s8(acc, quant->multiplier[oc], quant->shift[oc], params->output_offset,
                            params->activation.min, params->activation.max);
}

/* One output channel over the clipped window: input channel ic, filter column oc. */
static int32_t dw_channel(const dw_window *win, int32_t in_c, int32_t out_c, int32_t k_w,
                          const int8_t *filter, int32_t ic, int32_t oc, int32_t offset,
                          int32_t acc)
{
    int32_t ky;
    for (ky = win->ky_lo; ky < win->ky_hi; ky++) {
        const int8_t *x = win->x + ky * win->row + ic;
        const int8_t *f = filter + ky * k_w * out_c + oc;
        int32_t kx;
        for (kx = win->kx_lo; kx < win->kx_hi; kx++) {
            acc += (x[kx * in_c] + offset) * f[kx * out_c];
        }
    }
    return acc;
}

#if TP_S8_ASM
/* dw_quad: four channels at a time (ARMv7E-M). */
#include "arch/armv7em/tp_depthwise_conv_generic_s8_dsp.h"
#endif

#endif /* TP_DEPTHWISE_CONV_GENERIC_S8_H */
