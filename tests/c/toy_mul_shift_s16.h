/* A toy kernel family at a dtype the engine has no kernel for (int16), registered from
 * tests/system/test_new_family.py: y = saturate_int16((x * multiplier) >> shift), the shift
 * arithmetic (rounding towards minus infinity). */
#ifndef TOY_MUL_SHIFT_S16_H
#define TOY_MUL_SHIFT_S16_H

#include "tp_engine.h"

typedef struct {
    int32_t multiplier;
    int32_t shift;
} toy_mul_shift_params_s16;

tp_status toy_mul_shift_s16(const toy_mul_shift_params_s16 *params, const int16_t *input,
                            int32_t size, int16_t *output);

#endif /* TOY_MUL_SHIFT_S16_H */
