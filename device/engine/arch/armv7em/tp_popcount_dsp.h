/* Private: the ARMv7E-M popcount of XORed words (included by tp_popcount.h when
 * __ARM_FEATURE_DSP is defined). The Cortex-M7 has no popcount instruction. Three words are
 * reduced by a carry-save adder (5 instructions) to "ones" and "twos"; each goes to nibble
 * counts with SWAR (5 instructions: AND with a shifted operand, SUB, AND with a shifted
 * operand, AND, ADD), ones + 2 x twos (at most 12 per nibble) is cut to byte counts once
 * (3 instructions) and USADA8 adds the four bytes to the total (no multiply): 27
 * instructions per 3 words with the loads, the XORs and the loop. The masks are kept in
 * registers (opaque to gcc), else it prefers immediate ANDs and spends a separate shift on
 * each (44 instructions per 3 words, measured).
 */
#ifndef TP_POPCOUNT_DSP_H
#define TP_POPCOUNT_DSP_H

#include <arm_acle.h>
#include <stdint.h>

/* A constant gcc must keep in a register. */
static inline uint32_t tp_reg(uint32_t v)
{
#if defined(__GNUC__)
    __asm__("" : "+r"(v));
#endif
    return v;
}

static inline int32_t tp_xor_popcount(const uint32_t *a, const uint32_t *b, int32_t n)
{
    const uint32_t m1 = tp_reg(0x55555555u);
    const uint32_t m2 = tp_reg(0x33333333u);
    const uint32_t m4 = tp_reg(0x0F0F0F0Fu);
    uint32_t total = 0;
    while (n > 0) {
        uint32_t x = a[0] ^ b[0];
        uint32_t y = n > 1 ? a[1] ^ b[1] : 0u;
        uint32_t z = n > 2 ? a[2] ^ b[2] : 0u;
        const uint32_t u = x ^ y;
        uint32_t ones = u ^ z;
        uint32_t twos = (x & y) | (u & z);
        ones -= m1 & (ones >> 1);
        ones = (ones & m2) + (m2 & (ones >> 2));
        twos -= m1 & (twos >> 1);
        twos = (twos & m2) + (m2 & (twos >> 2));
        x = ones + (twos << 1);
        x = (x & m4) + (m4 & (x >> 4));
        total = __usada8(x, 0u, total);
        a += 3;
        b += 3;
        n -= 3;
    }
    return (int32_t)total;
}

#endif /* TP_POPCOUNT_DSP_H */
