/* Binary fully connected, int8 input and output (tp_engine_b1.h): dot of the centered input
 * with the weights' signs, then dot + bias[o] requantized per output. */
#include "tp_binary_dense.h"

tp_status tp_binary_fully_connected_s8in_s8(const tp_binary_fc_params *params,
                                            const tp_channel_quant *quant,
                                            const tp_dims *input_dims, const int8_t *input,
                                            const tp_bword *weights, const int32_t *bias,
                                            const tp_dims *output_dims, int8_t *output)
{
    const int32_t k = input_dims->c;
    int32_t len;
    int32_t b;

    if (!tp_binary_fc_check(params, input_dims, output_dims)) {
        return TP_ERR_ARGUMENT;
    }
    len = TP_BWORDS(k);
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *x = input + b * k;
        const int32_t sum = tp_binary_row_sum_s8(x, params->input_offset, k);
        const tp_bword *w = weights;
        int32_t o;
        for (o = 0; o < output_dims->c; o++) {
            const int32_t dot = tp_binary_dot_flat_s8(x, params->input_offset, w, k,
                                                      sum);
            *output++ = tp_binary_requant(dot + bias[o], quant, o, params->output_offset,
                                          &params->activation);
            w += len;
        }
    }
    return TP_OK;
}
