/* Fully connected (Dense), float32: output[b][o] = bias[o] + sum_i input[b][i] * weights[o][i].
 *
 * Weights are [out, in], so each output's weights are contiguous; four outputs per pass let
 * each loaded input value feed four multiply-accumulates.
 */
#include "tp_engine.h"

#include <stddef.h>

tp_status tp_fully_connected_f32(const tp_fc_params_f32 *params, const tp_dims *input_dims,
                                 const float *input, const float *weights, const float *bias,
                                 const tp_dims *output_dims, float *output)
{
    const int32_t n_in = input_dims->c;
    const int32_t n_out = output_dims->c;
    int32_t b;

    if (input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const float *x = input + b * n_in;
        float *out = output + b * n_out;
        int32_t o = 0;
        for (; o + 4 <= n_out; o += 4) {
            const float *w0 = weights + o * n_in;
            const float *w1 = w0 + n_in;
            const float *w2 = w1 + n_in;
            const float *w3 = w2 + n_in;
            float a0 = bias != NULL ? bias[o] : 0.0f;
            float a1 = bias != NULL ? bias[o + 1] : 0.0f;
            float a2 = bias != NULL ? bias[o + 2] : 0.0f;
            float a3 = bias != NULL ? bias[o + 3] : 0.0f;
            int32_t i;
            for (i = 0; i < n_in; i++) {
                const float v = x[i];
                a0 = TP_MAC_F32(a0, v, w0[i]);
                a1 = TP_MAC_F32(a1, v, w1[i]);
                a2 = TP_MAC_F32(a2, v, w2[i]);
                a3 = TP_MAC_F32(a3, v, w3[i]);
            }
            out[o] = tp_clamp_f32(a0, &params->activation);
            out[o + 1] = tp_clamp_f32(a1, &params->activation);
            out[o + 2] = tp_clamp_f32(a2, &params->activation);
            out[o + 3] = tp_clamp_f32(a3, &params->activation);
        }
        for (; o < n_out; o++) {
            const float *w = weights + o * n_in;
            float a = bias != NULL ? bias[o] : 0.0f;
            int32_t i;
            for (i = 0; i < n_in; i++) {
                a = TP_MAC_F32(a, x[i], w[i]);
            }
            out[o] = tp_clamp_f32(a, &params->activation);
        }
    }
    return TP_OK;
}
