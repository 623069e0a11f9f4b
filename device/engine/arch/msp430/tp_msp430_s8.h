/* Private: int8 dot products on the MSP430's hardware multiplier (the MSP430 twin of
 * arch/armv7em/tp_armv7em_s8.h), for boards that name their multiplier header in
 * TP_DSP_HWMULT_HEADER (boards/msp430fr6989: TP_MACS, TP_OP2, TP_RESLO, TP_RESHI).
 *
 * The 16-bit CPU has no 8x8 multiply and the simulated multiplier no sign-extending byte mode,
 * so each MAC is: load a byte, SXT, write it to MACS (operand 1, signed multiply-accumulate);
 * load a byte, SXT, write it to OP2, which adds the product to RESHI:RESLO (32 bits, wrapping,
 * as the int32 accumulator of the portable path). The accumulator is preloaded with the bias
 * by writing RESLO/RESHI. Each MAC is six instructions (mov.b @Rn+ / sxt / mov Rn,&MACS,
 * then the same to &OP2: 2 + 1 + 4 cycles each, 14 cycles), unrolled four times. Like the compiler's multiply helpers, nothing here saves the multiplier for
 * interrupt handlers.
 */
#ifndef TP_MSP430_S8_H
#define TP_MSP430_S8_H

#include <stddef.h>
#include <stdint.h>

#include "tp_requant.h"

#include TP_DSP_HWMULT_HEADER

/* One MAC of *x++ and *w++ (t: a scratch register). Inline assembly for the post-increment
 * loads: clang-14 addresses unrolled bytes as X(Rn) (3 cycles) instead of @Rn+ (2 cycles).
 * The "memory" clobber says the assembly reads what x and w point to (the gather's stores
 * must happen before it). */
#define TP_MSP430_MAC_ASM                                                                      \
    "mov.b @%0+, %2\n\tsxt %2\n\tmov %2, %3\n\tmov.b @%1+, %2\n\tsxt %2\n\tmov %2, %4\n\t"
#define TP_MSP430_MAC_OPERANDS "+r"(x), "+r"(w), "=&r"(t), "=m"(TP_MACS), "=m"(TP_OP2)

static inline void tp_msp430_acc_load(int32_t init)
{
    TP_RESLO = (uint16_t)init;
    TP_RESHI = (uint16_t)((uint32_t)init >> 16);
}

static inline int32_t tp_msp430_acc_read(void)
{
    return (int32_t)(((uint32_t)TP_RESHI << 16) | TP_RESLO);
}

/* The dot products and the requantization are out of line: clang lowers a 32-bit multiply
 * to a helper call that uses the multiplier, and inlined into a caller it may schedule one of
 * the caller's multiplies (an index computation) between the accumulator's preload and the
 * MACs. These functions themselves multiply nothing but through the registers. */

/* init + sum of x[i] * w[i] for i < n (n < 2^15), exactly as the int32 portable loop. */
static inline __attribute__((noinline)) int32_t
tp_msp430_dot_s8(const int8_t *x, const int8_t *w, int16_t n, int32_t init)
{
    uint16_t t;
    int16_t q;
    tp_msp430_acc_load(init);
    for (q = n >> 2; q > 0; q--) {
        __asm__ volatile(TP_MSP430_MAC_ASM TP_MSP430_MAC_ASM TP_MSP430_MAC_ASM TP_MSP430_MAC_ASM
                         : TP_MSP430_MAC_OPERANDS : : "memory");
    }
    for (q = n & 3; q > 0; q--) {
        __asm__ volatile(TP_MSP430_MAC_ASM : TP_MSP430_MAC_OPERANDS : : "memory");
    }
    return tp_msp430_acc_read();
}

/* The same over quads of 4 weights 16 bytes apart (the 4x4 interleaved fully-connected
 * layout: one output's weights for input quad q sit at w + 16 q). */
static inline __attribute__((noinline)) int32_t
tp_msp430_dot_s8_quads(const int8_t *x, const int8_t *w, int16_t quads, int32_t init)
{
    uint16_t t;
    tp_msp430_acc_load(init);
    for (; quads > 0; quads--) {
        __asm__ volatile(TP_MSP430_MAC_ASM TP_MSP430_MAC_ASM TP_MSP430_MAC_ASM TP_MSP430_MAC_ASM
                         : TP_MSP430_MAC_OPERANDS : : "memory");
        w += 12;
    }
    return tp_msp430_acc_read();
}

/* One MAC of an int16 input *x++ (the gather widened it) and an int8 weight *w++: the input
 * goes from memory to MACS in one instruction (mov @R13+,0(R15): 5 cycles), 12 cycles a MAC.
 * clang-14's assembler has no @Rn+ source with a memory destination, so that instruction is
 * written as its encoding (0x4DBF: mov, source R13 autoincrement, destination 0(R15)) with x
 * pinned to R13 and MACS's address to R15. */
#define TP_MSP430_MAC16_ASM ".word 0x4dbf, 0\n\tmov.b @%1+, %2\n\tsxt %2\n\tmov %2, 0(%4)\n\t"
#define TP_MSP430_MAC16_OPERANDS "+r"(x), "+r"(w), "=&r"(t) : "r"(macs), "r"(&TP_OP2)

/* n <= TILE accumulators of one output channel at once: acc[j] = (bias ? *bias : acc[j]) +
 * sum of cols[j kc + i] * w[i] for i < values, cols the int16 windows of the tile's pixels
 * (kc values apart). One call per channel keeps the call overhead off every pixel. */
static inline __attribute__((noinline)) void
tp_msp430_dot_tile_s16(const int16_t *cols, int16_t kc, const int8_t *weights, int16_t values,
                       int16_t n, const int32_t *bias, int32_t *acc)
{
    int16_t j;
    for (j = 0; j < n; j++, cols += kc) {
        register const int16_t *x __asm__("r13") = cols;
        register volatile uint16_t *macs __asm__("r15") = &TP_MACS;
        const int8_t *w = weights;
        uint16_t t;
        int16_t q;
        tp_msp430_acc_load(bias != NULL ? *bias : acc[j]);
        for (q = values >> 2; q > 0; q--) {
            __asm__ volatile(TP_MSP430_MAC16_ASM TP_MSP430_MAC16_ASM TP_MSP430_MAC16_ASM
                                 TP_MSP430_MAC16_ASM
                             : TP_MSP430_MAC16_OPERANDS : "memory");
        }
        for (q = values & 3; q > 0; q--) {
            __asm__ volatile(TP_MSP430_MAC16_ASM : TP_MSP430_MAC16_OPERANDS : "memory");
        }
        acc[j] = tp_msp430_acc_read();
    }
}

/* tp_requant_fast(x, multiplier, e, rnd) (tp_requant.h) for |x| < 2^30, multiplier in
 * [2^30, 2^31), e >= 1: the 32 x 32 high multiply as four 16 x 16 products on the multiplier
 * instead of the 64-bit helper, once per output.
 *
 * With x = xh 2^16 + xl and M = mh 2^16 + ml (xl, ml unsigned), x M + 2^30 = xh mh 2^32 +
 * 2^16 mid + r (0 <= r < 2^16) where mid = (xl ml >> 16) + xl mh + xh ml + 2^14, so
 * h = floor((x M + 2^30) / 2^31) = 2 xh mh + floor(mid / 2^15). |xh| <= 2^14 and mh < 2^15
 * bound mid to [-2^30 + 2^15, 2^31 + 2^30 - 2^16), so mid + 2^30 - 2^15 fits an unsigned
 * 32-bit accumulator exactly, and the multiplier's wrapping sums give it: xh ml is a signed
 * product with ml read as int16, plus xh 2^16 when ml >= 2^15. */
static inline __attribute__((noinline)) int32_t
tp_msp430_requant_fast(int32_t x, int32_t multiplier, int32_t e, int32_t rnd)
{
    const uint16_t xl = (uint16_t)x;
    const uint16_t xh = (uint16_t)((uint32_t)x >> 16);
    const uint16_t ml = (uint16_t)multiplier;
    const uint16_t mh = (uint16_t)((uint32_t)multiplier >> 16);
    uint32_t mid;
    int32_t h;
    TP_MPY = xl;
    TP_OP2 = ml;
    mid = (uint32_t)TP_RESHI + ((uint32_t)1 << 30) - ((uint32_t)1 << 14);
    TP_RESLO = (uint16_t)mid;
    TP_RESHI = (uint16_t)(mid >> 16) + ((ml & 0x8000u) ? xh : 0u);
    TP_MAC = xl;
    TP_OP2 = mh;
    TP_MACS = xh;
    TP_OP2 = ml;
    mid = ((uint32_t)TP_RESHI << 1) | (TP_RESLO >> 15);
    TP_MPYS = xh;
    TP_OP2 = mh;
    h = (int32_t)(((uint32_t)TP_RESHI << 16) | TP_RESLO);
    h = h + h + (int32_t)mid - (int32_t)0x7FFF;
    return (h + rnd + (h < 0 ? -1 : 0)) >> e;
}

/* tp_multiply_by_quantized_multiplier_lr (the generic requantization) as one out-of-line copy:
 * inlined, its 64-bit arithmetic costs about a kilobyte of FRAM per call site. */
static inline __attribute__((noinline)) int32_t
tp_msp430_requant_lr(int32_t x, int32_t multiplier, int32_t left, int32_t right)
{
    return tp_multiply_by_quantized_multiplier_lr(x, multiplier, left, right);
}

#endif /* TP_MSP430_S8_H */
