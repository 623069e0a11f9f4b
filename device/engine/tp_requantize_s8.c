/* QUANTIZE int8 -> int8 (a change of scale, TFLite's Requantize): subtract the input zero
 * point, multiply by input_scale / output_scale, add the output zero point, saturate.
 * output may alias input. */
#include "tp_engine_s8.h"
#include "tp_requant.h"

tp_status tp_requantize_s8(const tp_requantize_params_s8 *params, const int8_t *input,
                           int32_t size, int8_t *output)
{
    int32_t i;
    for (i = 0; i < size; i++) {
        output[i] = tp_requant_acc_s8(input[i] + params->input_offset, params->multiplier,
                                     params->shift, params->output_offset, -128, 127);
    }
    return TP_OK;
}
