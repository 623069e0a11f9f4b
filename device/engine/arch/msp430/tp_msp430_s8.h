/* Private: int8 dot products and the fast requantization on the MSP430's hardware multiplier
 * (the MSP430 twin of arch/armv7em/tp_armv7em_s8.h), for boards that name their multiplier
 * header in TP_DSP_HWMULT_HEADER (boards/msp430fr6989: the TP_*_ADDR register addresses).
 * The routines are assembly, one per .S file beside this header (each file says its cycle
 * counts); like the compiler's multiply helpers, nothing saves the multiplier for interrupt
 * handlers.
 */
#ifndef TP_MSP430_S8_H
#define TP_MSP430_S8_H

#include <stddef.h>
#include <stdint.h>

#include "tp_requant.h"

/* *init + sum of x[i] * w[i] for i < n (n < 2^15), exactly as the int32 portable loop. */
int32_t tp_msp430_dot_s8(const int8_t *x, const int8_t *w, int16_t n, const int32_t *init);

/* The same over quads of 4 weights 16 bytes apart (the 4x4 interleaved fully-connected
 * layout: one output's weights for input quad q sit at w + 16 q). */
int32_t tp_msp430_dot_s8_quads(const int8_t *x, const int8_t *w, int16_t quads,
                               const int32_t *init);

/* n <= TILE accumulators of one output channel at once: acc[j] = (bias ? *bias : acc[j]) +
 * sum of cols[j kc + i] * w[i] for i < values, cols the int16 windows of the tile's pixels
 * (kc values apart). */
void tp_msp430_dot_tile_s16(const int16_t *cols, int16_t kc, const int8_t *weights,
                            int16_t values, int16_t n, const int32_t *bias, int32_t *acc);

/* tp_requant_fast(x, multiplier, e, 2^(e-1)) (tp_requant.h) for |x| < 2^30, multiplier in
 * [2^30, 2^31), 1 <= e <= 31, where it lies in [-2^14, 2^14]; outside, a value of the same
 * sign at least 2^14 in magnitude, which every caller's int8 clamp (after an output offset of
 * at most 2^8) turns into the same byte. */
int32_t tp_msp430_requant_fast(int32_t x, int32_t multiplier, int16_t e);

/* One output channel of a convolution tile to requantize with tp_msp430_requant_fast and
 * store (tp_msp430_store_fast_s8.S reads the fields at the offsets checked below). */
typedef struct {
    const int32_t *acc;  /* outs accumulators, or 4 per output with pool */
    int8_t *const *dst;  /* channel 0 of each output */
    int16_t outs;
    int16_t pool;        /* 1: the maximum of 4 accumulators per output */
    int16_t c;           /* the channel */
    int16_t e;           /* -shift */
    int32_t mult;
    int16_t off;
    int16_t lo;
    int16_t hi;
} tp_msp430_store_job;

typedef char tp_msp430_store_job_layout[offsetof(tp_msp430_store_job, mult) == 12 &&
                                                offsetof(tp_msp430_store_job, hi) == 20
                                            ? 1
                                            : -1];

/* dst[j][c] = clamp(requant(acc[j] or the maximum of its 4) + off, lo, hi) for j < outs. */
void tp_msp430_store_fast_s8(const tp_msp430_store_job *job);

/* tp_multiply_by_quantized_multiplier_lr (the generic requantization) as one out-of-line copy:
 * inlined, its 64-bit arithmetic costs about a kilobyte of FRAM per call site. */
static inline __attribute__((noinline)) int32_t
tp_msp430_requant_lr(int32_t x, int32_t multiplier, int32_t left, int32_t right)
{
    return tp_multiply_by_quantized_multiplier_lr(x, multiplier, left, right);
}

#endif /* TP_MSP430_S8_H */
