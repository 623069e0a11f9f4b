/* Binary fully connected, int8 input (binary weights: additions and subtractions), binary
 * output: +1 iff dot >= threshold[o] (tp_engine_b1.h). */
#include "tp_binary_dense.h"

tp_status tp_binary_fully_connected_s8in_b1(const tp_binary_fc_params *params,
                                            const tp_dims *input_dims, const int8_t *input,
                                            const tp_bword *weights, const int32_t *threshold,
                                            const tp_dims *output_dims, tp_bword *output)
{
    const int32_t k = input_dims->c;
    int32_t len;
    int32_t b;

    if (!tp_binary_fc_check(params, input_dims, output_dims)) {
        return TP_ERR_ARGUMENT;
    }
    len = tp_binary_row_words(k, params->group);
    for (b = 0; b < input_dims->n; b++) {
        const tp_bword *w = weights;
        tp_bit_writer out = {output + b * TP_BWORDS(output_dims->c), 0, 0};
        int32_t o;
        for (o = 0; o < output_dims->c; o++) {
            tp_bit_put(&out, tp_binary_dot_grouped_s8(input + b * k, params->input_offset, w, k,
                                                      params->group) >= threshold[o]);
            w += len;
        }
        tp_bit_flush(&out);
    }
    return TP_OK;
}
