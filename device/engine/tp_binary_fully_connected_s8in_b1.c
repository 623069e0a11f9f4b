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
    len = TP_BWORDS(k);
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *x = input + b * k;
        const int32_t sum = tp_binary_row_sum_s8(x, params->input_offset, k);
        const tp_bword *w = weights;
        tp_bit_writer out;
        int32_t o;
        tp_bit_start(&out, output + b * TP_BWORDS(output_dims->c));
        for (o = 0; o < output_dims->c; o++) {
            tp_bit_put(&out,
                       tp_binary_dot_flat_s8(x, params->input_offset, w, k, sum) >= threshold[o]);
            w += len;
        }
        tp_bit_flush(&out);
    }
    return TP_OK;
}
