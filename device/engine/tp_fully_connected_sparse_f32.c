/* Fully connected, float, sparse weights (tp_engine_sparse.h). */
#include "tp_engine_sparse.h"

#include <stddef.h>

tp_status tp_fully_connected_sparse_f32(const tp_fc_params_f32 *params,
                                        const tp_dims *input_dims, const float *input,
                                        const tp_sparse_f32 *weights, const float *bias,
                                        const tp_dims *output_dims, float *output)
{
    const int32_t n_in = input_dims->c;
    const int32_t n_out = output_dims->c;
    int32_t b;
    if (input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        int32_t o;
        for (o = 0; o < n_out; o++) {
            const float *x = input + b * n_in;
            float acc = bias != NULL ? bias[o] : 0.0f;
            int32_t e;
            for (e = weights->start[o]; e < weights->start[o + 1]; e++) {
                x += weights->delta[e];
                acc = TP_MAC_F32(acc, weights->value[e], *x);
            }
            output[b * n_out + o] = tp_clamp_f32(acc, &params->activation);
        }
    }
    return TP_OK;
}
