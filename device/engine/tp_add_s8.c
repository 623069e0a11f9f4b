/* Elementwise ADD, int8, as TFLite Micro: each input is offset, shifted left by left_shift
 * (20), scaled by its multiplier to twice the larger input scale, the two are added and the sum
 * is scaled to the output, offset and clamped. output may alias a or b.
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

tp_status tp_add_s8(const tp_add_params_s8 *params, const int8_t *a, const int8_t *b,
                    int32_t size, int8_t *output)
{
    int32_t i;
    for (i = 0; i < size; i++) {
        const int32_t x1 = (int32_t)((uint32_t)(a[i] + params->input1_offset)
                                     << params->left_shift);
        const int32_t x2 = (int32_t)((uint32_t)(b[i] + params->input2_offset)
                                     << params->left_shift);
        const int32_t s1 = tp_multiply_by_quantized_multiplier(x1, params->input1_multiplier,
                                                               params->input1_shift);
        const int32_t s2 = tp_multiply_by_quantized_multiplier(x2, params->input2_multiplier,
                                                               params->input2_shift);
        output[i] = tp_requant_acc_s8(s1 + s2, params->output_multiplier, params->output_shift,
                                     params->output_offset, params->activation.min,
                                     params->activation.max);
    }
    return TP_OK;
}
