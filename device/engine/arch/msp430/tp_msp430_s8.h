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

/* tp_requant_fast(x, multiplier, e, 2^(e-1)) (tp_requant.h) for |x| < 2^30, multiplier in
 * [2^30, 2^31), 1 <= e <= 31, where it lies in [-2^14, 2^14]; outside, a value of the same
 * sign at least 2^14 in magnitude, which every caller's int8 clamp (after an output offset
 * of at most 2^8) turns into the same byte. Once per output, in 16-bit steps: the MSP430 has
 * no barrel shifter, and 32-bit shifts and 64-bit products are helper calls.
 *
 * The high multiply h = floor((x M + 2^30) / 2^31) as four 16 x 16 products: with
 * x = xh 2^16 + xl and M = mh 2^16 + ml (xl, ml unsigned), x M + 2^30 = xh mh 2^32 +
 * 2^16 mid + r (0 <= r < 2^16) where mid = (xl ml >> 16) + xl mh + xh ml + 2^14, so
 * h = 2 xh mh + floor(mid / 2^15). |xh| <= 2^14 and mh < 2^15 bound mid to
 * [-2^30 + 2^15, 2^31 + 2^30 - 2^16), so mid + 2^30 - 2^15 fits an unsigned 32-bit
 * accumulator exactly, and the multiplier's wrapping sums give it: xh ml is a signed product
 * with ml read as int16, plus xh 2^16 when ml >= 2^15.
 *
 * The rounding shift (h + 2^(e-1) - (h < 0)) >> e equals (g + 1) >> 1 with
 * g = (h - (h < 0)) >> (e - 1), and g is taken from the 16-bit halves of a = h - (h < 0):
 * a >> s = ah 2^(16-s) + (al >> s) for s < 16, which fits 16 bits exactly when
 * -2^(s-1) <= ah < 2^(s-1) (else it saturates). */
static inline __attribute__((noinline)) int32_t tp_msp430_requant_fast(int32_t x,
                                                                        int32_t multiplier,
                                                                        int16_t e)
{
    const uint16_t xl = (uint16_t)x;
    const uint16_t xh = (uint16_t)((uint32_t)x >> 16);
    const uint16_t ml = (uint16_t)multiplier;
    const uint16_t mh = (uint16_t)((uint32_t)multiplier >> 16);
    uint32_t mid;
    int32_t a;
    int16_t ah;
    uint16_t al;
    int16_t s = (int16_t)(e - 1);
    int16_t g;
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
    a = (int32_t)(((uint32_t)TP_RESHI << 16) | TP_RESLO);
    a = a + a + (int32_t)mid - (int32_t)0x7FFF;
    a += a < 0 ? -1 : 0;
    ah = (int16_t)((uint32_t)a >> 16);
    al = (uint16_t)a;
    if (s >= 16) {
        g = ah;
        for (s = (int16_t)(s - 16); s > 0; s--) {
            g >>= 1;
        }
    } else if (s > 0 && ah >= -(int16_t)(1 << (s - 1)) && ah < (int16_t)(1 << (s - 1))) {
        uint16_t hi = (uint16_t)ah;
        int16_t k;
        for (k = (int16_t)(16 - s); k > 0; k--) {
            hi <<= 1;
        }
        for (k = s; k > 0; k--) {
            al >>= 1;
        }
        g = (int16_t)(hi + al);
    } else if (s == 0 && a >= -32768 && a <= 32767) {
        g = (int16_t)a;
    } else {
        g = ah < 0 ? (int16_t)-32768 : (int16_t)32767;
    }
    return ((int32_t)g + 1) >> 1;
}

/* tp_multiply_by_quantized_multiplier_lr (the generic requantization) as one out-of-line copy:
 * inlined, its 64-bit arithmetic costs about a kilobyte of FRAM per call site. */
static inline __attribute__((noinline)) int32_t
tp_msp430_requant_lr(int32_t x, int32_t multiplier, int32_t left, int32_t right)
{
    return tp_multiply_by_quantized_multiplier_lr(x, multiplier, left, right);
}

#endif /* TP_MSP430_S8_H */
