/* Private: the MSP430 gather of tp_conv_tiles_s8.c (the twin of arch/armv7em's
 * tp_conv_gather_s8.h): window rows [ky0, ky1) of one output pixel as int16 values, the
 * portable gather_bytes widened in the same pass. Index arithmetic in 16 bits: the portable
 * gather's int32 products and the ring's int32 modulo are helper calls on this CPU (a
 * software division per window row), several times the cost of the pixel's MACs. */
#ifndef TP_MSP430_CONV_GATHER_S8_H
#define TP_MSP430_CONV_GATHER_S8_H

#include "tp_conv_tiles_s8.h"

#include <stdint.h>

static inline __attribute__((noinline)) void
tp_msp430_gather_s16(const conv_core *cc, int16_t oy, int16_t ox, int16_t ky0, int16_t ky1,
                     int16_t *dst)
{
    const tp_conv_layer_s8 *layer = cc->layer;
    const tp_conv_params_s8 *p = layer->params;
    const int16_t c = (int16_t)layer->input_dims->c;
    const int16_t h = (int16_t)layer->input_dims->h;
    const int16_t w = (int16_t)layer->input_dims->w;
    const int16_t fw = (int16_t)layer->filter_dims->w;
    const int16_t ring = (int16_t)cc->in_ring;
    const uint16_t row_bytes = (uint16_t)cc->in_row;
    const int16_t pad = (int16_t)(-p->input_offset);
    const int16_t iy = (int16_t)(oy * (int16_t)p->stride.h - (int16_t)p->padding.top);
    const int16_t ix = (int16_t)(ox * (int16_t)p->stride.w - (int16_t)p->padding.left);
    int16_t ky;
    for (ky = ky0; ky < ky1; ky++) {
        const int16_t y = (int16_t)(iy + ky);
        int16_t kx;
        if (y < 0 || y >= h) {
            int16_t i;
            for (i = (int16_t)(fw * c); i > 0; i--) {
                *dst++ = pad;
            }
            continue;
        }
        {
            int16_t r = y;
            const int8_t *src;
            if (ring > 0) {
                while (r >= ring) {
                    r = (int16_t)(r - ring);
                }
            }
            src = cc->in_base + (uint16_t)r * row_bytes + ix * c;
            for (kx = 0; kx < fw; kx++) {
                const int16_t x = (int16_t)(ix + kx);
                int16_t i;
                if (x < 0 || x >= w) {
                    for (i = c; i > 0; i--) {
                        *dst++ = pad;
                    }
                    src += c;
                } else {
                    for (i = c; i > 0; i--) {
                        *dst++ = *src++;
                    }
                }
            }
        }
    }
}

#endif /* TP_MSP430_CONV_GATHER_S8_H */
