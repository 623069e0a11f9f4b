/* Conv2D, int8, NHWC input, OHWI filter, any stride, asymmetric padding, dilation 1,
 * per-output-channel requantization (TFLite Micro's reference arithmetic, bit-exact), with an
 * optional fused 2x2 max pool and row streaming of two convolutions (tp_conv_chain_s8).
 *
 * The bias is the effective bias: bias[c] + input_offset * sum(filter[c]), so both paths
 * accumulate raw int8 products; a padded position counts as the input zero point
 * (-input_offset), whose product cancels the folded term exactly.
 *
 * Work is done in tiles of up to TILE = 8 output pixels (8 consecutive pixels in raster order,
 * or 2 pooled outputs = two 2x2 groups of pixels when a max pool is fused). For each tile the
 * windows of its pixels are first gathered (im2col), then every output channel is computed
 * from them, then requantized and stored: all input of a tile is read before any of its output
 * is written (the memory contract of memory_planner.overlap_limit, tile by tile).
 *
 * DSP path (TP_S8_ASM, tp_requant.h): the gather widens the windows to int16 in a K-step-major
 * layout: for every group of four window values, the 8 pixels' two words (x0,x2 | x1,x3, the
 * order SXTB16 produces from a word of four int8) follow each other (64 bytes per step). The
 * tile routine tp_s8_conv_tile (assembly, below) then computes every output channel of the 8
 * pixels with a register tile of 1 channel x 8 pixels: per step one LDR of four int8 weights,
 * two SXTB16, eight LDRD and sixteen SMLAD, 27 instructions per 32 MACs, unrolled eight times
 * with one reload of the end pointer per iteration (the 14 usable registers hold 8
 * accumulators, 2 weight pairs, 2 input words and 2 pointers), and requantizes the fast cases
 * itself. Weights stay int8 in flash, in their OHWI order: a window of k values whose
 * k % 4 != 0 is padded with zero inputs, and the filter array is padded by 3 bytes so the last
 * channel's over-read stays inside it. A window can be split into chunks of window rows
 * (params->chunk_rows) to shrink the gather buffer; partial sums then wait in accs.
 *
 * Requantization: params->fast_requant selects tp_requant_fast (exact, see tp_requant.h).
 * A fused max pool takes the maximum of the four accumulators and requantizes once, which is
 * exact because requantization with shift <= 0 is monotonic non-decreasing (with the generic
 * form each pixel is requantized and the maximum taken).
 *
 * Row streaming (tp_conv_chain_s8, two layers): the first layer's output rows live in a ring
 * of chain->ring_rows rows in the scratch; before each tile of the second layer, the first
 * layer's pixels are computed in raster order up to the last row the tile reads (rounded up to
 * whole tiles when chain->align); sdk/codegen/lowering.py chain_ring_rows replays this order to
 * size the ring, and the kernel refuses a ring too small for a tile (TP_ERR_ARGUMENT).
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

#define TILE 8

typedef struct {
    const tp_conv_layer_s8 *layer;
    const int8_t *in_base; /* input row y at in_base + (in_ring ? y % in_ring : y) * in_row */
    int32_t in_row;
    int32_t in_ring;
    int32_t k;      /* window values */
    int32_t span;   /* kernel_w * input channels: values of one window row */
    int32_t chunk;  /* window rows per chunk */
    int32_t kc;     /* values of one chunk, rounded up to a multiple of 4 */
    int32_t *cols;  /* TILE columns: int16 K-step-major (DSP) or int8 per pixel (portable) */
    int8_t *bytes;  /* one byte row or byte column of kc values */
    int32_t *accs;  /* out_c x TILE partial sums when the window is chunked */
} conv_core;

typedef struct {
    int32_t n;    /* pixels */
    int32_t outs; /* outputs: n, or n / 4 when pooled */
    int32_t oy[TILE];
    int32_t ox[TILE];
    int8_t *dst[TILE]; /* channel 0 of each output */
} conv_tile;

static int32_t rows_per_chunk(const tp_conv_params_s8 *p, const tp_dims *f)
{
    if (p->chunk_rows <= 0 || p->chunk_rows >= f->h || (f->w * f->c) % 4 != 0) {
        return f->h;
    }
    return p->chunk_rows;
}

static int32_t chunk_values(const tp_conv_params_s8 *p, const tp_dims *f)
{
    return (rows_per_chunk(p, f) * f->w * f->c + 3) & ~(int32_t)3;
}

/* Gather columns (TILE x kc int16), one byte column (kc) and, for chunked windows, partial
 * sums (out_c x TILE int32). Twin: sdk/codegen/kernels.py conv_s8_buffer_bytes. */
static int32_t core_bytes(const tp_conv_params_s8 *p, const tp_dims *f, int32_t out_c)
{
    const int32_t kc = chunk_values(p, f);
    int32_t size = TILE * kc * 2 + kc;
    if (rows_per_chunk(p, f) < f->h) {
        size += out_c * TILE * 4;
    }
    return size;
}

int32_t tp_convolve_s8_get_buffer_size(const tp_conv_params_s8 *params,
                                       const tp_dims *filter_dims, const tp_dims *output_dims)
{
    return core_bytes(params, filter_dims, output_dims->c);
}

static int32_t ring_bytes(const tp_conv_chain_params_s8 *chain)
{
    const tp_dims *o = chain->layer[0]->output_dims;
    return (chain->ring_rows * o->w * o->c + 3) & ~(int32_t)3;
}

int32_t tp_conv_chain_s8_get_buffer_size(const tp_conv_chain_params_s8 *chain)
{
    const tp_conv_layer_s8 *a = chain->layer[0];
    int32_t size = core_bytes(a->params, a->filter_dims, a->output_dims->c);
    if (chain->count == 2) {
        const tp_conv_layer_s8 *b = chain->layer[1];
        const int32_t size_b = core_bytes(b->params, b->filter_dims, b->output_dims->c);
        size = (size > size_b ? size : size_b) + ring_bytes(chain);
    }
    return size;
}

static void core_init(conv_core *cc, const tp_conv_layer_s8 *layer, const int8_t *input,
                      int32_t in_ring, void *scratch)
{
    const tp_dims *d = layer->input_dims;
    const tp_dims *f = layer->filter_dims;
    cc->layer = layer;
    cc->in_base = input;
    cc->in_row = d->w * d->c;
    cc->in_ring = in_ring;
    cc->k = f->h * f->w * f->c;
    cc->span = f->w * f->c;
    cc->chunk = rows_per_chunk(layer->params, f);
    cc->kc = chunk_values(layer->params, f);
    cc->cols = (int32_t *)scratch;
    cc->bytes = (int8_t *)scratch + TILE * cc->kc * 2;
    cc->accs = (int32_t *)(void *)(cc->bytes + cc->kc);
}

static const int8_t *in_row(const conv_core *cc, int32_t y)
{
    return cc->in_base + (cc->in_ring > 0 ? y % cc->in_ring : y) * cc->in_row;
}

/* n bytes of value v at dst / from src (no <string.h> on every target). */
static void set_bytes(int8_t *dst, int8_t v, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        dst[i] = v;
    }
}

static void copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        dst[i] = src[i];
    }
}

/* Window row y of a pixel whose window starts at column ix, as span bytes at dst. */
static void gather_row(const conv_core *cc, int32_t y, int32_t ix, int8_t *dst)
{
    const tp_dims *d = cc->layer->input_dims;
    const int32_t c = d->c;
    const int8_t pad = (int8_t)(-cc->layer->params->input_offset);
    const int8_t *row;
    int32_t kx;
    if (y < 0 || y >= d->h) {
        set_bytes(dst, pad, cc->span);
        return;
    }
    row = in_row(cc, y);
    if (c == 1) {
        for (kx = 0; kx < cc->layer->filter_dims->w; kx++) {
            const int32_t x = ix + kx;
            dst[kx] = (x < 0 || x >= d->w) ? pad : row[x];
        }
        return;
    }
    for (kx = 0; kx < cc->layer->filter_dims->w; kx++) {
        const int32_t x = ix + kx;
        if (x < 0 || x >= d->w) {
            set_bytes(dst + kx * c, pad, c);
        } else {
            copy_bytes(dst + kx * c, row + x * c, c);
        }
    }
}

/* Window rows [ky0, ky1) of pixel (oy, ox) as bytes at dst (the whole window: k bytes). */
static void gather_bytes(const conv_core *cc, int32_t oy, int32_t ox, int32_t ky0, int32_t ky1,
                         int8_t *dst)
{
    const tp_conv_params_s8 *p = cc->layer->params;
    const int32_t iy = oy * p->stride.h - p->padding.top;
    const int32_t ix = ox * p->stride.w - p->padding.left;
    const tp_dims *d = cc->layer->input_dims;
    const int32_t span = cc->span;
    int32_t ky;
    if (ix >= 0 && ix + cc->layer->filter_dims->w <= d->w && iy + ky0 >= 0 && iy + ky1 <= d->h) {
        for (ky = ky0; ky < ky1; ky++) {
            const int8_t *src = in_row(cc, iy + ky) + ix * d->c;
            int32_t i;
            for (i = 0; i < span; i++) {
                dst[i] = src[i];
            }
            dst += span;
        }
        return;
    }
    for (ky = ky0; ky < ky1; ky++) {
        gather_row(cc, iy + ky, ix, dst + (ky - ky0) * span);
    }
}

#if !TP_S8_ASM
static int32_t max4(const int32_t *a)
{
    const int32_t m0 = a[0] > a[1] ? a[0] : a[1];
    const int32_t m1 = a[2] > a[3] ? a[2] : a[3];
    return m0 > m1 ? m0 : m1;
}
#endif

#define TP_STORE_FAST(MODE)                                                                    \
    do {                                                                                       \
        if (pool) {                                                                            \
            for (j = 0; j < outs; j++) {                                                       \
                dst[j][c] = tp_act_apply(tp_requant_fast(max4(acc + 4 * j), mult, e, rnd), MODE,   \
                                      off, lo, hi);                                            \
            }                                                                                  \
        } else {                                                                               \
            for (j = 0; j < outs; j++) {                                                       \
                dst[j][c] = tp_act_apply(tp_requant_fast(acc[j], mult, e, rnd), MODE, off, lo,    \
                                      hi);                                                     \
            }                                                                                  \
        }                                                                                      \
    } while (0)

/* Requantize channel c of a tile's outs outputs from its accumulators and store them. */
static void finish(const tp_conv_layer_s8 *layer, int32_t mode, int8_t *const *dst,
                   int32_t outs, int32_t c, const int32_t *acc)
{
    const tp_conv_params_s8 *p = layer->params;
    const int32_t mult = layer->quant->multiplier[c];
    const int32_t shift = layer->quant->shift[c];
    const int32_t off = p->output_offset;
    const int32_t lo = p->activation.min;
    const int32_t hi = p->activation.max;
    const int32_t pool = layer->pool;
    int32_t j;
#if TP_S8_ASM
    /* The tile routine requantizes the fast cases itself; what comes here takes the generic
     * form (exact in every case). */
    (void)mode;
    {
#else
    if (p->fast_requant) {
        const int32_t e = -shift;
        const int32_t rnd = (int32_t)1 << (e - 1);
        if (mode == TP_ACT_RELU) {
            TP_STORE_FAST(TP_ACT_RELU);
        } else if (mode == TP_ACT_SAT) {
            TP_STORE_FAST(TP_ACT_SAT);
        } else {
            TP_STORE_FAST(TP_ACT_CLAMP);
        }
    } else {
#endif
        const int32_t left = shift > 0 ? shift : 0;
        const int32_t right = shift > 0 ? 0 : -shift;
        if (pool) {
            for (j = 0; j < outs; j++) {
                int32_t best = -128;
                int32_t i;
                for (i = 0; i < 4; i++) {
                    const int32_t v = tp_act_apply(
                        tp_multiply_by_quantized_multiplier_lr(acc[4 * j + i], mult, left,
                                                               right),
                        TP_ACT_CLAMP, off, lo, hi);
                    best = v > best ? v : best;
                }
                dst[j][c] = (int8_t)best;
            }
        } else {
            for (j = 0; j < outs; j++) {
                dst[j][c] = tp_act_apply(
                    tp_multiply_by_quantized_multiplier_lr(acc[j], mult, left, right),
                    TP_ACT_CLAMP, off, lo, hi);
            }
        }
    }
}

#if TP_S8_ASM

/* One call of the assembly tile routine: every output channel of a tile (or of one chunk of
 * its window). Field offsets are used by the assembly below: keep them. */
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

#define TP_JOB_RELU 1  /* clamp to [out_offset, 127] (else [-128, 127]) */
#define TP_JOB_POOL 2  /* output j is the maximum of accumulators 4j .. 4j + 3 */
#define TP_JOB_STORE 4 /* store the partial sums to accs instead of requantizing */

void tp_s8_conv_tile(const tp_s8_tile_job *job);

/* The tile routine. Registers in the window loop: r0 weights, r1 columns, r2-r3 input words,
 * r4-r11 the 8 accumulators, r12/lr the two weight pairs. Per step (four window values of one
 * channel for 8 pixels): LDR + 2 SXTB16 + 8 LDRD + 16 SMLAD = 27 instructions for 32 MACs;
 * eight steps per iteration, then one reload of the end pointer, compare and branch. A step
 * count that is not a multiple of eight enters the loop part-way (every step is 108 bytes of
 * 32-bit instructions; the entries are computed once per call). A channel that starts from
 * its bias runs the first step separately with the bias (in r4) as every SMLAD's addend, so
 * the accumulators need no initialization. Requantization per output (TFLite's arithmetic,
 * exact for shift <= -1 and |acc| < 2^30, see tp_requant_fast):
 *   t = rnd + (x >> 31); h = SMMLAR(2x, M, t) = SRDHM(x, M) + rnd - (x < 0); v = h >> e;
 * (h's sign may stand in for x's: they differ only when h == 0, where both give 0), then
 * ReLU (BIC with the sign), + output offset, SSAT #8, STRB. The variant (store partial sums,
 * pool, ReLU, 8 or fewer outputs) is chosen once per call; only 8 outputs with saturation
 * (the usual case: a ReLU whose output zero point is -128 saturates) are unrolled. Frame: see
 * TP_F_* below. */
#define TP_F_COLS 0     /* columns */
#define TP_F_END 4      /* end of the columns */
#define TP_F_ENTRY 8    /* loop entry for `steps` steps (| 1) */
#define TP_F_ENTRY1 12  /* loop entry for steps - 1 (after the first step) */
#define TP_F_W 16       /* this channel's weights */
#define TP_F_WSTRIDE 20
#define TP_F_BIAS 24    /* next bias, or 0 */
#define TP_F_ACCS 28
#define TP_F_MULT 32
#define TP_F_SHIFT 36
#define TP_F_C 40       /* channel */
#define TP_F_CHANNELS 44
#define TP_F_DST 48
#define TP_F_OFF 52
#define TP_F_OUTS 56
#define TP_F_TAIL 60    /* what follows the window loop (| 1) */
#define TP_F_ACC 64     /* 8 accumulators */
#define TP_F_SIZE 96
#define TP_STR(x) #x
#define TP_XSTR(x) TP_STR(x)
#define TP_F(name) "#" TP_XSTR(TP_F_##name)

__asm__(".syntax unified\n"
        ".pushsection .text.tp_s8_conv_tile,\"ax\",%progbits\n"
        ".macro TP_PX off, a\n"
        "    ldrd r2, r3, [r1, #\\off]\n"
        "    smlad \\a, r2, r12, \\a\n"
        "    smlad \\a, r3, lr, \\a\n"
        ".endm\n"
        ".macro TP_STEP\n"
        "    ldr.w r12, [r0], #4\n"
        "    sxtb16 lr, r12, ror #8\n"
        "    sxtb16 r12, r12\n"
        "    TP_PX 8, r5\n"
        "    TP_PX 16, r6\n"
        "    TP_PX 24, r7\n"
        "    TP_PX 32, r8\n"
        "    TP_PX 40, r9\n"
        "    TP_PX 48, r10\n"
        "    TP_PX 56, r11\n"
        "    ldrd r2, r3, [r1], #64\n"
        "    smlad r4, r2, r12, r4\n"
        "    smlad r4, r3, lr, r4\n"
        ".endm\n"
        /* the first step of a channel: every accumulator starts from the bias in r4 */
        ".macro TP_PX1 off, a\n"
        "    ldrd r2, r3, [r1, #\\off]\n"
        "    smlad \\a, r2, r12, r4\n"
        "    smlad \\a, r3, lr, \\a\n"
        ".endm\n"
        ".macro TP_STEP1\n"
        "    ldr.w r12, [r0], #4\n"
        "    sxtb16 lr, r12, ror #8\n"
        "    sxtb16 r12, r12\n"
        "    TP_PX1 8, r5\n"
        "    TP_PX1 16, r6\n"
        "    TP_PX1 24, r7\n"
        "    TP_PX1 32, r8\n"
        "    TP_PX1 40, r9\n"
        "    TP_PX1 48, r10\n"
        "    TP_PX1 56, r11\n"
        "    ldrd r2, r3, [r1], #64\n"
        "    smlad r4, r2, r12, r4\n"
        "    smlad r4, r3, lr, r4\n"
        ".endm\n"
        /* requantize r10 (x) and store it at [*r8++ + r9]; r4 M, r5 e, r6 rnd, r7 offset */
        ".macro TP_REQ relu\n"
        "    add r11, r6, r10, asr #31\n"
        "    add r10, r10, r10\n"
        "    smmlar r10, r10, r4, r11\n"
        "    asr r10, r10, r5\n"
        ".if \\relu\n"
        "    bic r10, r10, r10, asr #31\n"
        ".endif\n"
        "    add r10, r10, r7\n"
        "    ssat r10, #8, r10\n"
        "    ldr r11, [r8], #4\n"
        "    strb r10, [r11, r9]\n"
        ".endm\n"
        /* spill the accumulators and load the channel's requantization: r1 -> accumulators */
        ".macro TP_REQ_SETUP\n"
        "    add r1, sp, " TP_F(ACC) "\n"
        "    stm r1, {r4-r11}\n"
        "    ldr r9, [sp, " TP_F(C) "]\n"
        "    ldr r4, [sp, " TP_F(MULT) "]\n"
        "    ldr r4, [r4, r9, lsl #2]\n"
        "    ldr r5, [sp, " TP_F(SHIFT) "]\n"
        "    ldrsb r5, [r5, r9]\n"
        "    rsb r5, r5, #0\n"
        "    sub r6, r5, #1\n"
        "    movs r7, #1\n"
        "    lsl r6, r7, r6\n"
        "    ldr r7, [sp, " TP_F(OFF) "]\n"
        "    ldr r8, [sp, " TP_F(DST) "]\n"
        ".endm\n"
        /* r2 = steps (>= 0) -> r2 = loop entry for that many steps (| 1) */
        ".macro TP_ENTRY\n"
        "    cmp r2, #0\n"
        "    beq 91f\n"
        "    and r2, r2, #7\n"
        "    rsb r2, r2, #8\n"
        "    and r2, r2, #7\n"
        "    movs r3, #108\n"
        "    mul r2, r2, r3\n"
        "    adr.w r3, 10f\n"
        "    add r2, r2, r3\n"
        "    b 92f\n"
        "91:\n"
        "    adr.w r2, 15f\n"
        "92:\n"
        "    orr r2, r2, #1\n"
        ".endm\n"
        ".balign 4\n"
        ".global tp_s8_conv_tile\n"
        ".type tp_s8_conv_tile, %function\n"
        ".thumb\n"
        ".thumb_func\n"
        "tp_s8_conv_tile:\n"
        "    push {r4-r11, lr}\n"
        "    sub sp, sp, " TP_F(SIZE) "\n"
        "    ldr r1, [r0, #4]\n"
        "    str r1, [sp, " TP_F(COLS) "]\n"
        "    ldr r2, [r0, #8]\n"
        "    add r3, r1, r2, lsl #6\n"
        "    str r3, [sp, " TP_F(END) "]\n"
        "    mov r4, r2\n"
        "    TP_ENTRY\n"
        "    str r2, [sp, " TP_F(ENTRY) "]\n"
        "    subs r2, r4, #1\n"
        "    TP_ENTRY\n"
        "    str r2, [sp, " TP_F(ENTRY1) "]\n"
        "    ldr r1, [r0]\n"
        "    str r1, [sp, " TP_F(W) "]\n"
        "    ldr r1, [r0, #16]\n"
        "    str r1, [sp, " TP_F(WSTRIDE) "]\n"
        "    ldr r1, [r0, #20]\n"
        "    str r1, [sp, " TP_F(BIAS) "]\n"
        "    ldr r1, [r0, #24]\n"
        "    str r1, [sp, " TP_F(ACCS) "]\n"
        "    ldr r1, [r0, #28]\n"
        "    str r1, [sp, " TP_F(MULT) "]\n"
        "    ldr r1, [r0, #32]\n"
        "    str r1, [sp, " TP_F(SHIFT) "]\n"
        "    movs r1, #0\n"
        "    str r1, [sp, " TP_F(C) "]\n"
        "    ldr r1, [r0, #12]\n"
        "    str r1, [sp, " TP_F(CHANNELS) "]\n"
        "    ldr r1, [r0, #36]\n"
        "    str r1, [sp, " TP_F(DST) "]\n"
        "    ldr r1, [r0, #40]\n"
        "    str r1, [sp, " TP_F(OFF) "]\n"
        "    ldr r3, [r0, #48]\n"
        "    str r3, [sp, " TP_F(OUTS) "]\n"
        /* the tail: store partial sums, pool, or requantize 8 / fewer, ReLU or not */
        "    ldr r1, [r0, #44]\n"
        "    adr.w r2, 50f\n"
        "    tst r1, #4\n"
        "    bne 93f\n"
        "    adr.w r2, 60f\n"
        "    tst r1, #2\n"
        "    bne 93f\n"
        "    cmp r3, #8\n"
        "    beq 94f\n"
        "    adr.w r2, 73f\n"
        "    tst r1, #1\n"
        "    bne 93f\n"
        "    adr.w r2, 72f\n"
        "    b 93f\n"
        "94:\n"
        "    adr.w r2, 73f\n"
        "    tst r1, #1\n"
        "    bne 93f\n"
        "    adr.w r2, 70f\n"
        "93:\n"
        "    orr r2, r2, #1\n"
        "    str r2, [sp, " TP_F(TAIL) "]\n"
        "    tst r1, #2\n"
        "    it ne\n"
        "    orrne r3, r3, #0x100\n" /* pooled: remember the ReLU flag next to the count */
        "    tst r1, #1\n"
        "    it ne\n"
        "    orrne r3, r3, #0x200\n"
        "    str r3, [sp, " TP_F(OUTS) "]\n"
        "20:\n" /* channel */
        "    ldr r2, [sp, " TP_F(BIAS) "]\n"
        "    cmp r2, #0\n"
        "    beq 21f\n"
        "    ldr r4, [r2], #4\n"
        "    str r2, [sp, " TP_F(BIAS) "]\n"
        "    ldr r1, [sp, " TP_F(COLS) "]\n"
        "    ldr r0, [sp, " TP_F(W) "]\n"
        "    TP_STEP1\n"
        "    ldr r2, [sp, " TP_F(ENTRY1) "]\n"
        "    bx r2\n"
        "21:\n"
        "    ldr r2, [sp, " TP_F(ACCS) "]\n"
        "    ldr r3, [sp, " TP_F(C) "]\n"
        "    add r2, r2, r3, lsl #5\n"
        "    ldm r2, {r4-r11}\n"
        "    ldr r1, [sp, " TP_F(COLS) "]\n"
        "    ldr r0, [sp, " TP_F(W) "]\n"
        "    ldr r2, [sp, " TP_F(ENTRY) "]\n"
        "    bx r2\n"
        ".balign 4\n"
        "10:\n"
        "    .rept 8\n"
        "    TP_STEP\n"
        "    .endr\n"
        "    ldr r2, [sp, " TP_F(END) "]\n"
        "    cmp r1, r2\n"
        "    bne 10b\n"
        "15:\n"
        "    ldr r1, [sp, " TP_F(W) "]\n"
        "    ldr r2, [sp, " TP_F(WSTRIDE) "]\n"
        "    add r1, r1, r2\n"
        "    str r1, [sp, " TP_F(W) "]\n"
        "    ldr r2, [sp, " TP_F(TAIL) "]\n"
        "    bx r2\n"
        "50:\n" /* store the partial sums */
        "    ldr r2, [sp, " TP_F(ACCS) "]\n"
        "    ldr r3, [sp, " TP_F(C) "]\n"
        "    add r2, r2, r3, lsl #5\n"
        "    stm r2, {r4-r11}\n"
        "    b 40f\n"
        "70:\n" /* 8 outputs, saturate */
        "    TP_REQ_SETUP\n"
        "    .rept 8\n"
        "    ldr r10, [r1], #4\n"
        "    TP_REQ 0\n"
        "    .endr\n"
        "    b 40f\n"
        "72:\n" /* fewer outputs, saturate */
        "    TP_REQ_SETUP\n"
        "    ldr r12, [sp, " TP_F(OUTS) "]\n"
        "79:\n"
        "    ldr r10, [r1], #4\n"
        "    TP_REQ 0\n"
        "    subs r12, r12, #1\n"
        "    bne 79b\n"
        "    b 40f\n"
        "73:\n" /* ReLU (a loop: the unrolled form is kept for saturation only, to save code) */
        "    TP_REQ_SETUP\n"
        "    ldr r12, [sp, " TP_F(OUTS) "]\n"
        "    and r12, r12, #0xFF\n"
        "78:\n"
        "    ldr r10, [r1], #4\n"
        "    TP_REQ 1\n"
        "    subs r12, r12, #1\n"
        "    bne 78b\n"
        "    b 40f\n"
        "60:\n" /* pooled outputs: the maximum of 4 accumulators each */
        "    TP_REQ_SETUP\n"
        "    ldr r12, [sp, " TP_F(OUTS) "]\n"
        "61:\n"
        "    ldm r1!, {r2, r3, r10, r11}\n"
        "    cmp r10, r11\n"
        "    it lt\n"
        "    movlt r10, r11\n"
        "    cmp r10, r2\n"
        "    it lt\n"
        "    movlt r10, r2\n"
        "    cmp r10, r3\n"
        "    it lt\n"
        "    movlt r10, r3\n"
        "    tst r12, #0x200\n"
        "    beq 62f\n"
        "    TP_REQ 1\n"
        "    b 63f\n"
        "62:\n"
        "    TP_REQ 0\n"
        "63:\n"
        "    sub r12, r12, #1\n"
        "    tst r12, #0xFF\n"
        "    bne 61b\n"
        "40:\n"
        "    ldr r3, [sp, " TP_F(C) "]\n"
        "    adds r3, r3, #1\n"
        "    str r3, [sp, " TP_F(C) "]\n"
        "    ldr r2, [sp, " TP_F(CHANNELS) "]\n"
        "    cmp r3, r2\n"
        "    blt 20b\n"
        "    add sp, sp, " TP_F(SIZE) "\n"
        "    pop {r4-r11, pc}\n"
        ".size tp_s8_conv_tile, .-tp_s8_conv_tile\n"
        ".purgem TP_PX\n"
        ".purgem TP_STEP\n"
        ".purgem TP_PX1\n"
        ".purgem TP_STEP1\n"
        ".purgem TP_REQ\n"
        ".purgem TP_REQ_SETUP\n"
        ".purgem TP_ENTRY\n"
        ".popsection\n");

/* Store a and b at dst and dst + 4, then advance dst by one step (64 bytes). */
#define TP_STORE_STEP(dst, a, b)                                                               \
    __asm__ volatile("strd %1, %2, [%0], #64" : "+r"(dst) : "r"(a), "r"(b) : "memory")

/* quads groups of four int8 at src -> one pixel's int16 words, one step (64 bytes) apart. */
static int32_t *widen(const int8_t *src, int32_t quads, int32_t *dst)
{
    const int8_t *end = src + 4 * quads;
    if ((((uintptr_t)src) & 3u) == 0u) {
        /* Word-aligned rows (whole groups of four channels): two words per LDRD. */
        const int8_t *end4 = src + 16 * (quads / 4);
        while (src != end4) {
            uint32_t w0;
            uint32_t w1;
            uint32_t w2;
            uint32_t w3;
            __asm__("ldrd %0, %1, [%2], #8" : "=r"(w0), "=r"(w1), "+r"(src) : : "memory");
            __asm__("ldrd %0, %1, [%2], #8" : "=r"(w2), "=r"(w3), "+r"(src) : : "memory");
            TP_STORE_STEP(dst, __sxtb16(w0), tp_sxtb16_ror8(w0));
            TP_STORE_STEP(dst, __sxtb16(w1), tp_sxtb16_ror8(w1));
            TP_STORE_STEP(dst, __sxtb16(w2), tp_sxtb16_ror8(w2));
            TP_STORE_STEP(dst, __sxtb16(w3), tp_sxtb16_ror8(w3));
        }
    }
    while (src != end) {
        const uint32_t w = tp_load_word(src);
        TP_STORE_STEP(dst, __sxtb16(w), tp_sxtb16_ror8(w));
        src += 4;
    }
    return dst;
}

static int32_t *fill(int32_t pair, int32_t quads, int32_t *dst)
{
    int32_t q;
    for (q = 0; q < quads; q++) {
        TP_STORE_STEP(dst, pair, pair);
    }
    return dst;
}

/* One window row of four values (kernel width x channels == 4) into the columns. */
static int32_t *widen_quad(const int8_t *src, int32_t *dst)
{
    const uint32_t w = tp_load_word(src);
    TP_STORE_STEP(dst, __sxtb16(w), tp_sxtb16_ror8(w));
    return dst;
}

/* Window row y of a pixel whose window starts at column ix, through the slow cases (padding,
 * clipped columns, channel counts that are not a multiple of 4). */
static int32_t *gather_row_dsp(const conv_core *cc, int32_t y, int32_t ix, int32_t pair,
                               int32_t *dst)
{
    const tp_dims *d = cc->layer->input_dims;
    const int32_t c = d->c;
    const int32_t kw = cc->layer->filter_dims->w;
    const int8_t *row;
    int32_t kx;
    if (y < 0 || y >= d->h) {
        return fill(pair, cc->span / 4, dst);
    }
    if (c == 1 && kw == 4) {
        /* One clipped row of four single-channel values (the KWS model's first conv). */
        const int8_t pad = (int8_t)(-cc->layer->params->input_offset);
        int8_t quad[4];
        row = in_row(cc, y);
        for (kx = 0; kx < 4; kx++) {
            const int32_t x = ix + kx;
            quad[kx] = (x < 0 || x >= d->w) ? pad : row[x];
        }
        return widen_quad(quad, dst);
    }
    if (c % 4 != 0) {
        gather_row(cc, y, ix, cc->bytes);
        return widen(cc->bytes, cc->span / 4, dst);
    }
    row = in_row(cc, y);
    for (kx = 0; kx < kw; kx++) {
        const int32_t x = ix + kx;
        dst = (x < 0 || x >= d->w) ? fill(pair, c / 4, dst) : widen(row + x * c, c / 4, dst);
    }
    return dst;
}


/* Window rows [ky0, ky1) of the tile's pixels into the int16 K-step-major columns. */
static void gather_tile_dsp(const conv_core *cc, const conv_tile *t, int32_t ky0, int32_t ky1)
{
    const tp_conv_params_s8 *p = cc->layer->params;
    const tp_dims *d = cc->layer->input_dims;
    const int32_t c = d->c;
    const int32_t kw = cc->layer->filter_dims->w;
    const int32_t sh = p->stride.h;
    const int32_t sw = p->stride.w;
    const int32_t pt = p->padding.top;
    const int32_t pl = p->padding.left;
    const int32_t quads = cc->span / 4;
    const int32_t in_row_bytes = cc->in_row;
    const int32_t ring = cc->in_ring;
    const uint32_t pad = (uint32_t)(-p->input_offset) & 0xFFFFu;
    const int32_t pair = (int32_t)(pad | (pad << 16));
    int32_t j;
    if (cc->span % 4 != 0) {
        /* The whole window (never chunked) as one byte column, zero past its end. */
        for (j = 0; j < t->n; j++) {
            int32_t i;
            gather_bytes(cc, t->oy[j], t->ox[j], 0, cc->layer->filter_dims->h, cc->bytes);
            for (i = cc->k; i < cc->kc; i++) {
                cc->bytes[i] = 0;
            }
            widen(cc->bytes, cc->kc / 4, cc->cols + 2 * j);
        }
        return;
    }
    for (j = 0; j < t->n; j++) {
        int32_t *dst = cc->cols + 2 * j;
        const int32_t iy = t->oy[j] * sh - pt;
        const int32_t ix = t->ox[j] * sw - pl;
        int32_t y = iy + ky0;
        const int32_t y_end = iy + ky1;
        if (ix >= 0 && ix + kw <= d->w && y >= 0 && y_end <= d->h) {
            /* Every window row is inside the input: widen them straight from the rows. */
            if (ring == 0) {
                const int8_t *src = cc->in_base + y * in_row_bytes + ix * c;
                if (quads == 1) {
                    for (; y < y_end; y++, src += in_row_bytes) {
                        dst = widen_quad(src, dst);
                    }
                    continue;
                }
                for (; y < y_end; y++, src += in_row_bytes) {
                    dst = widen(src, quads, dst);
                }
            } else {
                int32_t slot = y % ring;
                for (; y < y_end; y++) {
                    dst = widen(cc->in_base + slot * in_row_bytes + ix * c, quads, dst);
                    slot = slot + 1 == ring ? 0 : slot + 1;
                }
            }
            continue;
        }
        for (; y < y_end; y++) {
            dst = gather_row_dsp(cc, y, ix, pair, dst);
        }
    }
}

#else

static int32_t dot_s8(const int8_t *x, const int8_t *w, int32_t n)
{
    int32_t acc = 0;
    int32_t i;
    for (i = 0; i < n; i++) {
        acc += x[i] * w[i];
    }
    return acc;
}

#endif

/* Compute, requantize and store every output channel of tile t. */
static void process_tile(const conv_core *cc, const conv_tile *t)
{
    const tp_conv_layer_s8 *layer = cc->layer;
    const int32_t out_c = layer->output_dims->c;
    const int32_t kh = layer->filter_dims->h;
    const int32_t k = cc->k;
    const tp_conv_params_s8 *params = layer->params;
    const int32_t mode =
        tp_act_mode(params->activation.min, params->activation.max, params->output_offset);
    int32_t *cols = cc->cols;
    int32_t ky0;
    for (ky0 = 0; ky0 < kh; ky0 += cc->chunk) {
        const int32_t ky1 = ky0 + cc->chunk < kh ? ky0 + cc->chunk : kh;
        const int32_t whole = ky0 == 0 && ky1 == kh;
        const int32_t values = whole ? k : (ky1 - ky0) * cc->span;
        const int8_t *w = layer->filter + ky0 * cc->span;
        int32_t c;
#if TP_S8_ASM
        gather_tile_dsp(cc, t, ky0, ky1);
#else
        const int32_t n = t->n;
        int32_t j;
        for (j = 0; j < n; j++) {
            gather_bytes(cc, t->oy[j], t->ox[j], ky0, ky1, (int8_t *)cols + j * cc->kc);
        }
#endif
#if TP_S8_ASM
        {
            tp_s8_tile_job job;
            job.w = w;
            job.cols = cols;
            job.steps = (values + 3) / 4;
            job.wstride = k;
            job.bias = ky0 == 0 ? layer->bias : NULL;
            job.accs = cc->accs;
            job.mult = layer->quant->multiplier;
            job.shift = layer->quant->shift;
            job.dst = t->dst;
            job.out_offset = layer->params->output_offset;
            job.outs = t->outs;
            if (layer->params->fast_requant && mode != TP_ACT_CLAMP) {
                /* All channels in one call, requantized by the routine. */
                job.channels = out_c;
                job.flags = (ky1 < kh ? TP_JOB_STORE : 0) | (layer->pool ? TP_JOB_POOL : 0) |
                            (mode == TP_ACT_RELU ? TP_JOB_RELU : 0);
                tp_s8_conv_tile(&job);
                continue;
            }
            /* Channel by channel; the generic requantization in C. */
            job.channels = 1;
            job.flags = TP_JOB_STORE;
            for (c = 0; c < out_c; c++, w += k) {
                int32_t local[TILE];
                int32_t *acc = whole ? local : cc->accs + c * TILE;
                job.w = w;
                job.bias = ky0 == 0 ? layer->bias + c : NULL;
                job.accs = acc;
                tp_s8_conv_tile(&job);
                if (ky1 == kh) {
                    finish(layer, mode, t->dst, t->outs, c, acc);
                }
            }
        }
#else
        for (c = 0; c < out_c; c++, w += k) {
            int32_t local[TILE];
            int32_t *acc = whole ? local : cc->accs + c * TILE;
            for (j = 0; j < n; j++) {
                const int32_t sum = dot_s8((const int8_t *)cols + j * cc->kc, w, values);
                acc[j] = (ky0 == 0 ? layer->bias[c] : acc[j]) + sum;
            }
            if (ky1 == kh) {
                finish(layer, mode, t->dst, t->outs, c, acc);
            }
        }
#endif
    }
}

/* Output pixels [p, end) (at most TILE of them) of a layer without pooling; output rows at
 * out (a ring of `ring` rows when ring > 0). */
static void pixel_tile(const tp_conv_layer_s8 *layer, int8_t *out, int32_t ring, int32_t p,
                       int32_t end, conv_tile *t)
{
    const int32_t ow = layer->output_dims->w;
    const int32_t oc = layer->output_dims->c;
    int32_t j;
    t->n = end - p < TILE ? end - p : TILE;
    t->outs = t->n;
    for (j = 0; j < t->n; j++) {
        const int32_t oy = (p + j) / ow;
        const int32_t ox = (p + j) % ow;
        t->oy[j] = oy;
        t->ox[j] = ox;
        t->dst[j] = out + ((ring > 0 ? oy % ring : oy) * ow + ox) * oc;
    }
}

/* Pooled outputs [q, end) (at most 2): pixels 4g .. 4g + 3 are output g's 2x2 group. */
static void pooled_tile(const tp_conv_layer_s8 *layer, int8_t *out, int32_t q, int32_t end,
                        conv_tile *t)
{
    const int32_t pw = layer->output_dims->w / 2;
    const int32_t oc = layer->output_dims->c;
    int32_t g;
    t->outs = end - q < TILE / 4 ? end - q : TILE / 4;
    t->n = 4 * t->outs;
    for (g = 0; g < t->outs; g++) {
        const int32_t py = (q + g) / pw;
        const int32_t px = (q + g) % pw;
        int32_t i;
        for (i = 0; i < 4; i++) {
            t->oy[4 * g + i] = 2 * py + i / 2;
            t->ox[4 * g + i] = 2 * px + i % 2;
        }
        t->dst[g] = out + (py * pw + px) * oc;
    }
}

/* Outputs of a layer: pooled outputs when it pools, else pixels. */
static int32_t output_count(const tp_conv_layer_s8 *layer)
{
    const tp_dims *o = layer->output_dims;
    return layer->pool ? (o->h / 2) * (o->w / 2) : o->h * o->w;
}

static void make_tile(const tp_conv_layer_s8 *layer, int8_t *out, int32_t ring, int32_t q,
                      int32_t end, conv_tile *t)
{
    if (layer->pool) {
        pooled_tile(layer, out, q, end, t);
    } else {
        pixel_tile(layer, out, ring, q, end, t);
    }
}

static void run_range(const conv_core *cc, int8_t *out, int32_t ring, int32_t first,
                      int32_t end)
{
    conv_tile t;
    int32_t q;
    for (q = first; q < end; q += t.outs) {
        make_tile(cc->layer, out, ring, q, end, &t);
        process_tile(cc, &t);
    }
}

static int32_t layer_ok(const tp_conv_layer_s8 *l)
{
    const tp_dims *d = l->input_dims;
    const tp_dims *f = l->filter_dims;
    const tp_dims *o = l->output_dims;
    return f->c == d->c && f->n == o->c && d->n == o->n && l->bias != NULL &&
           (l->pool == 0 || l->pool == 2);
}

tp_status tp_convolve_s8(const tp_conv_params_s8 *params, const tp_channel_quant *quant,
                         const tp_dims *input_dims, const int8_t *input,
                         const tp_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                         const tp_dims *output_dims, int8_t *output, void *buffer)
{
    const tp_conv_layer_s8 layer = {params, quant, input_dims, filter_dims, filter, bias,
                                    output_dims, 0};
    const int32_t in_size = input_dims->h * input_dims->w * input_dims->c;
    const int32_t pixels = output_dims->h * output_dims->w;
    int32_t b;
    if (!layer_ok(&layer) || buffer == NULL) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        conv_core cc;
        core_init(&cc, &layer, input + b * in_size, 0, buffer);
        run_range(&cc, output + b * pixels * output_dims->c, 0, 0, pixels);
    }
    return TP_OK;
}

tp_status tp_conv_chain_s8(const tp_conv_chain_params_s8 *chain, const int8_t *input,
                           int8_t *output, void *buffer)
{
    const tp_conv_layer_s8 *a = chain->layer[0];
    conv_core ca;
    if (buffer == NULL || !layer_ok(a) || a->input_dims->n != 1 || chain->count < 1 ||
        chain->count > 2) {
        return TP_ERR_ARGUMENT;
    }
    if (chain->count == 1) {
        core_init(&ca, a, input, 0, buffer);
        run_range(&ca, output, 0, 0, output_count(a));
        return TP_OK;
    }
    {
        const tp_conv_layer_s8 *b = chain->layer[1];
        const tp_dims *ao = a->output_dims;
        const tp_conv_params_s8 *bp = b->params;
        const int32_t ring = chain->ring_rows;
        int8_t *rows = (int8_t *)buffer;
        void *scratch = rows + ring_bytes(chain);
        const int32_t total = output_count(b);
        const int32_t a_total = ao->h * ao->w;
        int32_t done = 0; /* pixels of a's output computed, in raster order */
        conv_core cb;
        conv_tile t;
        int32_t q;
        if (!layer_ok(b) || a->pool != 0 || ring < 1 || b->input_dims->h != ao->h ||
            b->input_dims->w != ao->w || b->input_dims->c != ao->c) {
            return TP_ERR_ARGUMENT;
        }
        core_init(&ca, a, input, 0, scratch);
        core_init(&cb, b, rows, ring, scratch);
        for (q = 0; q < total; q += t.outs) {
            int32_t lo;
            int32_t hi;
            int32_t need;
            make_tile(b, output, 0, q, total, &t);
            lo = t.oy[0] * bp->stride.h - bp->padding.top;
            hi = t.oy[t.n - 1] * bp->stride.h - bp->padding.top + b->filter_dims->h - 1;
            lo = lo > 0 ? lo : 0;
            hi = hi < ao->h - 1 ? hi : ao->h - 1;
            need = (hi + 1) * ao->w;
            if (chain->align) {
                need = (need + TILE - 1) / TILE * TILE;
                need = need < a_total ? need : a_total;
            }
            if (done < need) {
                run_range(&ca, rows, ring, done, need);
                done = need;
            }
            if (lo <= (done - 1) / ao->w - ring) {
                return TP_ERR_ARGUMENT; /* the ring is too small for this tile */
            }
            process_tile(&cb, &t);
        }
    }
    return TP_OK;
}
