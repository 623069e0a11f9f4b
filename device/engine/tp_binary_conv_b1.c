/* Binary Conv2D, binary input and output (XNOR-popcount; tp_engine_b1.h).
 *
 * Per output pixel the window is gathered once into the scratch (kh x kw pixels of packed
 * words, padded pixels all 0), so every output channel is one popcount of the window XOR its
 * filter, both contiguous: channel o is +1 iff that popcount <= limit[o].
 */
#include "tp_binary_window.h"
#include "tp_popcount.h"

int32_t tp_binary_conv_b1_get_buffer_size(const tp_dims *filter_dims)
{
    return filter_dims->h * filter_dims->w * TP_BWORDS(filter_dims->c) *
           (int32_t)sizeof(tp_bword);
}

tp_status tp_binary_conv_b1(const tp_binary_conv_params *params, const tp_dims *input_dims,
                            const tp_bword *input, const tp_dims *filter_dims,
                            const tp_bword *filter, const int32_t *limit,
                            const tp_dims *output_dims, tp_bword *output, tp_bword *buffer)
{
    const int32_t wpc = TP_BWORDS(input_dims->c);
    const int32_t len = filter_dims->h * filter_dims->w * wpc;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    int32_t b;

    if (filter_dims->c != input_dims->c || filter_dims->n != output_dims->c ||
        input_dims->n != output_dims->n || buffer == 0) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const tp_bword *image = input + b * input_dims->h * input_dims->w * wpc;
        tp_bit_writer out = {output + b * out_h * out_w * TP_BWORDS(output_dims->c), 0, 0};
        int32_t oy;
        for (oy = 0; oy < out_h; oy++) {
            const int32_t iy = oy * params->stride.h - params->padding.top;
            int32_t ox;
            for (ox = 0; ox < out_w; ox++) {
                const int32_t ix = ox * params->stride.w - params->padding.left;
                const tp_bword *f = filter;
                int32_t o;
                tp_binary_gather_b1(image, input_dims->h, input_dims->w, wpc, iy, ix,
                                    filter_dims->h, filter_dims->w, buffer);
                for (o = 0; o < output_dims->c; o++) {
                    tp_bit_put(&out, tp_xor_popcount(buffer, f, len) <= limit[o]);
                    f += len;
                }
                tp_bit_flush(&out);
            }
        }
    }
    return TP_OK;
}
