/* Binary Conv2D, int8 input (a first layer: binary weights, additions and subtractions only),
 * int8 output: dot + bias[o] requantized per channel (tp_engine_b1.h).
 *
 * Per output pixel the window is gathered once into the scratch as centered int16 values
 * (padded positions 0) with their sum, then each output channel adds the values its filter's
 * flat bit string (tp_binary_window.h) marks +1: dot = 2 x that - sum.
 */
#include "tp_binary_window.h"

int32_t tp_binary_conv_s8in_s8_get_buffer_size(const tp_dims *filter_dims)
{
    return filter_dims->h * filter_dims->w * filter_dims->c * (int32_t)sizeof(int16_t);
}

tp_status tp_binary_conv_s8in_s8(const tp_binary_conv_params *params,
                                 const tp_channel_quant *quant, const tp_dims *input_dims,
                                 const int8_t *input, const tp_dims *filter_dims,
                                 const tp_bword *filter, const int32_t *bias,
                                 const tp_dims *output_dims, int8_t *output, int16_t *buffer)
{
    const int32_t c = input_dims->c;
    const int32_t k = filter_dims->h * filter_dims->w * c;
    const int32_t words = TP_BWORDS(k);
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    int32_t b;

    if (filter_dims->c != c || filter_dims->n != output_dims->c ||
        input_dims->n != output_dims->n || buffer == 0) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * input_dims->h * input_dims->w * c;
        tp_bwin win;
        int32_t oy;
        tp_bwin_start(&win, input_dims, c, filter_dims, &params->stride, &params->padding);
        for (oy = 0; oy < out_h; oy++) {
            int32_t ox;
            tp_bwin_row_start(&win);
            for (ox = 0; ox < out_w; ox++) {
                const tp_bword *f = filter;
                int32_t o;
                const int32_t sum = tp_binary_gather_s8(image, &win, params->input_offset,
                                                        buffer);
                for (o = 0; o < output_dims->c; o++) {
                    const int32_t dot = tp_binary_dot_s8(buffer, f, k, sum);
                    *output++ = tp_binary_requant(dot + bias[o], quant, o, params->output_offset,
                                                  &params->activation);
                    f += words;
                }
                tp_bwin_next_x(&win);
            }
            tp_bwin_next_y(&win);
        }
    }
    return TP_OK;
}
