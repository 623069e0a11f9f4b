/* Binary max pooling, VALID windows (tp_engine_b1.h): with bit 1 = +1 the window maximum is
 * the OR of its pixels' packed words. Pointers move by precomputed steps: no multiply per
 * pixel (the MSP430 multiplies in software). */
#include "tp_engine_b1.h"

#include <stddef.h>

tp_status tp_binary_max_pool_b1(const tp_tile *stride, const tp_dims *input_dims,
                                const tp_bword *input, const tp_tile *kernel,
                                const tp_dims *output_dims, tp_bword *output)
{
    /* Steps as ptrdiff_t: 16-bit pointer arithmetic on the MSP430. */
    const ptrdiff_t wpc = TP_BWORDS(input_dims->c);
    const int32_t in_w = input_dims->w;
    const ptrdiff_t row = in_w * wpc;
    const ptrdiff_t step_x = stride->w * wpc;
    const ptrdiff_t step_y = stride->h * row;
    const int16_t kh = (int16_t)kernel->h;
    const int16_t kw = (int16_t)kernel->w;
    int32_t b;

    if (output_dims->c != input_dims->c || input_dims->n != output_dims->n ||
        (output_dims->h - 1) * stride->h + kh > input_dims->h ||
        (output_dims->w - 1) * stride->w + kw > in_w) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const tp_bword *corner_y = input + b * input_dims->h * row;
        int16_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            const tp_bword *corner = corner_y;
            int16_t ox;
            for (ox = 0; ox < output_dims->w; ox++) {
                const tp_bword *const corner_end = corner + wpc;
                const tp_bword *word;
                for (word = corner; word < corner_end; word++) {
                    const tp_bword *x_row = word;
                    tp_bword acc = 0;
                    int16_t ky;
                    for (ky = 0; ky < kh; ky++) {
                        const tp_bword *x = x_row;
                        int16_t kx;
                        for (kx = 0; kx < kw; kx++) {
                            acc = (tp_bword)(acc | *x);
                            x += wpc;
                        }
                        x_row += row;
                    }
                    *output++ = acc;
                }
                corner += step_x;
            }
            corner_y += step_y;
        }
    }
    return TP_OK;
}
