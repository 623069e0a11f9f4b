/* Private: counting per output channel with the channels packed along a word ("vertical", one
 * lane per output channel), the layout of tp_binary_conv_b1_oc.
 *
 * Input bit k of a window meets the word wt[k] holding bit k of the filters of the word's
 * output channels (lane l = channel l of the tile); d = wt[k] XOR (all ones if x_k is +1)
 * marks the lanes where x_k and the weight differ. The lanes' counts of differences are kept
 * bit-sliced: carry-save adders (Harley-Seal) reduce 16 words to one word of weight 16 with
 * 15 adders of 5 logic instructions each, the planes ones, twos, fours and eights carried
 * from block to block (and, with 32-bit words, sixteens: a 16th adder pairs the two blocks of
 * a word), and the words of the next weight rippled into the higher planes: about 5 logic
 * instructions per input bit for TP_BWORD_BITS channels at once, no popcount at all.
 * The count of lane l is then sum_i 2^i plane_i[l], compared with the lane's bound plane by
 * plane (bit-sliced less-than), which gives the packed output word directly.
 */
#ifndef TP_BINARY_COUNT_OC_H
#define TP_BINARY_COUNT_OC_H

#include "tp_engine_b1.h"

#include <stdint.h>

/* Planes of weight 32 on (TP_BWORD_BITS 32) or 16 on (16) a count may reach. */
#define TP_OC_HIGH_PLANES 24

/* h:l = a + b + c, lane by lane (carry-save adder). */
#define TP_CSA(h, l, a, b, c)                                                                     \
    do {                                                                                          \
        const tp_bword u_ = (tp_bword)((a) ^ (b));                                                \
        (h) = (tp_bword)(((a) & (b)) | (u_ & (c)));                                               \
        (l) = (tp_bword)(u_ ^ (c));                                                               \
    } while (0)

/* All ones where bit j (a constant) of x is set: one SBFX on ARMv7-M. */
#if TP_BWORD_BITS == 32
#define TP_LANES(x, j) ((tp_bword)((int32_t)((x) << (31 - (j))) >> 31))
#else
#define TP_LANES(x, j) ((tp_bword)(0u - (tp_bword)(((x) >> (j)) & 1u)))
#endif

#define TP_D(x, j, wt) ((tp_bword)((wt)[j] ^ TP_LANES(x, j)))

/* The differences of bits j0 .. j0 + 15 of x against wt[j0 ..] added to the planes ones,
 * twos, fours, eights (variables of the caller); `sixteens` receives the carry of weight 16. */
#define TP_OC_ADD16(x, j0, wt, sixteens)                                                          \
    do {                                                                                          \
        tp_bword twos_a, twos_b, fours_a, fours_b, eights_a, eights_b;                            \
        TP_CSA(twos_a, ones, ones, TP_D(x, (j0) + 0, wt), TP_D(x, (j0) + 1, wt));                 \
        TP_CSA(twos_b, ones, ones, TP_D(x, (j0) + 2, wt), TP_D(x, (j0) + 3, wt));                 \
        TP_CSA(fours_a, twos, twos, twos_a, twos_b);                                              \
        TP_CSA(twos_a, ones, ones, TP_D(x, (j0) + 4, wt), TP_D(x, (j0) + 5, wt));                 \
        TP_CSA(twos_b, ones, ones, TP_D(x, (j0) + 6, wt), TP_D(x, (j0) + 7, wt));                 \
        TP_CSA(fours_b, twos, twos, twos_a, twos_b);                                              \
        TP_CSA(eights_a, fours, fours, fours_a, fours_b);                                         \
        TP_CSA(twos_a, ones, ones, TP_D(x, (j0) + 8, wt), TP_D(x, (j0) + 9, wt));                 \
        TP_CSA(twos_b, ones, ones, TP_D(x, (j0) + 10, wt), TP_D(x, (j0) + 11, wt));               \
        TP_CSA(fours_a, twos, twos, twos_a, twos_b);                                              \
        TP_CSA(twos_a, ones, ones, TP_D(x, (j0) + 12, wt), TP_D(x, (j0) + 13, wt));               \
        TP_CSA(twos_b, ones, ones, TP_D(x, (j0) + 14, wt), TP_D(x, (j0) + 15, wt));               \
        TP_CSA(fours_b, twos, twos, twos_a, twos_b);                                              \
        TP_CSA(eights_b, fours, fours, fours_a, fours_b);                                         \
        TP_CSA(sixteens, eights, eights, eights_a, eights_b);                                     \
    } while (0)

/* Add a word of carries (lanes' weight 2^4 x 2^p0... as the caller decides) to the planes
 * high[0 ..], rippling. */
static inline void tp_oc_ripple(tp_bword *high, int32_t planes, tp_bword carry)
{
    int32_t p;
    for (p = 0; p < planes && carry != 0u; p++) {
        const tp_bword next = (tp_bword)(high[p] & carry);
        high[p] = (tp_bword)(high[p] ^ carry);
        carry = next;
    }
}

/* Lanes whose count (planes count[0 .. planes - 1], lowest first) is below their bound (planes
 * bound[0 .. planes - 1]): a bit-sliced less-than from the lowest plane up. planes covers
 * every bit of the counts and bounds (the code generator gives bits(K + 1)). */
static inline tp_bword tp_oc_less(const tp_bword *count, const tp_bword *bound, int32_t planes)
{
    const tp_bword *const end = bound + planes;
    tp_bword lt = 0;
    while (bound < end) {
        const tp_bword b = *bound++;
        const tp_bword t = (tp_bword)(*count++ ^ b);
        lt = (tp_bword)((t & b) | (~t & lt));
    }
    return lt;
}

#endif /* TP_BINARY_COUNT_OC_H */
