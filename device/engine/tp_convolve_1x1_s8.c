/* Conv2D, int8, NHWC, a 1x1 window, stride 1, no padding, at most 8 input channels.
 *
 * Few input channels make a pixel's dot products short, so the cost is per output value: the
 * code generator lays each output channel out as one record of 2 groups + 4 words (groups =
 * ceil(C_in / 4)): its weights as int16 pairs in the order SXTB16 unpacks four input channels,
 * (w0, w2) and (w1, w3) per group, zero past C_in, doubled; then the doubled bias with the
 * input offset folded in; the multiplier; 2^(e-1) plus, when the activation only saturates,
 * output_offset x 2^e;
 * e = -shift >= 1. With the generic requantization (params->fast_requant 0) nothing is
 * doubled, e = max(-shift, 0), and two words follow: left = max(shift, 0) and the sign shift
 * (31, or 32 for e = 0); the code generator proves the rounding cannot overflow, else it keeps
 * tp_convolve_s8. The doubled accumulator is what tp_requant_fast's SMMULR takes, so on the
 * DSP (tp_s8_conv1x1_few, arch/armv7em) an output costs one LDM of its record, one SMLAD per
 * two input channels and five instructions of requantization and store. An activation clamp
 * other than saturation or ReLU, and other cores, take the C loop. Output pixel p is written
 * after input pixel p is read, in order, so the output may overlap its dying input (the words
 * read past a pixel's channels meet zero weights whatever they hold).
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if TP_S8_ASM
#include "arch/armv7em/tp_armv7em_s8.h"
#endif

/* The weight of input channel i in a record (see above). */
static int32_t c1_weight(const int32_t *rec, int32_t i)
{
    const int32_t word = rec[2 * (i / 4) + (i & 1)];
    return (i & 2) != 0 ? word >> 16 : (int32_t)(int16_t)word;
}

tp_status tp_convolve_1x1_s8(const tp_conv_params_s8 *params, const int32_t *records,
                             const tp_dims *input_dims, const int8_t *input,
                             const tp_dims *output_dims, int8_t *output)
{
    const int32_t cin = input_dims->c;
    const int32_t cout = output_dims->c;
    const int32_t groups = (cin + 3) / 4;
    const int32_t generic = params->fast_requant ? 0 : 1;
    const int32_t words = 2 * groups + 4 + 2 * generic;
    const int32_t pixels = input_dims->n * input_dims->h * input_dims->w;
    int32_t p;
    if (cin < 1 || cin > 8 || params->stride.h != 1 || params->stride.w != 1 ||
        params->padding.top != 0 || params->padding.left != 0 ||
        output_dims->n != input_dims->n || output_dims->h != input_dims->h ||
        output_dims->w != input_dims->w) {
        return TP_ERR_ARGUMENT;
    }
#if TP_S8_ASM
    if (tp_act_mode(params->activation.min, params->activation.max, params->output_offset) !=
        TP_ACT_CLAMP) {
        /* The last pixel from a copy: the routine reads 4 x groups bytes per pixel. */
        int8_t last[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        tp_s8_conv1x1_job job;
        int32_t i;
        for (i = 0; i < cin; i++) {
            last[i] = input[(pixels - 1) * cin + i];
        }
        job.in = input;
        job.pixels = pixels - 1;
        job.cin = cin;
        job.rec = records;
        job.cout = cout;
        job.out = output;
        job.off = params->output_offset;
        job.relu = params->activation.min != -128;
        job.groups = groups;
        job.generic = generic;
        if (job.pixels > 0) {
            tp_s8_conv1x1_few(&job);
        }
        job.in = last;
        job.pixels = 1;
        job.out = output + (pixels - 1) * cout;
        tp_s8_conv1x1_few(&job);
        return TP_OK;
    }
#endif
    for (p = 0; p < pixels; p++) {
        int8_t x[8];
        int32_t oc;
        int32_t i;
        for (i = 0; i < cin; i++) {
            x[i] = input[p * cin + i];
        }
        for (oc = 0; oc < cout; oc++) {
            const int32_t *rec = records + oc * words;
            const int32_t e = rec[2 * groups + 3];
            int32_t acc = rec[2 * groups];
            for (i = 0; i < cin; i++) {
                acc += (int32_t)x[i] * c1_weight(rec, i);
            }
            const int32_t v =
                generic ? tp_multiply_by_quantized_multiplier_lr(acc, rec[2 * groups + 1],
                                                                 rec[2 * groups + 4], e)
                        : tp_requant_fast(acc >> 1, rec[2 * groups + 1], e, (int32_t)1 << (e - 1));
            output[p * cout + oc] = tp_clamp_s8(v, params->output_offset, params->activation.min,
                                                params->activation.max);
        }
    }
    return TP_OK;
}
