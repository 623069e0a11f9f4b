/* Private: the parts of TFLite's int8 softmax that both kernels share (tp_softmax_s8.c computes
 * the exponentials, tp_softmax_table_s8.c reads them from a table): the sum of the
 * exponentials in Q12.19, its leading zeros and the fixed-point reciprocal, and the row maximum. */
#ifndef TP_SOFTMAX_S8_H
#define TP_SOFTMAX_S8_H

#include <stdint.h>

#include "tp_requant.h"

#define TP_SOFTMAX_ACCUM_INTEGER_BITS 12

/* Leading zeros of x > 0 in five steps whatever x is (a bit-by-bit loop would take as many
 * passes as there are zeros). */
static inline int32_t tp_softmax_leading_zeros(uint32_t x)
{
    int32_t n = 0;
    if (x < 0x10000ul) {
        n += 16;
        x <<= 16;
    }
    if (x < 0x1000000ul) {
        n += 8;
        x <<= 8;
    }
    if (x < 0x10000000ul) {
        n += 4;
        x <<= 4;
    }
    if (x < 0x40000000ul) {
        n += 2;
        x <<= 2;
    }
    return x < 0x80000000ul ? n + 1 : n;
}

/* gemmlowp's fixed-point product of Q0.31-scaled values (saturating). */
static inline int32_t tp_softmax_mul(int32_t a, int32_t b)
{
    return tp_saturating_rounding_doubling_high_mul(a, b);
}

/* 1 / (1 + a) as Q0.31 for Q0.31 a in [0, 1): three Newton-Raphson steps. */
static inline int32_t tp_softmax_one_over_one_plus_x(int32_t a)
{
    const int32_t half_denominator = (int32_t)(((int64_t)a + TP_INT32_MAX + 1) / 2);
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t x = 1515870810L + tp_softmax_mul(half_denominator, -1010580540L);
    int32_t i;
    for (i = 0; i < 3; i++) {
        const int32_t t = one_q2 - tp_softmax_mul(half_denominator, x);
        x = x + tp_saturating_rounding_multiply_by_pot(tp_softmax_mul(x, t), 2);
    }
    return tp_saturating_rounding_multiply_by_pot(x, 1);
}

/* The largest value of a row of depth int8 values (-128 for an empty row). */
static inline int32_t tp_softmax_row_max(const int8_t *x, int32_t depth)
{
    int32_t max = -128;
    int32_t i;
    for (i = 0; i < depth; i++) {
        max = x[i] > max ? x[i] : max;
    }
    return max;
}

/* The fixed-point reciprocal of a Q12.19 sum of exponentials (sum >= 2^19, the maximum's own
 * 1.0) as Q0.31, normalized by the sum's leading zeros; *bits_over_unit receives how many
 * bits the sum has above 1.0, which the caller's output shift adds back. */
static inline int32_t tp_softmax_reciprocal_of_sum(int32_t sum, int32_t *bits_over_unit)
{
    const int32_t headroom = tp_softmax_leading_zeros((uint32_t)sum);
    *bits_over_unit = TP_SOFTMAX_ACCUM_INTEGER_BITS - headroom;
    return tp_softmax_one_over_one_plus_x(
        (int32_t)(((uint32_t)sum << headroom) - (uint32_t)0x80000000ul));
}

#endif /* TP_SOFTMAX_S8_H */
