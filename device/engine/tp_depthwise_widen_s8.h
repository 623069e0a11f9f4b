/* The int16 expansion the paired-tap depthwise kernels (K x 1 columns, stride-2 rows) run
 * their SMLAD passes on: n input pixels `stride` bytes apart, channels [0, g), each value plus
 * the input offset, into dst[ch * len + start + i]. On the DSP the pixel pairs of four
 * channels at a time in tp_s8_widen_pairs (arch/armv7em: two LDR, four SXTAB16, four PKH per
 * two pixels), an odd pixel before them (odd start, so the pairs stay word-aligned) or after
 * them one at a time; the channels past the last quad in C. Private to those kernels. */
#ifndef TP_DEPTHWISE_WIDEN_S8_H
#define TP_DEPTHWISE_WIDEN_S8_H

#include "tp_engine_s8.h"
#include "tp_requant.h"

#if TP_S8_ASM
#include "arch/armv7em/tp_armv7em_s8.h"
#endif

/* Always inlined: a call would cost the stride-2 kernel 20 instructions on the bench case. */
static inline __attribute__((always_inline)) void
tp_s8_widen_line(const int8_t *src, int32_t stride, int32_t n, int32_t start, int32_t offset,
                 int16_t *dst, int32_t len, int32_t g)
{
    int32_t ch = 0;
    int32_t i;
#if TP_S8_ASM
    {
        const uint32_t pair = ((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16);
        const int32_t quads = g / 4;
        const int32_t head = (start & 1) && n > 0;
        const int32_t pairs = (n - head) / 2;
        const int32_t tail = head + 2 * pairs;
        int32_t q;
        for (q = 0; (head || tail < n) && q < 4 * quads; q += 4) {
            int16_t *e = dst + q * len + start;
            if (head) {
                tp_s8_widen_one(src + q, pair, e, len);
            }
            if (tail < n) {
                tp_s8_widen_one(src + tail * stride + q, pair, e + tail, len);
            }
        }
        ch = 4 * quads;
        if (quads > 0 && pairs > 0) {
            tp_s8_widen_pairs(src + head * stride, stride, pairs, pair,
                              (uint32_t *)(void *)(dst + start + head), len * 2, quads);
        }
    }
#endif
    for (; ch < g; ch++) {
        int16_t *e = dst + ch * len + start;
        const int8_t *s = src + ch;
        for (i = 0; i < n; i++, s += stride) {
            e[i] = (int16_t)(*s + offset);
        }
    }
}

#endif
