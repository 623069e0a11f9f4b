/* Fully connected, int8: output[b][o] = requant(bias[o] + sum_i input[b][i] * weights[o][i]).
 *
 * bias is the effective bias (bias[o] + input_offset * sum_i weights[o][i], folded by the code
 * generator), so the dot products run on raw int8 values.
 *
 * Weight layout (params->interleaved): 0: row-major [outputs][inputs]; 1: the code generator
 * has interleaved them for the DSP path, in blocks of 4 outputs x 4 inputs: for output block b
 * and input quad q, the 16 bytes are the quad of output 4b, of 4b + 1, 4b + 2, 4b + 3 (only
 * when both counts are multiples of 4). Same bytes, another order; both paths read either.
 *
 * DSP path (TP_S8_ASM, interleaved, weights word-aligned): tp_s8_fc4
 * (arch/armv7em/tp_s8_fc4.S) computes 4 outputs at once: per quad of inputs one LDR and two SXTB16 (shared by the 4 outputs), two LDRD of weights,
 * eight SXTB16 and eight SMLAD: 21 instructions per 16 MACs plus the loop, unrolled twice.
 * Requantization with tp_requant_fast when params->fast_requant (see tp_requant.h).
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if TP_S8_ASM
#include "arch/armv7em/tp_armv7em_s8.h"
#elif TP_S8_MSP430
#include "arch/msp430/tp_msp430_s8.h"
#endif

static inline int8_t requant_unit(const tp_fc_params_s8 *params, const tp_channel_quant *quant,
                                  int32_t mode, int32_t o, int32_t acc)
{
    const int32_t q = params->per_channel ? o : 0;
    const int32_t shift = quant->shift[q];
    int32_t v;
    if (params->fast_requant) {
#if TP_S8_MSP430
        v = tp_msp430_requant_fast(acc, quant->multiplier[q], (int16_t)-shift);
#else
        v = tp_requant_fast(acc, quant->multiplier[q], -shift, (int32_t)1 << (-shift - 1));
#endif
    } else {
        v = tp_multiply_by_quantized_multiplier(acc, quant->multiplier[q], shift);
    }
    return tp_act_apply(v, mode, params->output_offset, params->activation.min,
                        params->activation.max);
}

/* Weight of output o, input i. */
static int8_t weight_at(const int8_t *weights, int32_t interleaved, int32_t n_in, int32_t o,
                        int32_t i)
{
    if (interleaved) {
        return weights[((o / 4) * (n_in / 4) + i / 4) * 16 + (o % 4) * 4 + i % 4];
    }
    return weights[o * n_in + i];
}


tp_status tp_fully_connected_s8(const tp_fc_params_s8 *params, const tp_channel_quant *quant,
                                const tp_dims *input_dims, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const tp_dims *output_dims, int8_t *output)
{
    const int32_t n_in = input_dims->c;
    const int32_t n_out = output_dims->c;
    const int32_t interleaved = params->interleaved;
    const int32_t mode = tp_act_mode(params->activation.min, params->activation.max,
                                     params->output_offset);
    int32_t b;

    if (input_dims->n != output_dims->n || bias == NULL ||
        (interleaved && (n_in % 4 != 0 || n_out % 4 != 0))) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *x = input + b * n_in;
        int8_t *out = output + b * n_out;
        int32_t o = 0;
#if TP_S8_ASM
        /* The assembly reads the weights with LDRD: word alignment (model.c aligns them). */
        if (interleaved && n_in > 0 && (((uintptr_t)weights) & 3u) == 0u) {
            for (; o < n_out; o += 4) {
                int32_t acc[4];
                int32_t j;
                for (j = 0; j < 4; j++) {
                    acc[j] = bias[o + j];
                }
                tp_s8_fc4(x, weights + o * n_in, n_in / 4, acc);
                for (j = 0; j < 4; j++) {
                    out[o + j] = requant_unit(params, quant, mode, o + j, acc[j]);
                }
            }
        }
#elif TP_S8_MSP430
        for (; o < n_out; o++) {
            const int32_t acc =
                interleaved
                    ? tp_msp430_dot_s8_quads(x, weights + (o / 4) * n_in * 4 + (o % 4) * 4,
                                             (int16_t)(n_in / 4), bias + o)
                    : tp_msp430_dot_s8(x, weights + o * n_in, (int16_t)n_in, bias + o);
            out[o] = requant_unit(params, quant, mode, o, acc);
        }
#endif
        for (; o < n_out; o++) {
            int32_t acc = bias[o];
            int32_t i;
            for (i = 0; i < n_in; i++) {
                acc += x[i] * weight_at(weights, interleaved, n_in, o, i);
            }
            out[o] = requant_unit(params, quant, mode, o, acc);
        }
    }
    return TP_OK;
}
