/* Private: ARMv7E-M helpers of the int8 kernels' DSP paths (included by tp_requant.h when
 * __ARM_FEATURE_DSP is defined, after <arm_acle.h>).
 *
 * Two of them are single instructions that ACLE has no intrinsic for and that gcc 12 does not
 * produce from C where they are used, so GNU compilers get them as one-instruction inline
 * assembly: SMMULR (the fast requantization's rounding high multiply; the C form costs 5,006
 * instructions on the AD model) and SXTB16 / SXTAB16 with ROR #8 (the C form with a rotate
 * costs 1,175 on the KWS model's first convolution and one instruction per four values in the
 * K x 1 depthwise column expansion). Other compilers get the C forms.
 */
#ifndef TP_ARMV7EM_ACLE_H
#define TP_ARMV7EM_ACLE_H

#include <stdint.h>
#include <string.h>

/* round(a * b / 2^32), ties up: (a * b + 2^31) >> 32. */
static inline int32_t tp_smmulr(int32_t a, int32_t b)
{
#if defined(__GNUC__)
    int32_t h;
    __asm__("smmulr %0, %1, %2" : "=r"(h) : "r"(a), "r"(b));
    return h;
#else
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
#endif
}

/* Four bytes from any address (the Cortex-M7 loads unaligned words): one LDR. */
static inline uint32_t tp_load_word(const int8_t *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/* Rotate right; gcc folds it into the ROR operand of SXTB16 / SXTAB16 only sometimes. */
static inline uint32_t tp_ror(uint32_t x, uint32_t n)
{
    return (x >> n) | (x << (32u - n));
}

#if defined(__GNUC__)
/* SXTB16 of x rotated right by 8 bits, as one instruction: (x1, x3) sign-extended. */
static inline uint32_t tp_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* SXTAB16 of x rotated right by 8 bits: a + (x1, x3) sign-extended, per halfword. */
static inline uint32_t tp_sxtab16_ror8(uint32_t a, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

#else
#define tp_sxtb16_ror8(x) __sxtb16(tp_ror((x), 8))
#define tp_sxtab16_ror8(a, x) __sxtab16((a), tp_ror((x), 8))
#endif

#endif /* TP_ARMV7EM_ACLE_H */
