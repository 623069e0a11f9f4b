/* Private helpers of the binary convolutions: the window of one output pixel gathered into the
 * scratch (binary: packed words, a padded pixel all 0 = -1; int8: centered int16 values, a
 * padded position 0), the int8 dot product of binary weights, and the two output stages. */
#ifndef TP_BINARY_WINDOW_H
#define TP_BINARY_WINDOW_H

#include "tp_engine_b1.h"
#include "tp_requant.h"

#include <stdint.h>

/* Copy the kh x kw window whose top-left input position is (iy, ix) of a packed binary image
 * (in_h x in_w pixels of words_per_pixel words) into col, padded pixels as 0 words. One
 * multiply per window row and plain copies between the clipped ends (the MSP430 has no
 * multiply instruction). */
static inline void tp_binary_gather_b1(const tp_bword *image, int32_t in_h, int32_t in_w,
                                       int32_t words_per_pixel, int32_t iy, int32_t ix,
                                       int32_t kh, int32_t kw, tp_bword *col)
{
    const int32_t row_words = kw * words_per_pixel;
    int32_t lo;
    int32_t hi;
    int32_t ky;
    tp_clip_window(ix, kw, in_w, &lo, &hi);
    lo *= words_per_pixel;
    hi *= words_per_pixel;
    /* Pointer loops: no 32-bit counter per word on the MSP430. */
    for (ky = 0; ky < kh; ky++) {
        const int32_t y = iy + ky;
        tp_bword *const end = col + row_words;
        if (y >= 0 && y < in_h) {
            const tp_bword *src = image + (y * in_w + ix) * words_per_pixel + lo;
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
    }
}

/* The kh x kw x c window of an int8 image at (iy, ix) as int16 values x + input_offset
 * (padded positions 0) in col, gathered as tp_binary_gather_b1 does. */
static inline void tp_binary_gather_s8(const int8_t *image, int32_t in_h, int32_t in_w,
                                       int32_t c, int32_t input_offset, int32_t iy, int32_t ix,
                                       int32_t kh, int32_t kw, int16_t *col)
{
    const int32_t row_values = kw * c;
    const int16_t offset = (int16_t)input_offset;
    int32_t lo;
    int32_t hi;
    int32_t ky;
    tp_clip_window(ix, kw, in_w, &lo, &hi);
    lo *= c;
    hi *= c;
    for (ky = 0; ky < kh; ky++) {
        const int32_t y = iy + ky;
        int16_t *const end = col + row_values;
        if (y >= 0 && y < in_h) {
            const int8_t *src = image + (y * in_w + ix) * c + lo;
            int16_t *const first = col + lo;
            int16_t *const last = col + hi;
            while (col < first) {
                *col++ = 0;
            }
            while (col < last) {
                *col++ = (int16_t)(*src++ + offset);
            }
        }
        while (col < end) {
            *col++ = 0;
        }
    }
}

/* sum of v[p * c + k] * (+1 or -1 by bit k of weight position p) over positions p of
 * words_per_position words: additions and subtractions only. */
static inline int32_t tp_binary_dot_s8(const int16_t *v, const tp_bword *w, int32_t positions,
                                       int32_t c, int32_t words_per_position)
{
    int32_t acc = 0;
    int32_t p;
    for (p = 0; p < positions; p++) {
        int32_t k;
        for (k = 0; k < c; k++) {
            const int32_t x = v[k];
            acc += ((w[k / TP_BWORD_BITS] >> (k % TP_BWORD_BITS)) & 1u) ? x : -x;
        }
        v += c;
        w += words_per_position;
    }
    return acc;
}

/* Collects output bits into packed words, stored as each fills (the last one at the end). */
typedef struct {
    tp_bword *out;
    tp_bword word;
    int32_t bit;
} tp_bit_writer;

static inline void tp_bit_put(tp_bit_writer *w, int32_t one)
{
    if (one) {
        w->word = (tp_bword)(w->word | ((tp_bword)1 << w->bit));
    }
    if (++w->bit == TP_BWORD_BITS) {
        *w->out++ = w->word;
        w->word = 0;
        w->bit = 0;
    }
}

static inline void tp_bit_flush(tp_bit_writer *w)
{
    if (w->bit != 0) {
        *w->out++ = w->word;
        w->word = 0;
        w->bit = 0;
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
