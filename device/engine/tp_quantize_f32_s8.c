/* QUANTIZE float32 -> int8 as TFLite's AffineQuantize: round(x / scale) half away from zero
 * (the division in float32), plus the zero point, saturated to int8. No libm: the rounding is
 * done on the exact fractional part. */
#include "tp_engine_s8.h"

tp_status tp_quantize_f32_s8(const tp_quant_params_f32 *params, const float *input,
                             int32_t size, int8_t *output)
{
    int32_t i;
    for (i = 0; i < size; i++) {
        float v = input[i] / params->scale;
        int32_t q;
        float frac;
        /* Far outside int8 either way; keeps the conversion to int32 defined. */
        v = v > 65536.0f ? 65536.0f : v;
        v = v < -65536.0f ? -65536.0f : v;
        q = (int32_t)v; /* toward zero */
        frac = v - (float)q; /* exact */
        if (frac >= 0.5f) {
            q += 1;
        } else if (frac <= -0.5f) {
            q -= 1;
        }
        q += params->zero_point;
        q = q > 127 ? 127 : q;
        q = q < -128 ? -128 : q;
        output[i] = (int8_t)q;
    }
    return TP_OK;
}
