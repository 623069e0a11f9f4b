/* Private: the MSP430 tile of tp_conv_tiles_s8.c (included there after finish): gather,
 * dot products and requantization of one tile, with 16-bit indices throughout (32-bit
 * products and divisions are helper calls on this CPU, a 32-bit loop counter costs two
 * registers). tp_msp430_conv_process computes each output channel of the tile's pixels with
 * tp_msp430_dot_tile_s16 and, with the fast requantization, stores it with
 * tp_msp430_store_fast_s8 (finish takes the generic form).
 *
 * The gather (the twin of arch/armv7em's tp_conv_gather_s8.h): window rows [ky0, ky1) of one
 * output pixel as int16 values. Each
 * window row is at most three runs: padding on the left, the input bytes widened by
 * tp_msp430_widen_s8 (9 cycles a value), padding on the right. Index arithmetic in 16 bits:
 * the portable gather's int32 products and the ring's int32 modulo are helper calls on this
 * CPU (a software division per window row), several times the cost of the pixel's MACs. */
#ifndef TP_MSP430_CONV_TILE_S8_H
#define TP_MSP430_CONV_TILE_S8_H

#include "tp_conv_tiles_s8.h"
#include "arch/msp430/tp_msp430_s8.h"

#include <stdint.h>

#include TP_DSP_HWMULT_HEADER

/* a b on the multiplier, inline: the compiler's __mspabi_mpyi is a call (about 40 cycles),
 * and the gather computes several products per pixel. */
static inline int16_t tp_msp430_mul16(int16_t a, int16_t b)
{
    TP_MPY = (uint16_t)a;
    TP_OP2 = (uint16_t)b;
    return (int16_t)TP_RESLO;
}

/* dst[i] = src[i] for i < n, int8 to int16 (arch/msp430/tp_msp430_widen_s8.S). */
void tp_msp430_widen_s8(int16_t *dst, const int8_t *src, int16_t n);

/* rows >= 1 rows of n values stride bytes apart as rows * n int16 values at dst
 * (arch/msp430/tp_msp430_widen_rows_s8.S). */
void tp_msp430_widen_rows_s8(int16_t *dst, const int8_t *src, int16_t n, int16_t rows,
                             int16_t stride);

static inline int16_t *tp_msp430_fill_s16(int16_t *dst, int16_t v, int16_t n)
{
    for (; n > 0; n--) {
        *dst++ = v;
    }
    return dst;
}

/* Window rows [ky0, ky1) of every pixel of tile t, int16, kc values apart in cc->cols. The
 * layer's constants are read once per tile; a pixel whose window lies inside the input
 * horizontally (most of them) takes no padding arithmetic, and one inside it entirely is one
 * call of tp_msp430_widen_rows_s8. */
static void tp_msp430_gather_tile_s16(const conv_core *cc, const conv_tile *t, int16_t ky0,
                                      int16_t ky1)
{
    const tp_conv_layer_s8 *layer = cc->layer;
    const tp_conv_params_s8 *p = layer->params;
    const int16_t c = (int16_t)layer->input_dims->c;
    const int16_t h = (int16_t)layer->input_dims->h;
    const int16_t w = (int16_t)layer->input_dims->w;
    const int16_t fw = (int16_t)layer->filter_dims->w;
    const int16_t span = (int16_t)cc->span;
    const int16_t kc = (int16_t)cc->kc;
    const int16_t ring = (int16_t)cc->in_ring;
    const int16_t row_bytes = (int16_t)cc->in_row;
    const int16_t pad = (int16_t)(-p->input_offset);
    const int16_t sh = (int16_t)p->stride.h;
    const int16_t sw = (int16_t)p->stride.w;
    const int16_t top = (int16_t)p->padding.top;
    const int16_t left_pad = (int16_t)p->padding.left;
    const int16_t n = (int16_t)t->n;
    int16_t *col = (int16_t *)(void *)cc->cols;
    int16_t j;
    for (j = 0; j < n; j++, col += kc) {
        const int16_t iy = (int16_t)(tp_msp430_mul16((int16_t)t->oy[j], sh) - top);
        const int16_t ix = (int16_t)(tp_msp430_mul16((int16_t)t->ox[j], sw) - left_pad);
        int16_t left = 0;
        int16_t inside = span;
        int16_t right = 0;
        int16_t offset;
        int16_t *dst = col;
        int16_t y;
        if (ix < 0 || ix + fw > w) {
            /* Columns [lo, hi) of the window are inside the input, the same in every row. */
            const int16_t lo = ix >= 0 ? 0 : -ix < fw ? (int16_t)-ix : fw;
            const int16_t end = ix + fw > w ? (int16_t)(w - ix) : fw;
            const int16_t hi = end > lo ? end : lo;
            left = tp_msp430_mul16(lo, c);
            inside = tp_msp430_mul16((int16_t)(hi - lo), c);
            right = (int16_t)(span - left - inside);
            offset = tp_msp430_mul16((int16_t)(ix + lo), c);
        } else {
            offset = tp_msp430_mul16(ix, c);
            if (ring == 0 && iy + ky0 >= 0 && iy + ky1 <= h) {
                tp_msp430_widen_rows_s8(
                    dst, cc->in_base + tp_msp430_mul16((int16_t)(iy + ky0), row_bytes) + offset,
                    span, (int16_t)(ky1 - ky0), row_bytes);
                continue;
            }
        }
        for (y = (int16_t)(iy + ky0); y < iy + ky1; y++) {
            int16_t r = y;
            if (r < 0 || r >= h) {
                dst = tp_msp430_fill_s16(dst, pad, span);
                continue;
            }
            if (ring > 0) {
                while (r >= ring) {
                    r = (int16_t)(r - ring);
                }
            }
            dst = tp_msp430_fill_s16(dst, pad, left);
            tp_msp430_widen_s8(dst, cc->in_base + tp_msp430_mul16(r, row_bytes) + offset, inside);
            dst = tp_msp430_fill_s16(dst + inside, pad, right);
        }
    }
}

static void tp_msp430_conv_process(const conv_core *cc, const conv_tile *t)
{
    const tp_conv_layer_s8 *layer = cc->layer;
    const tp_conv_params_s8 *p = layer->params;
    const int16_t out_c = (int16_t)layer->output_dims->c;
    const int16_t kh = (int16_t)layer->filter_dims->h;
    const int16_t k = (int16_t)cc->k;
    const int16_t kc = (int16_t)cc->kc;
    const int16_t span = (int16_t)cc->span;
    const int16_t chunk = (int16_t)cc->chunk;
    const int16_t n = (int16_t)t->n;
    const int32_t *mult = layer->quant->multiplier;
    const int8_t *shift = layer->quant->shift;
    tp_msp430_store_job job;
    int16_t ky0;
    job.dst = t->dst;
    job.outs = (int16_t)t->outs;
    job.pool = (int16_t)(layer->pool != 0);
    job.off = (int16_t)p->output_offset;
    job.lo = (int16_t)p->activation.min;
    job.hi = (int16_t)p->activation.max;
    for (ky0 = 0; ky0 < kh; ky0 = (int16_t)(ky0 + chunk)) {
        const int16_t ky1 = ky0 + chunk < kh ? (int16_t)(ky0 + chunk) : kh;
        const int16_t whole = ky0 == 0 && ky1 == kh;
        const int16_t values = whole ? k : tp_msp430_mul16((int16_t)(ky1 - ky0), span);
        const int8_t *w = layer->filter + tp_msp430_mul16(ky0, span);
        int32_t local[TILE];
        int32_t *acc = whole ? local : cc->accs;
        int16_t c;
        tp_msp430_gather_tile_s16(cc, t, ky0, ky1);
        for (c = 0; c < out_c; c++, w += k) {
            tp_msp430_dot_tile_s16((const int16_t *)(const void *)cc->cols, kc, w, values, n,
                                   ky0 == 0 ? layer->bias + c : NULL, acc);
            if (ky1 == kh) {
                if (p->fast_requant) {
                    job.acc = acc;
                    job.c = c;
                    job.e = (int16_t)-shift[c];
                    job.mult = mult[c];
                    tp_msp430_store_fast_s8(&job);
                } else {
                    finish(layer, TP_ACT_CLAMP, t->dst, t->outs, c, acc);
                }
            }
            if (!whole) {
                acc += TILE;
            }
        }
    }
}

#endif /* TP_MSP430_CONV_TILE_S8_H */
