/* The runtime clang-14 expects for MSP430 (there is no libgcc or C library for it here):
 * integer multiply, divide, remainder and shift helpers (MSP430 EABI names, and libgcc's for
 * 64-bit shifts), and memset/memcpy/memmove.
 *
 * The board compiles everything with -ffreestanding -fno-builtin, so the loops below are
 * not turned back into calls to themselves. Nothing in this file may multiply, divide or
 * shift by a variable amount (that would call a helper, possibly the one being defined);
 * multiplications use the hardware multiplier (msp430fr6989_board.h), everything else
 * constant shifts, adds and compares. There is no floating point here: float models are
 * refused at build time (quantize to int8 first).
 *
 * The 64-bit multiply and divide helpers use clang's special MSP430 calling convention
 * (first operand in R8-R11, second in R12-R15, result in R12-R15); small assembly shims
 * move the operands into the C calling convention (first in R12-R15, second on the stack).
 */
#include "msp430fr6989_board.h"

#include <stddef.h>
#include <stdint.h>

/* ---- multiplication ---------------------------------------------------------------- */

static uint32_t umul16(uint16_t a, uint16_t b)
{
    uint32_t hi;
    TP_MPY = a;
    TP_OP2 = b;
    hi = TP_RESHI;
    return (hi << 16) | TP_RESLO;
}

static uint16_t umul16_lo(uint16_t a, uint16_t b)
{
    TP_MPY = a;
    TP_OP2 = b;
    return TP_RESLO;
}

int16_t __mspabi_mpyi(int16_t a, int16_t b);
int16_t __mspabi_mpyi(int16_t a, int16_t b)
{
    return (int16_t)umul16_lo((uint16_t)a, (uint16_t)b);
}

int32_t __mspabi_mpyl(int32_t a, int32_t b);
int32_t __mspabi_mpyl(int32_t a, int32_t b)
{
    const uint32_t ua = (uint32_t)a;
    const uint32_t ub = (uint32_t)b;
    const uint16_t al = (uint16_t)ua, ah = (uint16_t)(ua >> 16);
    const uint16_t bl = (uint16_t)ub, bh = (uint16_t)(ub >> 16);
    const uint16_t cross = (uint16_t)(umul16_lo(al, bh) + umul16_lo(ah, bl));
    return (int32_t)(umul16(al, bl) + ((uint32_t)cross << 16));
}

typedef union {
    uint64_t v;
    uint16_t w[4]; /* little-endian words */
} words64;

uint64_t tp_rt_mul64(uint64_t a, uint64_t b);
uint64_t tp_rt_mul64(uint64_t a, uint64_t b)
{
    words64 x, y, r;
    uint16_t i, j, k;
    x.v = a;
    y.v = b;
    r.v = 0u;
    for (i = 0; i < 4u; i++) {
        for (j = 0; i + j < 4u; j++) {
            const uint32_t p = umul16(x.w[i], y.w[j]);
            uint32_t carry = p >> 16;
            uint32_t s;
            k = (uint16_t)(i + j);
            s = (uint32_t)r.w[k] + (uint16_t)p;
            r.w[k] = (uint16_t)s;
            carry += s >> 16;
            for (k++; k < 4u && carry != 0u; k++) {
                s = (uint32_t)r.w[k] + carry;
                r.w[k] = (uint16_t)s;
                carry = s >> 16;
            }
        }
    }
    return r.v;
}

/* ---- division ---------------------------------------------------------------------- */
/* Restoring shift-subtract division. Division by zero gives an all-ones quotient and the
 * dividend as remainder (C leaves it undefined; this is only predictable). */

static uint16_t udivmod16(uint16_t n, uint16_t d, uint16_t *rem)
{
    uint16_t q = 0u, r = 0u, i;
    if (d == 0u) {
        *rem = n;
        return 0xFFFFu;
    }
    for (i = 0; i < 16u; i++) {
        r = (uint16_t)((r << 1) | ((n & 0x8000u) ? 1u : 0u));
        n = (uint16_t)(n << 1);
        q = (uint16_t)(q << 1);
        if (r >= d) {
            r = (uint16_t)(r - d);
            q |= 1u;
        }
    }
    *rem = r;
    return q;
}

static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *rem)
{
    uint32_t q = 0u, r = 0u;
    uint16_t i;
    if (d == 0u) {
        *rem = n;
        return 0xFFFFFFFFu;
    }
    for (i = 0; i < 32u; i++) {
        r = (r << 1) | ((n & 0x80000000u) ? 1u : 0u);
        n <<= 1;
        q <<= 1;
        if (r >= d) {
            r -= d;
            q |= 1u;
        }
    }
    *rem = r;
    return q;
}

static uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0u, r = 0u;
    uint16_t i;
    if (d == 0u) {
        *rem = n;
        return ~(uint64_t)0u;
    }
    for (i = 0; i < 64u; i++) {
        r = (r << 1) | ((n & 0x8000000000000000u) ? 1u : 0u);
        n <<= 1;
        q <<= 1;
        if (r >= d) {
            r -= d;
            q |= 1u;
        }
    }
    *rem = r;
    return q;
}

uint16_t __mspabi_divu(uint16_t a, uint16_t b);
uint16_t __mspabi_divu(uint16_t a, uint16_t b)
{
    uint16_t r;
    return udivmod16(a, b, &r);
}

uint16_t __mspabi_remu(uint16_t a, uint16_t b);
uint16_t __mspabi_remu(uint16_t a, uint16_t b)
{
    uint16_t r;
    (void)udivmod16(a, b, &r);
    return r;
}

/* Signed: divide magnitudes; the quotient is negative when the signs differ, the remainder
 * has the dividend's sign (C99 truncation). */
int16_t __mspabi_divi(int16_t a, int16_t b);
int16_t __mspabi_divi(int16_t a, int16_t b)
{
    uint16_t r;
    const uint16_t ua = a < 0 ? (uint16_t)(0u - (uint16_t)a) : (uint16_t)a;
    const uint16_t ub = b < 0 ? (uint16_t)(0u - (uint16_t)b) : (uint16_t)b;
    const uint16_t q = udivmod16(ua, ub, &r);
    return (int16_t)(((a < 0) != (b < 0)) ? (uint16_t)(0u - q) : q);
}

int16_t __mspabi_remi(int16_t a, int16_t b);
int16_t __mspabi_remi(int16_t a, int16_t b)
{
    uint16_t r;
    const uint16_t ua = a < 0 ? (uint16_t)(0u - (uint16_t)a) : (uint16_t)a;
    const uint16_t ub = b < 0 ? (uint16_t)(0u - (uint16_t)b) : (uint16_t)b;
    (void)udivmod16(ua, ub, &r);
    return (int16_t)(a < 0 ? (uint16_t)(0u - r) : r);
}

uint32_t __mspabi_divul(uint32_t a, uint32_t b);
uint32_t __mspabi_divul(uint32_t a, uint32_t b)
{
    uint32_t r;
    return udivmod32(a, b, &r);
}

uint32_t __mspabi_remul(uint32_t a, uint32_t b);
uint32_t __mspabi_remul(uint32_t a, uint32_t b)
{
    uint32_t r;
    (void)udivmod32(a, b, &r);
    return r;
}

int32_t __mspabi_divli(int32_t a, int32_t b);
int32_t __mspabi_divli(int32_t a, int32_t b)
{
    uint32_t r;
    const uint32_t ua = a < 0 ? 0u - (uint32_t)a : (uint32_t)a;
    const uint32_t ub = b < 0 ? 0u - (uint32_t)b : (uint32_t)b;
    const uint32_t q = udivmod32(ua, ub, &r);
    return (int32_t)(((a < 0) != (b < 0)) ? 0u - q : q);
}

int32_t __mspabi_remli(int32_t a, int32_t b);
int32_t __mspabi_remli(int32_t a, int32_t b)
{
    uint32_t r;
    const uint32_t ua = a < 0 ? 0u - (uint32_t)a : (uint32_t)a;
    const uint32_t ub = b < 0 ? 0u - (uint32_t)b : (uint32_t)b;
    (void)udivmod32(ua, ub, &r);
    return (int32_t)(a < 0 ? 0u - r : r);
}

uint64_t tp_rt_udiv64(uint64_t a, uint64_t b);
uint64_t tp_rt_udiv64(uint64_t a, uint64_t b)
{
    uint64_t r;
    return udivmod64(a, b, &r);
}

uint64_t tp_rt_urem64(uint64_t a, uint64_t b);
uint64_t tp_rt_urem64(uint64_t a, uint64_t b)
{
    uint64_t r;
    (void)udivmod64(a, b, &r);
    return r;
}

int64_t tp_rt_sdiv64(int64_t a, int64_t b);
int64_t tp_rt_sdiv64(int64_t a, int64_t b)
{
    uint64_t r;
    const uint64_t ua = a < 0 ? 0u - (uint64_t)a : (uint64_t)a;
    const uint64_t ub = b < 0 ? 0u - (uint64_t)b : (uint64_t)b;
    const uint64_t q = udivmod64(ua, ub, &r);
    return (int64_t)(((a < 0) != (b < 0)) ? 0u - q : q);
}

int64_t tp_rt_srem64(int64_t a, int64_t b);
int64_t tp_rt_srem64(int64_t a, int64_t b)
{
    uint64_t r;
    const uint64_t ua = a < 0 ? 0u - (uint64_t)a : (uint64_t)a;
    const uint64_t ub = b < 0 ? 0u - (uint64_t)b : (uint64_t)b;
    (void)udivmod64(ua, ub, &r);
    return (int64_t)(a < 0 ? 0u - r : r);
}

/* clang's MSP430 libcall convention for these: operands in R8-R11 (first) and R12-R15
 * (second), result in R12-R15. The shims pass the second on the stack, the first in
 * R12-R15, as the C convention wants; R8-R10 are preserved by the C callee. */
#define TP_RT_SHIM(name, target)                                                              \
    "    .section .text." name ",\"ax\",@progbits\n"                                          \
    "    .global " name "\n"                                                                  \
    "    .type " name ",@function\n" name ":\n"                                               \
    "    push.w r15\n"                                                                        \
    "    push.w r14\n"                                                                        \
    "    push.w r13\n"                                                                        \
    "    push.w r12\n"                                                                        \
    "    mov.w r8, r12\n"                                                                     \
    "    mov.w r9, r13\n"                                                                     \
    "    mov.w r10, r14\n"                                                                    \
    "    mov.w r11, r15\n"                                                                    \
    "    call #" target "\n"                                                                  \
    "    add.w #8, r1\n"                                                                      \
    "    ret\n"                                                                               \
    "    .size " name ", .-" name "\n"

__asm__(TP_RT_SHIM("__mspabi_mpyll", "tp_rt_mul64")
        TP_RT_SHIM("__mspabi_divull", "tp_rt_udiv64")
        TP_RT_SHIM("__mspabi_remull", "tp_rt_urem64")
        TP_RT_SHIM("__mspabi_divlli", "tp_rt_sdiv64")
        TP_RT_SHIM("__mspabi_remlli", "tp_rt_srem64"));

/* ---- shifts by a variable amount (counts taken modulo the width) ------------------- */

uint32_t __mspabi_slll(uint32_t a, int16_t n);
uint32_t __mspabi_slll(uint32_t a, int16_t n)
{
    uint16_t i;
    for (i = (uint16_t)n & 31u; i > 0u; i--) {
        a <<= 1;
    }
    return a;
}

uint32_t __mspabi_srll(uint32_t a, int16_t n);
uint32_t __mspabi_srll(uint32_t a, int16_t n)
{
    uint16_t i;
    for (i = (uint16_t)n & 31u; i > 0u; i--) {
        a >>= 1;
    }
    return a;
}

int32_t __mspabi_sral(int32_t a, int16_t n);
int32_t __mspabi_sral(int32_t a, int16_t n)
{
    uint16_t i;
    for (i = (uint16_t)n & 31u; i > 0u; i--) {
        a >>= 1; /* arithmetic on this compiler (clang: sign-propagating) */
    }
    return a;
}

int64_t __ashldi3(int64_t a, int16_t n);
int64_t __ashldi3(int64_t a, int16_t n)
{
    uint64_t u = (uint64_t)a;
    uint16_t i;
    for (i = (uint16_t)n & 63u; i > 0u; i--) {
        u <<= 1;
    }
    return (int64_t)u;
}

uint64_t __lshrdi3(uint64_t a, int16_t n);
uint64_t __lshrdi3(uint64_t a, int16_t n)
{
    uint16_t i;
    for (i = (uint16_t)n & 63u; i > 0u; i--) {
        a >>= 1;
    }
    return a;
}

int64_t __ashrdi3(int64_t a, int16_t n);
int64_t __ashrdi3(int64_t a, int16_t n)
{
    uint16_t i;
    for (i = (uint16_t)n & 63u; i > 0u; i--) {
        a >>= 1;
    }
    return a;
}

/* ---- memory -------------------------------------------------------------------------- */

void *memset(void *dst, int c, size_t n);
void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    while (n-- > 0u) {
        *d++ = (uint8_t)c;
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n);
void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    while (n-- > 0u) {
        *d++ = *s++;
    }
    return dst;
}

void *memmove(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if (d < s) {
        while (n-- > 0u) {
            *d++ = *s++;
        }
    } else {
        while (n > 0u) {
            n--;
            d[n] = s[n];
        }
    }
    return dst;
}
