/* Fully connected, int8, sparse weights (tp_engine_sparse.h): output[b][o] =
 * requant(bias[o] + sum of output o's entries times their inputs), the bias effective as in
 * tp_fully_connected_s8 (the input offset folded in by the code generator).
 */
#include "tp_engine_sparse.h"
#include "tp_requant.h"

#include <stddef.h>

tp_status tp_fully_connected_sparse_s8(const tp_fc_params_s8 *params,
                                       const tp_channel_quant *quant, const tp_dims *input_dims,
                                       const int8_t *input, const tp_sparse_s8 *weights,
                                       const int32_t *bias, const tp_dims *output_dims,
                                       int8_t *output)
{
    const int32_t n_in = input_dims->c;
    const int32_t n_out = output_dims->c;
    const int32_t mode = tp_act_mode(params->activation.min, params->activation.max,
                                     params->output_offset);
    int32_t b;
    if (bias == NULL || input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *in = input + b * n_in;
        int32_t o;
        for (o = 0; o < n_out; o++) {
            const int32_t q = params->per_channel ? o : 0;
            const int32_t shift = quant->shift[q];
            const int8_t *x = in;
            int32_t acc = bias[o];
            int32_t e;
            for (e = weights->start[o]; e < weights->start[o + 1]; e++) {
                x += (uint8_t)weights->entry[2 * e];
                acc += weights->entry[2 * e + 1] * *x;
            }
            acc = params->fast_requant
                      ? tp_requant_fast(acc, quant->multiplier[q], -shift,
                                        (int32_t)1 << (-shift - 1))
                      : tp_multiply_by_quantized_multiplier(acc, quant->multiplier[q], shift);
            output[b * n_out + o] = tp_act_apply(acc, mode, params->output_offset,
                                                 params->activation.min, params->activation.max);
        }
    }
    return TP_OK;
}
