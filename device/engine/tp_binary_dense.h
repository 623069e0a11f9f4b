/* Private helpers of the binary fully connected kernels (tp_engine_b1.h): the words of one
 * batch row and the int8 input's dot product with grouped binary weights. */
#ifndef TP_BINARY_DENSE_H
#define TP_BINARY_DENSE_H

#include "tp_binary_window.h"

#include <stdint.h>

/* Words of one packed row of k inputs in groups of group. */
static inline int32_t tp_binary_row_words(int32_t k, int32_t group)
{
    return (k / group) * TP_BWORDS(group);
}

/* sum over i of (x[i] + input_offset) * (+1 or -1 by weight bit i), weights packed in groups. */
static inline int32_t tp_binary_dot_grouped_s8(const int8_t *x, int32_t input_offset,
                                               const tp_bword *w, int32_t k, int32_t group)
{
    const int32_t wpg = TP_BWORDS(group);
    int32_t acc = 0;
    int32_t g;
    for (g = 0; g < k; g += group) {
        int32_t i;
        for (i = 0; i < group; i++) {
            const int32_t v = x[g + i] + input_offset;
            acc += ((w[i / TP_BWORD_BITS] >> (i % TP_BWORD_BITS)) & 1u) ? v : -v;
        }
        w += wpg;
    }
    return acc;
}

static inline int32_t tp_binary_fc_check(const tp_binary_fc_params *params,
                                         const tp_dims *input_dims, const tp_dims *output_dims)
{
    return params->group > 0 && input_dims->c % params->group == 0 &&
           input_dims->n == output_dims->n;
}

#endif /* TP_BINARY_DENSE_H */
