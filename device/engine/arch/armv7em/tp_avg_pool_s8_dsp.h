/* Private to tp_avg_pool_s8.c: the sums of its ARMv7E-M path. */
#ifndef TP_AVG_POOL_S8_DSP_H
#define TP_AVG_POOL_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "../../tp_requant.h"

/* Sums of four channels over the clipped window, two int16 lanes per word (SXTAB16): exact for
 * windows of at most 256 values. */
static void sum4(const int8_t *x, int32_t row, int32_t c, int32_t rows, int32_t cols,
                 int32_t *sums)
{
    uint32_t s02 = 0;
    uint32_t s13 = 0;
    int32_t ky;
    for (ky = 0; ky < rows; ky++, x += row) {
        const int8_t *p = x;
        int32_t kx;
        for (kx = 0; kx < cols; kx++, p += c) {
            const uint32_t v = tp_load_word(p);
            s02 = __sxtab16(s02, v);
            s13 = __sxtab16(s13, tp_ror(v, 8));
        }
    }
    sums[0] = (int16_t)s02;
    sums[1] = (int16_t)s13;
    sums[2] = (int16_t)(s02 >> 16);
    sums[3] = (int16_t)(s13 >> 16);
}

#endif /* TP_AVG_POOL_S8_DSP_H */
