/* DepthwiseConv2D, int8, NHWC input, filter [1, kh, kw, C*M], any stride, asymmetric padding,
 * dilation 1, depth multiplier M, per-output-channel requantization.
 *
 * Output channel c*M+m reads input channel c. The window is clipped to the input once per
 * output pixel (padding contributes nothing, as in TFLite Micro), and each output channel
 * accumulates (x + input_offset) * w over the clipped window.
 *
 * DSP path (__ARM_FEATURE_DSP, depth multiplier 1): four channels at a time; SXTAB16 widens
 * four input values and adds the input offset to them in two instructions, SXTB16 widens
 * four filter values, and SMLABB/SMLATT accumulate each channel separately.
 *
 * Memory contract (memory_planner.overlap_limit): output pixels are written in raster order,
 * and once pixel p is written no input before the first element of p's clipped window is read
 * again.
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

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

#if defined(__ARM_FEATURE_DSP)
/* Channels oc .. oc + 3 (depth multiplier 1) over the clipped window. */
static void dw_quad(const dw_window *win, int32_t c, int32_t k_w, const int8_t *filter,
                    uint32_t offset_pair, int32_t *acc)
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    int32_t ky;
    for (ky = win->ky_lo; ky < win->ky_hi; ky++) {
        const int8_t *x = win->x + ky * win->row;
        const int8_t *f = filter + ky * k_w * c;
        int32_t kx;
        for (kx = win->kx_lo; kx < win->kx_hi; kx++) {
            const uint32_t xv = tp_load_word(x + kx * c);
            const uint32_t fv = tp_load_word(f + kx * c);
            const uint32_t x02 = __sxtab16(offset_pair, xv);
            const uint32_t x13 = __sxtab16(offset_pair, tp_ror(xv, 8));
            const uint32_t f02 = __sxtb16(fv);
            const uint32_t f13 = __sxtb16(tp_ror(fv, 8));
            a0 = __smlabb(x02, f02, a0);
            a2 = __smlatt(x02, f02, a2);
            a1 = __smlabb(x13, f13, a1);
            a3 = __smlatt(x13, f13, a3);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

tp_status tp_depthwise_conv_s8(const tp_dw_conv_params_s8 *params, const tp_channel_quant *quant,
                               const tp_dims *input_dims, const int8_t *input,
                               const tp_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias, const tp_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t mult = params->depth_multiplier;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    const int32_t offset = params->input_offset;
    int32_t b;

    if (mult < 1 || filter_dims->c != in_c * mult || out_c != in_c * mult ||
        input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * in_h * in_w * in_c;
        int32_t oy;
        for (oy = 0; oy < out_h; oy++) {
            const int32_t iy = oy * params->stride.h - params->padding.top;
            int32_t ox;
            dw_window win;
            tp_clip_window(iy, k_h, in_h, &win.ky_lo, &win.ky_hi);
            win.row = in_w * in_c;
            for (ox = 0; ox < out_w; ox++) {
                const int32_t ix = ox * params->stride.w - params->padding.left;
                int8_t *out = output + ((b * out_h + oy) * out_w + ox) * out_c;
                int32_t oc = 0;
                tp_clip_window(ix, k_w, in_w, &win.kx_lo, &win.kx_hi);
                win.x = image + (iy * in_w + ix) * in_c;
#if defined(__ARM_FEATURE_DSP)
                if (mult == 1) {
                    const uint32_t offset_pair =
                        ((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16);
                    for (; oc + 4 <= out_c; oc += 4) {
                        int32_t acc[4];
                        int32_t j;
                        for (j = 0; j < 4; j++) {
                            acc[j] = bias != NULL ? bias[oc + j] : 0;
                        }
                        win.x += oc;
                        dw_quad(&win, in_c, k_w, filter + oc, offset_pair, acc);
                        win.x -= oc;
                        for (j = 0; j < 4; j++) {
                            out[oc + j] = requant_channel(params, quant, oc + j, acc[j]);
                        }
                    }
                }
#endif
                for (; oc < out_c; oc++) {
                    const int32_t acc = dw_channel(&win, in_c, out_c, k_w, filter, oc / mult, oc,
                                                   offset, bias != NULL ? bias[oc] : 0);
                    out[oc] = requant_channel(params, quant, oc, acc);
                }
            }
        }
    }
    return TP_OK;
}
