/* Private helpers of the binary fully connected kernels (tp_engine_b1.h): the words of one
 * batch row and the int8 input's dot product with binary weights, which the int8-input kernels
 * take as one flat bit string per output (bit i of unit o in word i / W of its row). */
#ifndef TP_BINARY_DENSE_H
#define TP_BINARY_DENSE_H

#include "tp_binary_window.h"

#include <stdint.h>

/* Words of one packed row of k inputs in groups of group. */
static inline int32_t tp_binary_row_words(int32_t k, int32_t group)
{
    return (k / group) * TP_BWORDS(group);
}

/* sum over i < k of (x[i] + input_offset) * (+1 or -1 by bit i of the flat bit string w):
 * 2 x (the values whose weight is +1) - sum, sum being that of all k values. */
static inline int32_t tp_binary_dot_flat_s8(const int8_t *x, int32_t input_offset,
                                            const tp_bword *w, int32_t k, int32_t sum)
{
    const int8_t *const end = x + k;
    int32_t plus = 0;
    int32_t count = 0;
    while (x < end) {
        const int8_t *const stop = end - x > TP_BWORD_BITS ? x + TP_BWORD_BITS : end;
        tp_bword bits = *w++;
        while (x < stop) {
            if (bits & 1u) {
                plus += *x;
                count++;
            }
            bits = (tp_bword)(bits >> 1);
            x++;
        }
    }
    return 2 * (plus + count * input_offset) - sum;
}

/* sum over i < k of x[i] + input_offset. */
static inline int32_t tp_binary_row_sum_s8(const int8_t *x, int32_t input_offset, int32_t k)
{
    const int8_t *const end = x + k;
    int32_t sum = 0;
    while (x < end) {
        sum += *x++;
    }
    return sum + k * input_offset;
}

static inline int32_t tp_binary_fc_check(const tp_binary_fc_params *params,
                                         const tp_dims *input_dims, const tp_dims *output_dims)
{
    return params->group > 0 && input_dims->c % params->group == 0 &&
           input_dims->n == output_dims->n;
}

#endif /* TP_BINARY_DENSE_H */
