/* DEQUANTIZE int8 -> float32: scale * (q - zero_point). The product of a float32 scale and an
 * integer of at most 9 bits is exact in double, so one float32 multiply (correctly rounded)
 * gives what TFLite computes in double and rounds to float32. */
#include "tp_engine_s8.h"

tp_status tp_dequantize_s8_f32(const tp_quant_params_f32 *params, const int8_t *input,
                               int32_t size, float *output)
{
    int32_t i;
    for (i = 0; i < size; i++) {
        output[i] = params->scale * (float)(input[i] - params->zero_point);
    }
    return TP_OK;
}
