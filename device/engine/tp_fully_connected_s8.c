/* Fully connected, int8: output[b][o] = requant(bias[o] + sum_i input[b][i] * weights[o][i]).
 *
 * bias is the effective bias (bias[o] + input_offset * sum_i weights[o][i], folded by the code
 * generator), so the dot products run on raw int8 values.
 *
 * DSP path (__ARM_FEATURE_DSP): four output units at a time. A word of four inputs is widened
 * once with two SXTB16 (x0,x2 | x1,x3) and feeds two SMLADs in each of the four units, whose
 * weight words are widened the same way: 23 instructions per 16 MACs in the inner loop.
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

static int8_t requant_unit(const tp_fc_params_s8 *params, const tp_channel_quant *quant,
                           int32_t o, int32_t acc)
{
    const int32_t q = params->per_channel ? o : 0;
    return tp_requant_acc_s8(acc, quant->multiplier[q], quant->shift[q], params->output_offset,
                            params->activation.min, params->activation.max);
}

static int32_t dot(const int8_t *x, const int8_t *w, int32_t n, int32_t acc)
{
    int32_t i = 0;
#if defined(__ARM_FEATURE_DSP)
    for (; i + 4 <= n; i += 4) {
        const uint32_t xv = tp_load_word(x + i);
        const uint32_t wv = tp_load_word(w + i);
        acc = __smlad(__sxtb16(xv), __sxtb16(wv), acc);
        acc = __smlad(__sxtb16(tp_ror(xv, 8)), __sxtb16(tp_ror(wv, 8)), acc);
    }
#endif
    for (; i < n; i++) {
        acc += x[i] * w[i];
    }
    return acc;
}

tp_status tp_fully_connected_s8(const tp_fc_params_s8 *params, const tp_channel_quant *quant,
                                const tp_dims *input_dims, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const tp_dims *output_dims, int8_t *output)
{
    const int32_t n_in = input_dims->c;
    const int32_t n_out = output_dims->c;
    int32_t b;

    if (input_dims->n != output_dims->n || bias == NULL) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *x = input + b * n_in;
        int8_t *out = output + b * n_out;
        int32_t o = 0;
#if defined(__ARM_FEATURE_DSP)
        for (; o + 4 <= n_out; o += 4) {
            const int8_t *w0 = weights + o * n_in;
            const int8_t *w1 = w0 + n_in;
            const int8_t *w2 = w1 + n_in;
            const int8_t *w3 = w2 + n_in;
            int32_t a0 = bias[o];
            int32_t a1 = bias[o + 1];
            int32_t a2 = bias[o + 2];
            int32_t a3 = bias[o + 3];
            int32_t i = 0;
            for (; i + 4 <= n_in; i += 4) {
                const uint32_t xv = tp_load_word(x + i);
                const uint32_t x02 = __sxtb16(xv);
                const uint32_t x13 = __sxtb16(tp_ror(xv, 8));
                uint32_t wv = tp_load_word(w0 + i);
                a0 = __smlad(x02, __sxtb16(wv), a0);
                a0 = __smlad(x13, __sxtb16(tp_ror(wv, 8)), a0);
                wv = tp_load_word(w1 + i);
                a1 = __smlad(x02, __sxtb16(wv), a1);
                a1 = __smlad(x13, __sxtb16(tp_ror(wv, 8)), a1);
                wv = tp_load_word(w2 + i);
                a2 = __smlad(x02, __sxtb16(wv), a2);
                a2 = __smlad(x13, __sxtb16(tp_ror(wv, 8)), a2);
                wv = tp_load_word(w3 + i);
                a3 = __smlad(x02, __sxtb16(wv), a3);
                a3 = __smlad(x13, __sxtb16(tp_ror(wv, 8)), a3);
            }
            for (; i < n_in; i++) {
                const int32_t v = x[i];
                a0 += v * w0[i];
                a1 += v * w1[i];
                a2 += v * w2[i];
                a3 += v * w3[i];
            }
            out[o] = requant_unit(params, quant, o, a0);
            out[o + 1] = requant_unit(params, quant, o + 1, a1);
            out[o + 2] = requant_unit(params, quant, o + 2, a2);
            out[o + 3] = requant_unit(params, quant, o + 3, a3);
        }
#endif
        for (; o < n_out; o++) {
            out[o] = requant_unit(params, quant, o, dot(x, weights + o * n_in, n_in, bias[o]));
        }
    }
    return TP_OK;
}
