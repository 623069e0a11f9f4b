/* Private helpers of the binary convolutions: the window of one output pixel gathered into the
 * scratch (binary: packed words, a padded pixel all 0 = -1; int8: centered int16 values, a
 * padded position 0), the int8 dot product of binary weights, and the two output stages.
 * The int8-input kernels take their weights as one flat bit string per output (all K = kh x
 * kw x c of a filter, or the inputs of a dense unit, bit i in word i / W), so the dot product
 * walks values and bits together with no per-position word. */
#ifndef TP_BINARY_WINDOW_H
#define TP_BINARY_WINDOW_H

#include "tp_engine_b1.h"
#include "tp_requant.h"

#if defined(__MSP430__)
#include "arch/msp430/tp_msp430_b1.h"
#endif

#include <stddef.h>
#include <stdint.h>

/* The window of the current output pixel: its top-left input position (iy, ix) and that
 * position's element index (iy * in_w + ix) * pixel, moved by additions from pixel to pixel
 * (the MSP430 multiplies in software). `pixel`: elements (words or values) per input pixel.
 * Element offsets are ptrdiff_t: pointer-sized, so 16-bit arithmetic on the MSP430. */
typedef struct {
    int32_t in_h, in_w, kh, kw;
    ptrdiff_t pixel;
    ptrdiff_t row;             /* elements per input row */
    ptrdiff_t row_elems;       /* elements per window row: kw x pixel */
    ptrdiff_t window_elems;    /* elements per window: kh x row_elems */
    int32_t sh, sw, left;      /* stride, left padding */
    ptrdiff_t step_x, step_y;  /* element steps of one output pixel and one output row */
    int32_t iy, ix;
    ptrdiff_t base, base_y;
} tp_bwin;

static inline void tp_bwin_start(tp_bwin *w, const tp_dims *input_dims, int32_t pixel,
                                   const tp_dims *filter_dims, const tp_tile *stride,
                                   const tp_padding *padding)
{
    w->in_h = input_dims->h;
    w->in_w = input_dims->w;
    w->pixel = pixel;
    w->kh = filter_dims->h;
    w->kw = filter_dims->w;
    w->row = input_dims->w * pixel;
    w->row_elems = filter_dims->w * pixel;
    w->window_elems = filter_dims->h * w->row_elems;
    w->sh = stride->h;
    w->sw = stride->w;
    w->left = padding->left;
    w->step_x = stride->w * pixel;
    w->step_y = stride->h * w->row;
    w->iy = -padding->top;
    w->base_y = -padding->top * w->row - padding->left * pixel;
}

/* The first pixel of an output row, then the next pixel, then the next row. */
static inline void tp_bwin_row_start(tp_bwin *w)
{
    w->ix = -w->left;
    w->base = w->base_y;
}

static inline void tp_bwin_next_x(tp_bwin *w)
{
    w->ix += w->sw;
    w->base += w->step_x;
}

static inline void tp_bwin_next_y(tp_bwin *w)
{
    w->iy += w->sh;
    w->base_y += w->step_y;
}

/* The window row's elements [*lo, *hi) inside the input (no multiply). */
static inline void tp_bwin_clip(const tp_bwin *w, ptrdiff_t *lo, ptrdiff_t *hi)
{
    int32_t t;
    *lo = 0;
    *hi = w->row_elems;
    for (t = w->ix; t < 0; t++) {
        *lo += w->pixel;
    }
    for (t = w->ix + w->kw; t > w->in_w; t--) {
        *hi -= w->pixel;
    }
}

/* Whether the current window lies inside the image (no padded position). */
static inline int tp_bwin_inside(const tp_bwin *w)
{
    return w->iy >= 0 && w->iy + w->kh <= w->in_h && w->ix >= 0 && w->ix + w->kw <= w->in_w;
}

/* Copy the current window of a packed binary image into col, padded pixels as 0 words. */
static inline void tp_binary_gather_b1(const tp_bword *image, const tp_bwin *w, tp_bword *col)
{
    ptrdiff_t lo;
    ptrdiff_t hi;
    ptrdiff_t at = w->base;
    int32_t ky;
    if (tp_bwin_inside(w)) {
        /* Most windows: whole rows, no clipping; the fields in locals (pointer-sized). */
        const tp_bword *src = image + at;
        const ptrdiff_t n = w->row_elems;
        const ptrdiff_t skip = w->row - n;
        tp_bword *const last = col + w->window_elems;
        while (col < last) {
            tp_bword *const end = col + n;
            while (col < end) {
                *col++ = *src++;
            }
            src += skip;
        }
        return;
    }
    tp_bwin_clip(w, &lo, &hi);
    /* Pointer loops: no 32-bit counter per word on the MSP430. */
    for (ky = 0; ky < w->kh; ky++) {
        const int32_t y = w->iy + ky;
        tp_bword *const end = col + w->row_elems;
        if (y >= 0 && y < w->in_h) {
            const tp_bword *src = image + (at + lo);
            tp_bword *const first = col + lo;
            tp_bword *const last = col + hi;
            while (col < first) {
                *col++ = 0;
            }
            while (col < last) {
                *col++ = *src++;
            }
        }
        while (col < end) {
            *col++ = 0;
        }
        at += w->row;
    }
}

/* The current window of an int8 image as int16 values x + input_offset (padded positions 0)
 * in col, gathered as tp_binary_gather_b1 does; returns their sum. */
static inline int32_t tp_binary_gather_s8(const int8_t *image, const tp_bwin *w,
                                          int32_t input_offset, int16_t *col)
{
    const int16_t offset = (int16_t)input_offset;
    int32_t sum = 0;
    ptrdiff_t lo;
    ptrdiff_t hi;
    ptrdiff_t at = w->base;
    int32_t ky;
    tp_bwin_clip(w, &lo, &hi);
    for (ky = 0; ky < w->kh; ky++) {
        const int32_t y = w->iy + ky;
        int16_t *const end = col + w->row_elems;
        if (y >= 0 && y < w->in_h) {
            const int8_t *src = image + (at + lo);
            int16_t *const first = col + lo;
            int16_t *const last = col + hi;
            while (col < first) {
                *col++ = 0;
            }
            while (col < last) {
                const int16_t v = (int16_t)(*src++ + offset);
                sum += v;
                *col++ = v;
            }
        }
        while (col < end) {
            *col++ = 0;
        }
        at += w->row;
    }
    return sum;
}

/* sum of v[i] * (+1 or -1 by bit i of the flat bit string w) over i < k, additions only:
 * 2 x (the values whose weight is +1) - sum, sum being that of all k values. */
static inline int32_t tp_binary_dot_s8(const int16_t *v, const tp_bword *w, int32_t k,
                                       int32_t sum)
{
#if defined(__MSP430__)
    if (k <= 128) { /* 128 x 255 fits 16 bits */
        return 2 * (int32_t)tp_msp430_b1_plus_s16(v, w, (int16_t)k) - sum;
    }
#endif
    int32_t plus = 0;
    int32_t i;
    for (i = 0; i < k; i += TP_BWORD_BITS) {
        const int16_t *const x0 = v + i;
        tp_bword bits = *w++;
        /* A word's values (at most 32 x 255) add up in 16 bits. Only the set bits are visited
         * (the bits past k are 0): about half the values, 5 instructions each with CTZ. */
        int16_t part = 0;
#if defined(__GNUC__) && TP_BWORD_BITS == 32
        while (bits != 0u) {
            part = (int16_t)(part + x0[__builtin_ctz(bits)]);
            bits &= bits - 1u;
        }
#else
        const int16_t *x = x0;
        while (bits != 0u) {
            if (bits & 1u) {
                part = (int16_t)(part + *x);
            }
            bits = (tp_bword)(bits >> 1);
            x++;
        }
#endif
        plus += part;
    }
    return 2 * plus - sum;
}

/* Collects output bits into packed words, stored as each fills (the last one at the end). A
 * moving mask, not a bit index: a shift by a variable count is a loop on the MSP430. */
typedef struct {
    tp_bword *out;
    tp_bword word;
    tp_bword mask;
} tp_bit_writer;

static inline void tp_bit_start(tp_bit_writer *w, tp_bword *out)
{
    w->out = out;
    w->word = 0;
    w->mask = 1;
}

static inline void tp_bit_put(tp_bit_writer *w, int32_t one)
{
    if (one) {
        w->word = (tp_bword)(w->word | w->mask);
    }
    w->mask = (tp_bword)(w->mask << 1);
    if (w->mask == 0u) {
        *w->out++ = w->word;
        w->word = 0;
        w->mask = 1;
    }
}

static inline void tp_bit_flush(tp_bit_writer *w)
{
    if (w->mask != 1u) {
        *w->out++ = w->word;
        w->word = 0;
        w->mask = 1;
    }
}

/* The int8 output of dot + bias for channel o. */
static inline int8_t tp_binary_requant(int32_t acc, const tp_channel_quant *quant, int32_t o,
                                       int32_t output_offset, const tp_activation_s8 *act)
{
    return tp_requant_acc_s8(acc, quant->multiplier[o], quant->shift[o], output_offset,
                             act->min, act->max);
}

#endif /* TP_BINARY_WINDOW_H */
