/* Softmax over the last dimension, float32: exp(beta * (x - max)) / sum. Subtracting the row
 * maximum keeps every exponent <= 0, so nothing overflows. Each row is read completely (max)
 * before it is written, so output may be the same buffer as input. */
#include "tp_engine.h"

/* Declared here instead of including <math.h> (C99 7.1.4 allows it): MSP430 toolchains ship
 * freestanding headers only, and this file must still compile there. The definition comes from
 * libm (newlib on the Cortex-M boards). */
float expf(float x);

tp_status tp_softmax_f32(const tp_softmax_params_f32 *params, const float *input, int32_t rows,
                         int32_t depth, float *output)
{
    int32_t r;

    if (rows < 0 || depth < 1) {
        return TP_ERR_ARGUMENT;
    }
    for (r = 0; r < rows; r++) {
        const float *x = input + r * depth;
        float *y = output + r * depth;
        float max = x[0];
        float sum = 0.0f;
        int32_t i;
        for (i = 1; i < depth; i++) {
            if (x[i] > max) {
                max = x[i];
            }
        }
        for (i = 0; i < depth; i++) {
            y[i] = expf(params->beta * (x[i] - max));
            sum += y[i];
        }
        for (i = 0; i < depth; i++) {
            y[i] = y[i] / sum;
        }
    }
    return TP_OK;
}
