/* Private: the MSP430 assembly routines of the binary kernels. */
#ifndef TP_MSP430_B1_H
#define TP_MSP430_B1_H

#include <stdint.h>

/* tp_msp430_b1_oc_pixel.S: one pixel of tp_binary_conv_b1_oc, every tile (counts and
 * comparison); the pointers are left past the pixel's. */
typedef struct {
    const uint16_t *wt;     /* the first tile's lane words */
    const uint16_t *bound;  /* the first tile's bit-sliced bounds */
    uint16_t *out;          /* the pixel's output words */
    uint16_t *high;         /* the count planes of weight 16 on */
    uint16_t words;         /* window words */
    uint16_t tiles;
    uint16_t planes;        /* bound planes */
    uint16_t zero;          /* high planes cleared per tile (>= 1) */
} tp_msp430_b1_oc_job;

void tp_msp430_b1_oc_pixel(const uint16_t *col, tp_msp430_b1_oc_job *job);

/* tp_msp430_xor_popcount.S: popcount(a XOR b) over n words, by a byte table (tp_popcount.h). */
int16_t tp_msp430_xor_popcount(const uint16_t *a, const uint16_t *b, uint16_t n);

/* tp_msp430_b1_plus_s16.S: the sum of the values whose weight bit is set, in 16 bits
 * (k <= 128; tp_binary_dot_s8). */
int16_t tp_msp430_b1_plus_s16(const int16_t *v, const uint16_t *w, int16_t k);

/* Pixels of tp_binary_conv_s8in_b1 (tp_msp430_b1_s8in_tables.S), windows of at most
 * TP_MSP430_S8IN_MAX_K values (their dot fits 16 bits: 128 x 255). */
#define TP_MSP430_S8IN_MAX_K 128
typedef struct {
    const int16_t *const *entries; /* per channel and group of 3 values: its table entry */
    const int16_t *thresholds; /* per channel, saturated to 16 bits */
    uint16_t *out;          /* the pixels' output words (advanced by the routine) */
    int16_t *tables;        /* 8 sums per group */
    int16_t skip;           /* bytes from a window row's end to the next row's start */
    int16_t row;            /* values per window row */
    int16_t k;
    int16_t groups;         /* (k + 2) / 3 */
    int16_t channels;
    int16_t input_offset;
    int16_t step;           /* bytes from a window's start to the next pixel's */
    int16_t pixels;         /* consecutive pixels (counted down by the routine) */
} tp_msp430_s8in_tables_job;

uint16_t *tp_msp430_b1_s8in_tables(const int8_t *src, tp_msp430_s8in_tables_job *job);

#endif /* TP_MSP430_B1_H */
