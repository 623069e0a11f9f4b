/* Binary max pooling, VALID windows (tp_engine_b1.h): with bit 1 = +1 the window maximum is
 * the OR of its pixels' packed words. */
#include "tp_engine_b1.h"

tp_status tp_binary_max_pool_b1(const tp_tile *stride, const tp_dims *input_dims,
                                const tp_bword *input, const tp_tile *kernel,
                                const tp_dims *output_dims, tp_bword *output)
{
    const int32_t wpc = TP_BWORDS(input_dims->c);
    const int32_t in_w = input_dims->w;
    int32_t b;

    if (output_dims->c != input_dims->c || input_dims->n != output_dims->n ||
        (output_dims->h - 1) * stride->h + kernel->h > input_dims->h ||
        (output_dims->w - 1) * stride->w + kernel->w > in_w) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const tp_bword *image = input + b * input_dims->h * in_w * wpc;
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            int32_t ox;
            for (ox = 0; ox < output_dims->w; ox++) {
                const tp_bword *corner = image + (oy * stride->h * in_w + ox * stride->w) * wpc;
                int32_t k;
                for (k = 0; k < wpc; k++) {
                    tp_bword acc = 0;
                    int32_t ky;
                    for (ky = 0; ky < kernel->h; ky++) {
                        const tp_bword *x = corner + ky * in_w * wpc + k;
                        int32_t kx;
                        for (kx = 0; kx < kernel->w; kx++) {
                            acc = (tp_bword)(acc | x[kx * wpc]);
                        }
                    }
                    *output++ = acc;
                }
            }
        }
    }
    return TP_OK;
}
