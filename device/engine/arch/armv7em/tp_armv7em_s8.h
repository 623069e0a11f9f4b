/* Private: the ARMv7E-M assembly routines of the int8 kernels (the .S files in this folder)
 * and the jobs they read. Included by the kernels only when TP_S8_ASM (tp_requant.h) is set:
 * a Thumb-2 core with the DSP extension and a GNU-compatible compiler.
 *
 * The routines read the jobs by byte offset: the offsets in the comments are part of the
 * interface, and TP_S8_CHECK_OFFSET below makes a changed layout a compile error.
 */
#ifndef TP_ARMV7EM_S8_H
#define TP_ARMV7EM_S8_H

#include <stddef.h>
#include <stdint.h>

/* A compile-time check that field f of job type t sits at byte offset off. */
#define TP_S8_CHECK_OFFSET(t, f, off) \
    typedef char tp_s8_check_##t##_##f[offsetof(t, f) == (off) ? 1 : -1]

/* One call of tp_s8_conv_tile.S: every output channel of a convolution tile of up to 8 pixels
 * (or of one chunk of their windows). */
typedef struct {
    const int8_t *w;       /*  0: channel 0's weights for this chunk */
    const int32_t *cols;   /*  4: gathered columns, 64 bytes per step */
    int32_t steps;         /*  8: groups of four window values (>= 1) */
    int32_t channels;      /* 12 */
    int32_t wstride;       /* 16: bytes from one channel's weights to the next */
    const int32_t *bias;   /* 20: start from bias[c]; NULL: from accs[8c..8c+7] */
    int32_t *accs;         /* 24: partial sums, 8 per channel */
    const int32_t *mult;   /* 28 */
    const int8_t *shift;   /* 32: every shift <= -1 (fast requantization) */
    int8_t *const *dst;    /* 36: output pointers (channel 0) */
    int32_t out_offset;    /* 40 */
    int32_t flags;         /* 44: TP_JOB_* */
    int32_t outs;          /* 48: outputs to store: pixels, or pooled outputs */
} tp_s8_tile_job;

TP_S8_CHECK_OFFSET(tp_s8_tile_job, w, 0);
TP_S8_CHECK_OFFSET(tp_s8_tile_job, wstride, 16);
TP_S8_CHECK_OFFSET(tp_s8_tile_job, dst, 36);
TP_S8_CHECK_OFFSET(tp_s8_tile_job, outs, 48);

#define TP_JOB_RELU 1  /* clamp to [out_offset, 127] (else [-128, 127]) */
#define TP_JOB_POOL 2  /* output j is the maximum of accumulators 4j .. 4j + 3 */
#define TP_JOB_STORE 4 /* store the partial sums to accs instead of requantizing */

void tp_s8_conv_tile(const tp_s8_tile_job *job);

/* quads groups of four int8 at src -> one pixel's int16 words (x0,x2 | x1,x3 per group, the
 * order SXTB16 produces), one step (64 bytes) apart from dst on; returns the end
 * (tp_s8_widen.S). */
int32_t *tp_s8_widen(const int8_t *src, int32_t quads, int32_t *dst);

/* One output row of g channels of a 3x3 depthwise convolution from the ring of expanded input
 * rows (tp_s8_dw3x3_row.S; tp_s8_dw3x3_row6.S for rows of at most 6 outputs, which reads
 * per-channel records from `pairs`). */
typedef struct {
    const int16_t *e[3];  /*  0: ring rows of window rows 0..2, channel 0 (advanced) */
    int32_t chstride;     /* 12: bytes from one channel's ring row to the next */
    const int32_t *pairs; /* 16: 12 weight pairs per channel (ring_pairs) */
    const int32_t *rq;    /* 20: per channel: bias, multiplier, e = -shift, 2^(e-1) */
    int8_t *out;          /* 24: output pixel 0, channel 0 */
    int32_t c;            /* 28: bytes between output pixels */
    int32_t ow;           /* 32 */
    int32_t off;          /* 36: output offset */
    int32_t relu;         /* 40: 1: clamp below at the offset (ReLU); 0: saturate only */
    int32_t g;            /* 44: channels (>= 1) */
} tp_s8_dw_job;

TP_S8_CHECK_OFFSET(tp_s8_dw_job, chstride, 12);
TP_S8_CHECK_OFFSET(tp_s8_dw_job, out, 24);
TP_S8_CHECK_OFFSET(tp_s8_dw_job, g, 44);

void tp_s8_dw3x3_row(tp_s8_dw_job *job);
void tp_s8_dw3x3_row6(const tp_s8_dw_job *job);

/* Whole output columns of g channels of a K x 1 depthwise convolution from their expanded
 * columns, 4 * passes outputs each (tp_s8_dw_kx1.S, tp_depthwise_conv_kx1_s8.c). */
typedef struct {
    const int16_t *col;   /*  0: channel 0's column (int16, 4-byte aligned) */
    int32_t colstride;    /*  4: bytes from one channel's column to the next */
    const int32_t *pairs; /*  8: channel 0's n weight pairs (A_j, B_j) */
    const int32_t *rec;   /* 12: channel 0's record (6 words) */
    int8_t *out;          /* 16: channel 0's output row 0 */
    int32_t stride;       /* 20: bytes between output rows */
    int32_t passes;       /* 24: >= 1 */
    int32_t n;            /* 28: pairs per channel, 1 .. 8 */
    int32_t off;          /* 32: output offset */
    int32_t g;            /* 36: channels, >= 1 */
    int32_t mode;         /* 40: 0 fast, 1 fast + ReLU, 2 generic, 3 generic + ReLU */
} tp_s8_dw_kx1_job;

TP_S8_CHECK_OFFSET(tp_s8_dw_kx1_job, rec, 12);
TP_S8_CHECK_OFFSET(tp_s8_dw_kx1_job, passes, 24);
TP_S8_CHECK_OFFSET(tp_s8_dw_kx1_job, mode, 40);

void tp_s8_dw_kx1(const tp_s8_dw_kx1_job *job);

/* A 1x1 convolution of pixels with at most 8 input channels (tp_s8_conv1x1_few.S,
 * tp_convolve_1x1_s8.c); reads 4 x groups bytes per pixel. */
typedef struct {
    const int8_t *in;   /*  0: pixel 0 */
    int32_t pixels;     /*  4: >= 1 */
    int32_t cin;        /*  8: bytes between input pixels */
    const int32_t *rec; /* 12: output channel 0's record (2 groups + 4 words) */
    int32_t cout;       /* 16: output channels >= 1 */
    int8_t *out;        /* 20: pixel 0's outputs (pixels follow each other) */
    int32_t off;        /* 24: output offset (ReLU) */
    int32_t relu;       /* 28: 1: clamp below at the offset (ReLU); 0: saturate only */
    int32_t groups;     /* 32: 1 or 2 groups of four input channels */
    int32_t generic;    /* 36: 1: the generic requantization (records 2 words longer) */
} tp_s8_conv1x1_job;

TP_S8_CHECK_OFFSET(tp_s8_conv1x1_job, rec, 12);
TP_S8_CHECK_OFFSET(tp_s8_conv1x1_job, relu, 28);
TP_S8_CHECK_OFFSET(tp_s8_conv1x1_job, groups, 32);
TP_S8_CHECK_OFFSET(tp_s8_conv1x1_job, generic, 36);

void tp_s8_conv1x1_few(const tp_s8_conv1x1_job *job);

/* The first 4 x passes outputs of one output row of a depthwise convolution with a 3 x 3
 * (or 3 x 4) window and stride 2 along the width, for g input channels and their mult output
 * channels each (tp_s8_dw_s2_row3.S, tp_depthwise_conv_s2_s8.c). */
typedef struct {
    const int16_t *row[3]; /*  0: input channel 0's ring rows of window rows 0..2 */
    int32_t chstride;      /* 12: bytes from one channel's ring row to the next */
    const int32_t *pairs;  /* 16: the first output channel's 6 weight pairs */
    const int32_t *rec;    /* 20: its record (4 words; 6 when generic) */
    int8_t *out;           /* 24: its output at column 0 */
    int32_t stride;        /* 28: bytes between output pixels */
    int32_t passes;        /* 32: >= 1 */
    int32_t mult;          /* 36: depth multiplier */
    int32_t g;             /* 40: input channels, >= 1 */
    int32_t relu;          /* 44: 1: clamp below at the offset (ReLU); 0: saturate only */
    int32_t off;           /* 48: output offset */
    int32_t generic;       /* 52: 1: the generic requantization */
} tp_s8_dw_s2_job;

TP_S8_CHECK_OFFSET(tp_s8_dw_s2_job, chstride, 12);
TP_S8_CHECK_OFFSET(tp_s8_dw_s2_job, passes, 32);
TP_S8_CHECK_OFFSET(tp_s8_dw_s2_job, off, 48);
TP_S8_CHECK_OFFSET(tp_s8_dw_s2_job, generic, 52);

void tp_s8_dw_s2_row3(const tp_s8_dw_s2_job *job);

/* Per group of four channels (quads groups, src 4 bytes and dst 4 x row_bytes apart), pairs x
 * two neighbouring input pixels -> each channel's words (first pixel low, + the offset in both
 * halfwords of offset_pair) at dst + k x row_bytes, k = 0..3, dst advancing a word per pair
 * (tp_s8_widen_pairs.S; pairs, quads >= 1). */
void tp_s8_widen_pairs(const int8_t *src, int32_t pixel_bytes, int32_t pairs,
                       uint32_t offset_pair, uint32_t *dst, int32_t row_bytes, int32_t quads);

/* One input pixel of four channels at src -> dst[k x len], k = 0..3 (+ the offset in both
 * halfwords of offset_pair): the odd pixel before or after tp_s8_widen_pairs' pairs. Needs
 * tp_requant.h (the ACLE helpers) included first. */
static inline void tp_s8_widen_one(const int8_t *src, uint32_t offset_pair, int16_t *dst,
                                   int32_t len)
{
    const uint32_t v = tp_load_word(src);
    const uint32_t v02 = __sxtab16(offset_pair, v);
    const uint32_t v13 = tp_sxtab16_ror8(offset_pair, v);
    dst[0] = (int16_t)v02;
    dst[2 * len] = (int16_t)(v02 >> 16);
    dst[len] = (int16_t)v13;
    dst[3 * len] = (int16_t)(v13 >> 16);
}

/* acc[0..3] += the dot products of the 4 * quads int8 inputs at x with the interleaved weights
 * of 4 outputs at w (16 bytes per quad); quads >= 1, w word-aligned (tp_s8_fc4.S). */
void tp_s8_fc4(const int8_t *x, const int8_t *w, int32_t quads, int32_t *acc);

struct tp_add_tables_s8;

/* The first 4 * quads elements of tp_add_table_s8 (tp_s8_add_table.S); tables by byte offset:
 * a_table 0, b_table 4, output_table 8, shift 12. */
void tp_s8_add_table(const int8_t *a, const int8_t *b, int32_t quads, int8_t *out,
                     const struct tp_add_tables_s8 *tables);

#endif /* TP_ARMV7EM_S8_H */
