/* Private: the MSP430 assembly routines of the binary kernels. */
#ifndef TP_MSP430_B1_H
#define TP_MSP430_B1_H

#include <stdint.h>

/* tp_msp430_b1_oc_words.S: a tile's bit-sliced counts (tp_binary_conv_b1_oc.c). */
void tp_msp430_b1_oc_words(const uint16_t *col, uint16_t *planes, const uint16_t *wt,
                           uint16_t words);

/* tp_msp430_xor_popcount.S: popcount(a XOR b) over n words, by a byte table (tp_popcount.h). */
int16_t tp_msp430_xor_popcount(const uint16_t *a, const uint16_t *b, uint16_t n);

#endif /* TP_MSP430_B1_H */
