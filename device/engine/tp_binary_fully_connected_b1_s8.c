/* Binary fully connected, binary input, int8 output (tp_engine_b1.h): dot = K - 2 * popcount
 * of the rows' XOR, then dot + bias[o] requantized per output. */
#include "tp_binary_dense.h"
#include "tp_popcount.h"

tp_status tp_binary_fully_connected_b1_s8(const tp_binary_fc_params *params,
                                          const tp_channel_quant *quant,
                                          const tp_dims *input_dims, const tp_bword *input,
                                          const tp_bword *weights, const int32_t *bias,
                                          const tp_dims *output_dims, int8_t *output)
{
    int32_t len;
    int32_t b;

    if (!tp_binary_fc_check(params, input_dims, output_dims)) {
        return TP_ERR_ARGUMENT;
    }
    len = tp_binary_row_words(input_dims->c, params->group);
    for (b = 0; b < input_dims->n; b++) {
        const tp_bword *x = input + b * len;
        const tp_bword *w = weights;
        int32_t o;
        for (o = 0; o < output_dims->c; o++) {
            const int32_t dot = input_dims->c - 2 * tp_xor_popcount(x, w, len);
            *output++ = tp_binary_requant(dot + bias[o], quant, o, params->output_offset,
                                          &params->activation);
            w += len;
        }
    }
    return TP_OK;
}
