/* Binary Conv2D, binary input, int8 output (a binary-to-int8 boundary; tp_engine_b1.h): the
 * window gathered as in tp_binary_conv_b1, dot = N - 2 * popcount, then dot + bias[o]
 * requantized per channel. */
#include "tp_binary_window.h"
#include "tp_popcount.h"

int32_t tp_binary_conv_b1_s8_get_buffer_size(const tp_dims *filter_dims)
{
    return filter_dims->h * filter_dims->w * TP_BWORDS(filter_dims->c) *
           (int32_t)sizeof(tp_bword);
}

tp_status tp_binary_conv_b1_s8(const tp_binary_conv_params *params, const tp_channel_quant *quant,
                               const tp_dims *input_dims, const tp_bword *input,
                               const tp_dims *filter_dims, const tp_bword *filter,
                               const int32_t *bias, const tp_dims *output_dims, int8_t *output,
                               tp_bword *buffer)
{
    const int32_t wpc = TP_BWORDS(input_dims->c);
    const int32_t len = filter_dims->h * filter_dims->w * wpc;
    const int32_t terms = filter_dims->h * filter_dims->w * filter_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    int32_t b;

    if (filter_dims->c != input_dims->c || filter_dims->n != output_dims->c ||
        input_dims->n != output_dims->n || buffer == 0) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const tp_bword *image = input + b * input_dims->h * input_dims->w * wpc;
        tp_bwin win;
        int32_t oy;
        tp_bwin_start(&win, input_dims, wpc, filter_dims, &params->stride, &params->padding);
        for (oy = 0; oy < out_h; oy++) {
            int32_t ox;
            tp_bwin_row_start(&win);
            for (ox = 0; ox < out_w; ox++) {
                const tp_bword *f = filter;
                int32_t o;
                tp_binary_gather_b1(image, &win, buffer);
                for (o = 0; o < output_dims->c; o++) {
                    const int32_t dot = terms - 2 * tp_xor_popcount(buffer, f, len);
                    *output++ = tp_binary_requant(dot + bias[o], quant, o, params->output_offset,
                                                  &params->activation);
                    f += len;
                }
                tp_bwin_next_x(&win);
            }
            tp_bwin_next_y(&win);
        }
    }
    return TP_OK;
}
