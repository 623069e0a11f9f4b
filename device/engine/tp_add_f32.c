/* Elementwise addition, float32, same shapes, with a fused activation. Reads each element
 * before writing it, so output may be the same buffer as a or b (the planner runs it in place). */
#include "tp_engine.h"

tp_status tp_add_f32(const tp_activation_f32 *activation, const float *a, const float *b,
                     int32_t size, float *output)
{
    int32_t i;

    if (size < 0) {
        return TP_ERR_ARGUMENT;
    }
    for (i = 0; i < size; i++) {
        output[i] = tp_clamp_f32(a[i] + b[i], activation);
    }
    return TP_OK;
}
