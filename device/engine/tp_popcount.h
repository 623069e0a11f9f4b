/* Population counts of packed binary words (private to the binary kernels).
 *
 * tp_xor_popcount(a, b, n): popcount(a[i] XOR b[i]) summed over n words, the inner loop of
 * every binary-input kernel. Portable: SWAR (bit pairs, nibbles, bytes); the byte counts of a
 * run of words are added before they are folded into one count, so the fold is paid once per
 * run. The fold sums all bytes of a word in 8 bits: a run of r words of W bits gives at most
 * r x W there, so r <= 7 for 32-bit words (224) and r <= 15 for 16-bit words (240). The
 * Cortex-M7 (arch/armv7em/tp_popcount_dsp.h: carry-save and USADA8) and the MSP430
 * (arch/msp430/tp_msp430_xor_popcount.S: a byte table) have their own.
 */
#ifndef TP_POPCOUNT_H
#define TP_POPCOUNT_H

#include "tp_engine_b1.h"

#include <stdint.h>

#if TP_BWORD_BITS == 32
#define TP_POPCOUNT_RUN 7
#else
#define TP_POPCOUNT_RUN 15
#endif

/* The set bits of each byte of v, in that byte (a 16-bit word takes the masks' low halves). */
static inline tp_bword tp_popcount_bytes(tp_bword v)
{
    v = (tp_bword)(v - ((v >> 1) & (tp_bword)0x55555555UL));
    v = (tp_bword)((v & (tp_bword)0x33333333UL) + ((v >> 2) & (tp_bword)0x33333333UL));
    return (tp_bword)((v + (v >> 4)) & (tp_bword)0x0F0F0F0FUL);
}

/* Sum of the byte counts held in v. */
static inline int32_t tp_fold_bytes(tp_bword v)
{
#if TP_BWORD_BITS == 32
    v = v + (v >> 16);
#endif
    return (int32_t)((v + (v >> 8)) & 0xFFu);
}

static inline int32_t tp_popcount(tp_bword v)
{
    return tp_fold_bytes(tp_popcount_bytes(v));
}

#if defined(__ARM_FEATURE_DSP) && TP_BWORD_BITS == 32
#include "arch/armv7em/tp_popcount_dsp.h"
#elif defined(__MSP430__)
#include "arch/msp430/tp_msp430_b1.h"

static inline int32_t tp_xor_popcount(const tp_bword *a, const tp_bword *b, int32_t n)
{
    return tp_msp430_xor_popcount(a, b, (uint16_t)n);
}
#else
static inline int32_t tp_xor_popcount(const tp_bword *a, const tp_bword *b, int32_t n)
{
    int32_t count = 0;
    while (n > 0) {
        const int32_t run = n < TP_POPCOUNT_RUN ? n : TP_POPCOUNT_RUN;
        tp_bword bytes = 0;
        int32_t i;
        for (i = 0; i < run; i++) {
            bytes = (tp_bword)(bytes + tp_popcount_bytes((tp_bword)(a[i] ^ b[i])));
        }
        count += tp_fold_bytes(bytes);
        a += run;
        b += run;
        n -= run;
    }
    return count;
}
#endif

#endif /* TP_POPCOUNT_H */
