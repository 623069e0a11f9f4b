/* Binary Conv2D, int8 input (a first layer: binary weights, additions and subtractions only),
 * binary output: +1 iff dot >= threshold[o] (tp_engine_b1.h).
 *
 * Per output pixel the window is gathered once into the scratch as centered int16 values
 * (padded positions 0), then each output channel adds or subtracts them by its filter bits.
 */
#include "tp_binary_window.h"

int32_t tp_binary_conv_s8in_b1_get_buffer_size(const tp_dims *filter_dims)
{
    return filter_dims->h * filter_dims->w * filter_dims->c * (int32_t)sizeof(int16_t);
}

tp_status tp_binary_conv_s8in_b1(const tp_binary_conv_params *params, const tp_dims *input_dims,
                                 const int8_t *input, const tp_dims *filter_dims,
                                 const tp_bword *filter, const int32_t *threshold,
                                 const tp_dims *output_dims, tp_bword *output, int16_t *buffer)
{
    const int32_t c = input_dims->c;
    const int32_t wpc = TP_BWORDS(c);
    const int32_t positions = filter_dims->h * filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    int32_t b;

    if (filter_dims->c != c || filter_dims->n != output_dims->c ||
        input_dims->n != output_dims->n || buffer == 0) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * input_dims->h * input_dims->w * c;
        tp_bit_writer out = {output + b * out_h * out_w * TP_BWORDS(output_dims->c), 0, 0};
        int32_t oy;
        for (oy = 0; oy < out_h; oy++) {
            const int32_t iy = oy * params->stride.h - params->padding.top;
            int32_t ox;
            for (ox = 0; ox < out_w; ox++) {
                const int32_t ix = ox * params->stride.w - params->padding.left;
                const tp_bword *f = filter;
                int32_t o;
                tp_binary_gather_s8(image, input_dims->h, input_dims->w, c, params->input_offset,
                                    iy, ix, filter_dims->h, filter_dims->w, buffer);
                for (o = 0; o < output_dims->c; o++) {
                    tp_bit_put(&out, tp_binary_dot_s8(buffer, f, positions, c, wpc) >=
                                         threshold[o]);
                    f += positions * wpc;
                }
                tp_bit_flush(&out);
            }
        }
    }
    return TP_OK;
}
