/* TFLite's integer arithmetic for int8 kernels, written once.
 *
 * These are the C twins of sdk/quant/arith.py (TFLite Micro's quantization helpers and
 * gemmlowp's fixedpoint.h). TFLite Micro requantizes with *double rounding*: a saturating
 * rounding doubling high multiply, then a rounding divide by a power of two. A multiplier is a
 * Q31 int32 in [2^30, 2^31) (or 0) and a shift in [-31, 30]: positive shifts are left shifts
 * applied before the multiply, negative ones right shifts applied after it.
 *
 * Every constant is written with its width (int32_t, int64_t): int is 16 bits on MSP430.
 */
#ifndef TP_REQUANT_H
#define TP_REQUANT_H

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

#include "arch/armv7em/tp_armv7em_acle.h"
#endif

/* The DSP paths with GNU assembly inner loops (convolution, depthwise, fully-connected): an
 * ARMv7E-M core in Thumb-2 and a GNU-compatible compiler (gcc, clang); elsewhere those
 * kernels take their portable C path. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__)
#define TP_S8_ASM 1
#else
#define TP_S8_ASM 0
#endif

/* The MSP430 path: int8 dot products on the memory-mapped hardware multiplier
 * (arch/msp430/tp_msp430_s8.h), for boards whose cflags name the multiplier's header in
 * TP_DSP_HWMULT_HEADER. */
#if defined(__MSP430__) && defined(TP_DSP_HWMULT_HEADER)
#define TP_S8_MSP430 1
#else
#define TP_S8_MSP430 0
#endif

#define TP_INT32_MIN ((int32_t)(-2147483647L - 1L))
#define TP_INT32_MAX ((int32_t)2147483647L)

/* round(a * b / 2^31), ties up (gemmlowp SaturatingRoundingDoublingHighMul) for b != INT32_MIN.
 *
 * gemmlowp adds a nudge of 2^30 or 1 - 2^30 by the sign of a * b and divides truncating toward
 * zero; that equals adding 2^30 and shifting right arithmetically (floor) for every product,
 * which is one SMLAL and a 64-bit shift on Cortex-M. The one saturating case,
 * INT32_MIN * INT32_MIN, needs b == INT32_MIN, which no quantized multiplier is. */
static inline int32_t tp_doubling_high_mul_no_sat(int32_t a, int32_t b)
{
    const int64_t product = (int64_t)a * (int64_t)b + ((int64_t)1 << 30);
    return (int32_t)(product >> 31);
}

/* The same with gemmlowp's saturation, for fixed-point values that may both be INT32_MIN. */
static inline int32_t tp_saturating_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == TP_INT32_MIN && b == TP_INT32_MIN) {
        return TP_INT32_MAX;
    }
    return tp_doubling_high_mul_no_sat(a, b);
}

/* x / 2^exponent rounded to nearest, ties away from zero (gemmlowp RoundingDivideByPOT),
 * exponent in [0, 31]. */
static inline int32_t tp_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - (uint32_t)1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^exponent, saturating (gemmlowp SaturatingRoundingMultiplyByPOT), exponent in
 * [-31, 30]: a rounding right shift for negative exponents. */
static inline int32_t tp_saturating_rounding_multiply_by_pot(int32_t x, int32_t exponent)
{
    int32_t threshold;
    if (exponent == 0) {
        return x;
    }
    if (exponent < 0) {
        return tp_rounding_divide_by_pot(x, -exponent);
    }
    threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - (uint32_t)1);
    if (x > threshold) {
        return TP_INT32_MAX;
    }
    if (x < -threshold) {
        return TP_INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* x * multiplier * 2^(shift - 31) as TFLite Micro computes it (MultiplyByQuantizedMultiplier,
 * double rounding). The left shift wraps like TFLite Micro's int32 multiply. */
static inline int32_t tp_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier,
                                                          int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t scaled = (int32_t)((uint32_t)x << left);
    return tp_rounding_divide_by_pot(tp_doubling_high_mul_no_sat(scaled, multiplier), right);
}

/* The same with the shift split once per channel: left = max(shift, 0), right = max(-shift, 0). */
static inline int32_t tp_multiply_by_quantized_multiplier_lr(int32_t x, int32_t multiplier,
                                                             int32_t left, int32_t right)
{
    const int32_t scaled = (int32_t)((uint32_t)x << left);
    return tp_rounding_divide_by_pot(tp_doubling_high_mul_no_sat(scaled, multiplier), right);
}

/* tp_multiply_by_quantized_multiplier(x, multiplier, -e) for e >= 1 and |x| < 2^30, exactly,
 * with rnd = 2^(e - 1):
 *  - the doubling high multiply (x * M + 2^30) >> 31 equals (2x * M + 2^31) >> 32, which is one
 *    SMMULR on ARMv7E-M (2x does not overflow for |x| < 2^30; no saturation case since
 *    2x != INT32_MIN);
 *  - the rounding divide by 2^e with ties away from zero, (h >> e) + (remainder > threshold),
 *    equals (h + 2^(e-1) - (h < 0)) >> e: for h = q 2^e + r (0 <= r < 2^e) both add 1 to q
 *    exactly when r >= 2^(e-1) (h >= 0) or r > 2^(e-1) (h < 0). |h| < 2^30 keeps the sum in
 *    range.
 * The code generator sets tp_conv_params_s8.fast_requant only when it has proved |x| < 2^30
 * (|bias| + 128 x sum |w| per channel) and e >= 1 for every channel. */
static inline int32_t tp_high_mul_2x(int32_t x, int32_t multiplier)
{
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
    return tp_smmulr(x + x, multiplier);
#else
    return tp_doubling_high_mul_no_sat(x, multiplier);
#endif
}

static inline int32_t tp_requant_fast(int32_t x, int32_t multiplier, int32_t e, int32_t rnd)
{
    const int32_t h = tp_high_mul_2x(x, multiplier);
    return (h + rnd + (h >> 31)) >> e;
}

/* Add the output offset and clamp to [act_min, act_max]: the one int8 output clamp that every
 * kernel's portable path ends with (pooling passes offset 0: its output keeps the input's
 * quantization). */
static inline int8_t tp_clamp_s8(int32_t v, int32_t output_offset, int32_t act_min,
                                 int32_t act_max)
{
    v += output_offset;
    v = v < act_min ? act_min : v;
    v = v > act_max ? act_max : v;
    return (int8_t)v;
}

/* How a kernel applies the output offset and the activation's clamp (chosen once per layer). */
#define TP_ACT_SAT 0   /* [-128, 127]: saturate */
#define TP_ACT_RELU 1  /* [output_offset, 127]: max(v, 0), then saturate */
#define TP_ACT_CLAMP 2 /* any other range */

static inline int32_t tp_act_mode(int32_t act_min, int32_t act_max, int32_t output_offset)
{
    if (act_max != 127) {
        return TP_ACT_CLAMP;
    }
    if (act_min == -128) {
        return TP_ACT_SAT;
    }
    return act_min == output_offset ? TP_ACT_RELU : TP_ACT_CLAMP;
}

/* v (a requantized value before the output offset) + offset, clamped to [lo, hi]; mode from
 * tp_act_mode (a constant at the call site lets the compiler drop the other cases). */
static inline int8_t tp_act_apply(int32_t v, int32_t mode, int32_t off, int32_t lo, int32_t hi)
{
#if defined(__ARM_FEATURE_DSP)
    if (mode == TP_ACT_SAT) {
        return (int8_t)__ssat(v + off, 8);
    }
    if (mode == TP_ACT_RELU) {
        return (int8_t)__ssat((v & ~(v >> 31)) + off, 8);
    }
#else
    (void)mode;
#endif
    return tp_clamp_s8(v, off, lo, hi);
}

/* Requantize an int32 accumulator to int8: multiply, add the output zero point, clamp to the
 * activation range [act_min, act_max]. */
static inline int8_t tp_requant_acc_s8(int32_t acc, int32_t multiplier, int32_t shift,
                                      int32_t output_offset, int32_t act_min, int32_t act_max)
{
    return tp_clamp_s8(tp_multiply_by_quantized_multiplier(acc, multiplier, shift), output_offset,
                       act_min, act_max);
}

#endif /* TP_REQUANT_H */
