/* The tile machinery of the int8 convolutions (tp_conv_tiles_s8.h): gather, compute,
 * requantize and store tiles of output pixels, for tp_convolve_s8 and tp_conv_chain_s8.
 *
 * The bias is the effective bias: bias[c] + input_offset * sum(filter[c]), so both paths
 * accumulate raw int8 products; a padded position counts as the input zero point
 * (-input_offset), whose product cancels the folded term exactly.
 *
 * DSP path (TP_S8_ASM, tp_requant.h): the gather widens the windows to int16 in a K-step-major
 * layout: for every group of four window values, the 8 pixels' two words (x0,x2 | x1,x3, the
 * order SXTB16 produces from a word of four int8) follow each other (64 bytes per step). The
 * tile routine tp_s8_conv_tile (arch/armv7em/tp_s8_conv_tile.S) then computes every output
 * channel of the 8 pixels with a register tile of 1 channel x 8 pixels, 27 instructions per
 * 32 MACs, and requantizes the fast cases itself. Weights stay int8 in flash, in their OHWI
 * order: a window of k values whose k % 4 != 0 is padded with zero inputs, and the filter
 * array is padded by 3 bytes so the last channel's over-read stays inside it. A window can be
 * split into chunks of window rows (params->chunk_rows) to shrink the gather buffer; partial
 * sums then wait in accs.
 *
 * Portable path: the windows are gathered as int8 columns and each output is a plain dot
 * product; on the MSP430 (TP_S8_MSP430) a dot product on the hardware multiplier and the fast
 * requantization through its 16 x 16 products (arch/msp430/tp_msp430_s8.h).
 *
 * Requantization: params->fast_requant selects tp_requant_fast (exact, see tp_requant.h).
 * A fused max pool takes the maximum of the four accumulators and requantizes once, which is
 * exact because requantization with shift <= 0 is monotonic non-decreasing (with the generic
 * form each pixel is requantized and the maximum taken).
 */
#include "tp_conv_tiles_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if TP_S8_MSP430
#include "arch/msp430/tp_msp430_s8.h"
#define TP_REQUANT_LR tp_msp430_requant_lr
#else
#define TP_REQUANT_LR tp_multiply_by_quantized_multiplier_lr
#endif

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

int32_t tp_conv_tiles_s8_core_bytes(const tp_conv_params_s8 *p, const tp_dims *f, int32_t out_c)
{
    const int32_t kc = chunk_values(p, f);
    int32_t size = TILE * kc * 2 + kc;
    if (rows_per_chunk(p, f) < f->h) {
        size += out_c * TILE * 4;
    }
    return size;
}

const conv_core *tp_conv_tiles_s8_init(conv_core *cc, const tp_conv_layer_s8 *layer,
                                       const int8_t *input, int32_t in_ring, void *scratch)
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
    return cc;
}

#if !TP_S8_MSP430
/* The portable gather (the MSP430 has its own: arch/msp430/tp_msp430_conv_tile_s8.h). */
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
#endif

#if !TP_S8_ASM && !TP_S8_MSP430
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
#if TP_S8_ASM || TP_S8_MSP430
    /* The tile routine (DSP) or tp_msp430_conv_process (MSP430) requantizes the fast cases
     * itself; what comes here takes the generic form (exact in every case). */
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
                        TP_REQUANT_LR(acc[4 * j + i], mult, left, right),
                        TP_ACT_CLAMP, off, lo, hi);
                    best = v > best ? v : best;
                }
                dst[j][c] = (int8_t)best;
            }
        } else {
            for (j = 0; j < outs; j++) {
                dst[j][c] = tp_act_apply(
                    TP_REQUANT_LR(acc[j], mult, left, right),
                    TP_ACT_CLAMP, off, lo, hi);
            }
        }
    }
}

#if TP_S8_ASM
/* The DSP gather: static functions on top of in_row, gather_row and gather_bytes. */
#include "arch/armv7em/tp_conv_gather_s8.h"
#elif TP_S8_MSP430
/* The MSP430 tile: tp_msp430_conv_process, on top of finish. */
#include "arch/msp430/tp_msp430_conv_tile_s8.h"
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

void tp_conv_tiles_s8_process(const conv_core *cc, const conv_tile *t)
{
#if TP_S8_MSP430
    tp_msp430_conv_process(cc, t);
#else
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
#endif
}

void tp_conv_tiles_s8_pooled(const tp_dims *o, int8_t *out, int32_t q, int32_t end,
                             conv_tile *t)
{
    const int32_t pw = o->w / 2;
    const int32_t oc = o->c;
    int32_t g;
    t->outs = end - q < TILE / 4 ? end - q : TILE / 4;
    t->n = 4 * t->outs;
    for (g = 0; g < t->outs; g++) {
#if TP_S8_MSP430
        /* Outputs fit 16 bits; a 32-bit division is a helper call of about 3,900 cycles, a
         * 16-bit one about 250, a 16-bit product about 40. */
        const int16_t qg = (int16_t)(q + g);
        const int16_t py = (int16_t)(qg / (int16_t)pw);
        const int16_t px = (int16_t)(qg - (int16_t)(py * (int16_t)pw));
#else
        const int32_t py = (q + g) / pw;
        const int32_t px = (q + g) % pw;
#endif
        int32_t i;
        for (i = 0; i < 4; i++) {
            t->oy[4 * g + i] = 2 * py + i / 2;
            t->ox[4 * g + i] = 2 * px + i % 2;
        }
#if TP_S8_MSP430
        t->dst[g] = out + (int16_t)(qg * (int16_t)oc);
#else
        t->dst[g] = out + (py * pw + px) * oc;
#endif
    }
}

void tp_conv_tiles_s8_run(const conv_core *cc, int8_t *out, int32_t ring, int32_t first,
                      int32_t end)
{
    conv_tile t;
    int32_t q;
    for (q = first; q < end; q += t.outs) {
        tp_conv_tiles_s8_make(cc->layer, out, ring, q, end, &t);
        tp_conv_tiles_s8_process(cc, &t);
    }
}
