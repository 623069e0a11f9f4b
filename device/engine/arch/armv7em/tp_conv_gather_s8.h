/* Private to tp_conv_tiles_s8.c (included there, after the portable gather helpers in_row,
 * gather_row and gather_bytes it builds on): the ARMv7E-M gather of a convolution tile, which
 * widens the windows of the tile's pixels to int16 in the K-step-major layout the assembly
 * tile routine reads (tp_s8_conv_tile.S): for every group of four window values, the 8
 * pixels' two words (x0,x2 | x1,x3, the order SXTB16 produces) follow each other, 64 bytes
 * per step. tp_s8_widen.S widens whole rows.
 *
 * Two single stores keep GNU inline assembly (TP_STORE_STEP: one STRD that advances the
 * pointer by a step): gcc 12 writes the C form as two STR and an ADD, which costs 3,570
 * instructions on the KWS model and 24,357 on the gesture CNN, and calling tp_s8_widen.S for
 * them costs more (23,477 on the KWS model's first convolution alone).
 */
#ifndef TP_CONV_GATHER_S8_H
#define TP_CONV_GATHER_S8_H

#include "../../tp_conv_tiles_s8.h"
#include "../../tp_requant.h"
#include "tp_armv7em_s8.h"

/* Store a and b at dst and dst + 4, then advance dst by one step (64 bytes). */
#define TP_STORE_STEP(dst, a, b)                                                               \
    __asm__ volatile("strd %1, %2, [%0], #64" : "+r"(dst) : "r"(a), "r"(b) : "memory")


static int32_t *fill(int32_t pair, int32_t quads, int32_t *dst)
{
    int32_t q;
    for (q = 0; q < quads; q++) {
        TP_STORE_STEP(dst, pair, pair);
    }
    return dst;
}

/* One window row of four values (kernel width x channels == 4) into the columns. */
static int32_t *widen_quad(const int8_t *src, int32_t *dst)
{
    const uint32_t w = tp_load_word(src);
    TP_STORE_STEP(dst, __sxtb16(w), tp_sxtb16_ror8(w));
    return dst;
}

/* Window row y of a pixel whose window starts at column ix, through the slow cases (padding,
 * clipped columns, channel counts that are not a multiple of 4). */
static int32_t *gather_row_dsp(const conv_core *cc, int32_t y, int32_t ix, int32_t pair,
                               int32_t *dst)
{
    const tp_dims *d = cc->layer->input_dims;
    const int32_t c = d->c;
    const int32_t kw = cc->layer->filter_dims->w;
    const int8_t *row;
    int32_t kx;
    if (y < 0 || y >= d->h) {
        return fill(pair, cc->span / 4, dst);
    }
    if (c == 1 && kw == 4) {
        /* One clipped row of four single-channel values (the KWS model's first conv). */
        const int8_t pad = (int8_t)(-cc->layer->params->input_offset);
        int8_t quad[4];
        row = in_row(cc, y);
        for (kx = 0; kx < 4; kx++) {
            const int32_t x = ix + kx;
            quad[kx] = (x < 0 || x >= d->w) ? pad : row[x];
        }
        return widen_quad(quad, dst);
    }
    if (c % 4 != 0) {
        gather_row(cc, y, ix, cc->bytes);
        return tp_s8_widen(cc->bytes, cc->span / 4, dst);
    }
    row = in_row(cc, y);
    for (kx = 0; kx < kw; kx++) {
        const int32_t x = ix + kx;
        dst = (x < 0 || x >= d->w) ? fill(pair, c / 4, dst) : tp_s8_widen(row + x * c, c / 4, dst);
    }
    return dst;
}


/* Window rows [ky0, ky1) of the tile's pixels into the int16 K-step-major columns. */
static void gather_tile_dsp(const conv_core *cc, const conv_tile *t, int32_t ky0, int32_t ky1)
{
    const tp_conv_params_s8 *p = cc->layer->params;
    const tp_dims *d = cc->layer->input_dims;
    const int32_t c = d->c;
    const int32_t kw = cc->layer->filter_dims->w;
    const int32_t sh = p->stride.h;
    const int32_t sw = p->stride.w;
    const int32_t pt = p->padding.top;
    const int32_t pl = p->padding.left;
    const int32_t quads = cc->span / 4;
    const int32_t in_row_bytes = cc->in_row;
    const int32_t ring = cc->in_ring;
    const uint32_t pad = (uint32_t)(-p->input_offset) & 0xFFFFu;
    const int32_t pair = (int32_t)(pad | (pad << 16));
    int32_t j;
    if (cc->span % 4 != 0) {
        /* The whole window (never chunked) as one byte column, zero past its end. */
        for (j = 0; j < t->n; j++) {
            int32_t i;
            gather_bytes(cc, t->oy[j], t->ox[j], 0, cc->layer->filter_dims->h, cc->bytes);
            for (i = cc->k; i < cc->kc; i++) {
                cc->bytes[i] = 0;
            }
            tp_s8_widen(cc->bytes, cc->kc / 4, cc->cols + 2 * j);
        }
        return;
    }
    for (j = 0; j < t->n; j++) {
        int32_t *dst = cc->cols + 2 * j;
        const int32_t iy = t->oy[j] * sh - pt;
        const int32_t ix = t->ox[j] * sw - pl;
        int32_t y = iy + ky0;
        const int32_t y_end = iy + ky1;
        if (ix >= 0 && ix + kw <= d->w && y >= 0 && y_end <= d->h) {
            /* Every window row is inside the input: widen them straight from the rows. */
            if (ring == 0) {
                const int8_t *src = cc->in_base + y * in_row_bytes + ix * c;
                if (quads == 1) {
                    for (; y < y_end; y++, src += in_row_bytes) {
                        dst = widen_quad(src, dst);
                    }
                    continue;
                }
                for (; y < y_end; y++, src += in_row_bytes) {
                    dst = tp_s8_widen(src, quads, dst);
                }
            } else {
                int32_t slot = y % ring;
                for (; y < y_end; y++) {
                    dst = tp_s8_widen(cc->in_base + slot * in_row_bytes + ix * c, quads, dst);
                    slot = slot + 1 == ring ? 0 : slot + 1;
                }
            }
            continue;
        }
        for (; y < y_end; y++) {
            dst = gather_row_dsp(cc, y, ix, pair, dst);
        }
    }
}

#endif /* TP_CONV_GATHER_S8_H */
