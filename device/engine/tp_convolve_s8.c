/* Conv2D, int8, NHWC input, OHWI filter, any stride, asymmetric padding, dilation 1,
 * per-output-channel requantization (TFLite Micro's reference arithmetic, bit-exact).
 *
 * Tiles of 8 output pixels through the shared tile machinery (tp_conv_tiles_s8.c: im2col,
 * the DSP tile routine or the portable dot products, requantization); the scratch holds one
 * tile's gathered windows.
 */
#include "tp_conv_tiles_s8.h"

#include <stddef.h>

int32_t tp_convolve_s8_get_buffer_size(const tp_conv_params_s8 *params,
                                       const tp_dims *filter_dims, const tp_dims *output_dims)
{
    return tp_conv_tiles_s8_core_bytes(params, filter_dims, output_dims->c);
}

tp_status tp_convolve_s8(const tp_conv_params_s8 *params, const tp_channel_quant *quant,
                         const tp_dims *input_dims, const int8_t *input,
                         const tp_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                         const tp_dims *output_dims, int8_t *output, void *buffer)
{
    const tp_conv_layer_s8 layer = {params, quant, input_dims, filter_dims, filter, bias,
                                    output_dims, 0};
    const int32_t in_size = input_dims->h * input_dims->w * input_dims->c;
    const int32_t pixels = output_dims->h * output_dims->w;
    int32_t b;
    if (!tp_conv_tiles_s8_layer_ok(&layer) || buffer == NULL) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        conv_core cc;
        tp_conv_tiles_s8_run(tp_conv_tiles_s8_init(&cc, &layer, input + b * in_size, 0, buffer),
                             output + b * pixels * output_dims->c, 0, 0, pixels);
    }
    return TP_OK;
}
