/* Binary fully connected, binary input and output (tp_engine_b1.h): output o is +1 iff
 * popcount(input row XOR weight row o) <= limit[o]. */
#include "tp_binary_dense.h"
#include "tp_popcount.h"

tp_status tp_binary_fully_connected_b1(const tp_binary_fc_params *params, const tp_dims *input_dims,
                                       const tp_bword *input, const tp_bword *weights,
                                       const int32_t *limit, const tp_dims *output_dims,
                                       tp_bword *output)
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
        tp_bit_writer out;
        int32_t o;
        tp_bit_start(&out, output + b * TP_BWORDS(output_dims->c));
        for (o = 0; o < output_dims->c; o++) {
            tp_bit_put(&out, tp_xor_popcount(x, w, len) <= limit[o]);
            w += len;
        }
        tp_bit_flush(&out);
    }
    return TP_OK;
}
