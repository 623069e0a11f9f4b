/* Private: the MSP430 assembly routines of the binary kernels. */
#ifndef TP_MSP430_B1_H
#define TP_MSP430_B1_H

#include <stdint.h>

/* tp_msp430_b1_oc_words.S: a tile's bit-sliced counts (tp_binary_conv_b1_oc.c). */
void tp_msp430_b1_oc_words(const uint16_t *col, uint16_t *planes, const uint16_t *wt,
                           uint16_t words);

/* tp_msp430_xor_popcount.S: popcount(a XOR b) over n words, by a byte table (tp_popcount.h). */
int16_t tp_msp430_xor_popcount(const uint16_t *a, const uint16_t *b, uint16_t n);

/* tp_msp430_b1_plus_s16.S: the sum of the values whose weight bit is set, in 16 bits
 * (k <= 128; tp_binary_dot_s8). */
int16_t tp_msp430_b1_plus_s16(const int16_t *v, const uint16_t *w, int16_t k);

/* One pixel of tp_binary_conv_s8in_b1 (tp_msp430_b1_s8in_pixel.S), windows of k <= 128. */
typedef struct {
    const uint16_t *weights;  /* flat bit strings, words per channel */
    const int32_t *threshold; /* per channel */
    uint16_t *out;            /* the pixel's output words */
    int16_t k;
    int16_t channels;
    int16_t sum;              /* of the window's values */
} tp_msp430_s8in_job;

uint16_t *tp_msp430_b1_s8in_pixel(const int16_t *col, const tp_msp430_s8in_job *job);

#endif /* TP_MSP430_B1_H */
