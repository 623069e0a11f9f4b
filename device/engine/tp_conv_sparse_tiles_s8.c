/* Tiles of an int8 convolution with a sparse filter (tp_conv_sparse_tiles_s8.h).
 *
 * Per tile: gather the windows (value-major int16, padding as the input zero point, which the
 * effective bias cancels as in the dense kernels), then for each output channel walk its
 * entries, window row by window row, accumulating TILE pixels per entry, and requantize like
 * the dense kernels (tp_requant_fast where the code generator proved it exact; a fused 2x2
 * max pool takes the maximum of the four accumulators then, since that requantization is
 * monotonic, and of the four requantized values otherwise).
 *
 * ARMv7E-M: the gather turns the words of two pixels into pixel-pair words (LDRD, PKHBT,
 * PKHTB, SXTB16: 26 instructions per 16 values, padded pixels included) and
 * tp_s8_sparse_rows (arch/armv7em) takes 14 instructions per entry for 8 MACs, one window row
 * of every channel per call. Elsewhere the same loops in plain C.
 */
#include "tp_conv_sparse_tiles_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if TP_S8_ASM
void tp_s8_sparse_rows(const tp_s8_sparse_job *job);
#else
static void tp_s8_sparse_rows(const tp_s8_sparse_job *job)
{
    const int16_t *seg = job->seg;
    int32_t *acc = job->acc;
    int32_t c;
    for (c = 0; c < job->channels; c++, acc += TILE, seg += job->seg_step / 2) {
        const int16_t *x = job->x;
        const int8_t *e = job->entry + 2 * seg[0];
        int32_t j;
        if (job->bias != NULL) {
            for (j = 0; j < TILE; j++) {
                acc[j] = job->bias[c];
            }
        }
        for (; e < job->entry + 2 * seg[1]; e += 2) {
            const int32_t w = e[1];
            x += (uint8_t)e[0] * TILE;
            for (j = 0; j < TILE; j++) {
                acc[j] += w * x[j];
            }
        }
    }
}
#endif

static const int8_t *row_of(const conv_core *cc, int32_t y)
{
    return cc->in_base + (cc->in_ring > 0 ? y % cc->in_ring : y) * cc->in_row;
}

/* n values of one pixel, from src (NULL: padding), widened: value i at dst[i * TILE]. */
static void gather_values(const conv_core *cc, const int8_t *src, int32_t n, int16_t *dst)
{
    int32_t i;
    if (src == NULL) {
        const int16_t pad = (int16_t)(-cc->layer->params->input_offset);
        for (i = 0; i < n; i++) {
            dst[i * TILE] = pad;
        }
        return;
    }
    for (i = 0; i < n; i++) {
        dst[i * TILE] = src[i];
    }
}

#if defined(__ARM_FEATURE_DSP)
#if defined(__GNUC__)
/* PKHBT (lo's bottom half | hi's bottom half << 16) and PKHTB (hi's top half | lo's top half
 * >> 16) as single instructions: gcc 12 builds them from C with three. */
static inline uint32_t pack_bottoms(uint32_t lo, uint32_t hi)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}

static inline uint32_t pack_tops(uint32_t lo, uint32_t hi)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}
#else
#define pack_bottoms(lo, hi) (((lo) & 0xFFFFu) | ((hi) << 16))
#define pack_tops(lo, hi) (((hi) & 0xFFFF0000u) | ((lo) >> 16))
#endif

/* Values i .. i + 3 of pixels a and b as pairs (a's value | b's value << 16), one word per
 * value at o: the halves of the two words side by side (PKHBT, PKHTB), then each SXTB16 widens
 * one pair. */
static inline void pair_quad(uint32_t wa, uint32_t wb, uint32_t *o)
{
    const uint32_t lo = pack_bottoms(wa, wb); /* a0 a1 b0 b1 */
    const uint32_t hi = pack_tops(wa, wb);    /* a2 a3 b2 b3 */
    o[0] = __sxtb16(lo);
    o[TILE / 2] = tp_sxtb16_ror8(lo);
    o[TILE] = __sxtb16(hi);
    o[3 * TILE / 2] = tp_sxtb16_ror8(hi);
}

/* Two words at *p (4-aligned), *p advanced past them: one LDRD with writeback, which gcc 12
 * does not form from C here. */
static inline void load_two(const uint32_t **p, uint32_t *w0, uint32_t *w1)
{
    uint32_t x0;
    uint32_t x1;
    __asm__("ldrd %0, %1, [%2], #8"
            : "=&r"(x0), "=&r"(x1), "+r"(*p)
            : "m"(*(const uint32_t(*)[2]) * p));
    *w0 = x0;
    *w1 = x1;
}

/* n values (a multiple of 4) of two pixels (4-aligned: rows of whole words, channels a
 * multiple of 4) as pairs at dst (a 4-aligned pixel pair), two quads per pass after one
 * alone when n / 4 is odd. */
static void gather_pair(const int8_t *a, const int8_t *b, int32_t n, int16_t *dst)
{
    const uint32_t *wa = (const uint32_t *)(const void *)a;
    const uint32_t *wb = (const uint32_t *)(const void *)b;
    const uint32_t *end = wa + n / 4;
    uint32_t *o = (uint32_t *)(void *)dst;
    if (n & 4) {
        pair_quad(*wa++, *wb++, o);
        o += 2 * TILE;
    }
    while (wa < end) {
        uint32_t a0;
        uint32_t a1;
        uint32_t b0;
        uint32_t b1;
        load_two(&wa, &a0, &a1);
        load_two(&wb, &b0, &b1);
        pair_quad(a0, b0, o);
        pair_quad(a1, b1, o + 2 * TILE);
        o += 4 * TILE;
    }
}
#endif

/* Window rows [ky0, ky1) of the tile's pixels into cols, value-major, a pair of pixels at a
 * time (the last pixel of an odd tile twice). Not inlined, nor is store: gcc 12 inlining both
 * into tp_conv_sparse_tiles_s8_process spills more (0.5 % more instructions on the pruned
 * gesture CNN), and the per-function profile then names their shares. */
__attribute__((noinline)) static void gather(const conv_core *cc, const conv_tile *t,
                                             int32_t ky0, int32_t ky1, int16_t *cols)
{
    const tp_conv_layer_s8 *layer = cc->layer;
    const tp_conv_params_s8 *p = layer->params;
    const tp_dims *d = layer->input_dims;
    const int32_t c = d->c;
    const int32_t kw = layer->filter_dims->w;
    int32_t j;
#if defined(__ARM_FEATURE_DSP)
    /* A padding pixel as bytes (the input zero point) in the byte column, which the layers of
     * a chain share (so it is written per call): a pixel pair with one padded pixel takes
     * the pair gather too. */
    const int8_t *pad = cc->bytes;
    const int32_t words = (c & 3) == 0 && ((uintptr_t)cc->in_base & 3) == 0;
    if (words) {
        const uint32_t z = (uint8_t)(-p->input_offset) * 0x01010101u;
        uint32_t *w = (uint32_t *)(void *)cc->bytes;
        int32_t i;
        for (i = 0; i < c; i += 4) {
            *w++ = z;
        }
    }
#endif
    for (j = 0; j < t->n; j += 2) {
        const int32_t j1 = j + 1 < t->n ? j + 1 : j;
        const int32_t iya = t->oy[j] * p->stride.h - p->padding.top;
        const int32_t ixa = t->ox[j] * p->stride.w - p->padding.left;
        const int32_t iyb = t->oy[j1] * p->stride.h - p->padding.top;
        const int32_t ixb = t->ox[j1] * p->stride.w - p->padding.left;
        int32_t ky;
        for (ky = ky0; ky < ky1; ky++) {
            const int32_t ya = iya + ky;
            const int32_t yb = iyb + ky;
            const int8_t *ra = ya >= 0 && ya < d->h ? row_of(cc, ya) : NULL;
            const int8_t *rb = yb >= 0 && yb < d->h ? row_of(cc, yb) : NULL;
            int16_t *dst = cols + (ky - ky0) * cc->span * TILE + j;
            int32_t kx;
#if defined(__ARM_FEATURE_DSP)
            if (ra != NULL && rb != NULL && words && ixa >= 0 && ixb >= 0 &&
                ixa + kw <= d->w && ixb + kw <= d->w) {
                gather_pair(ra + ixa * c, rb + ixb * c, cc->span, dst);
                continue;
            }
#endif
            for (kx = 0; kx < kw; kx++, dst += c * TILE) {
                const int32_t xa = ixa + kx;
                const int32_t xb = ixb + kx;
                const int8_t *sa = ra != NULL && xa >= 0 && xa < d->w ? ra + xa * c : NULL;
                const int8_t *sb = rb != NULL && xb >= 0 && xb < d->w ? rb + xb * c : NULL;
#if defined(__ARM_FEATURE_DSP)
                if (words) {
                    gather_pair(sa != NULL ? sa : pad, sb != NULL ? sb : pad, c, dst);
                    continue;
                }
#endif
                gather_values(cc, sa, c, dst);
                gather_values(cc, sb, c, dst + 1);
            }
        }
    }
}

/* The fast requantization of every channel of a tile (channel c's accumulators at
 * accs[c * TILE]; pooled: the maximum of each 4 first) with activation mode, a constant at
 * each call: each mode gets its own loops, and everything the loops read besides the
 * accumulators and the output pointers is a local (the int8 stores may alias any memory). */
static inline void store_fast(const tp_conv_layer_s8 *layer, const conv_tile *t,
                              const int32_t *accs, int32_t mode)
{
    const tp_conv_params_s8 *p = layer->params;
    const int32_t *mult = layer->quant->multiplier;
    const int8_t *shift = layer->quant->shift;
    const int32_t channels = layer->output_dims->c;
    const int32_t pool = layer->pool;
    const int32_t outs = t->outs;
    const int32_t off = p->output_offset;
    const int32_t lo = p->activation.min;
    const int32_t hi = p->activation.max;
    int8_t *const *dst = t->dst;
    int32_t c;
    for (c = 0; c < channels; c++, accs += TILE) {
        const int32_t m = mult[c];
        const int32_t e = -shift[c];
        const int32_t rnd = (int32_t)1 << (e - 1);
        const int32_t *acc = accs;
        int32_t j;
        if (!pool) {
            for (j = 0; j < outs; j++) {
                dst[j][c] = tp_act_apply(tp_requant_fast(acc[j], m, e, rnd), mode, off, lo, hi);
            }
            continue;
        }
        for (j = 0; j < outs; j++, acc += 4) {
            const int32_t m0 = acc[0] > acc[1] ? acc[0] : acc[1];
            const int32_t m1 = acc[2] > acc[3] ? acc[2] : acc[3];
            dst[j][c] = tp_act_apply(tp_requant_fast(m0 > m1 ? m0 : m1, m, e, rnd), mode, off,
                                     lo, hi);
        }
    }
}

/* Requantize every channel of the tile's outputs from its accumulators and store them. */
__attribute__((noinline)) static void store(const tp_conv_layer_s8 *layer, int32_t mode,
                                            const conv_tile *t, const int32_t *accs)
{
    const tp_conv_params_s8 *p = layer->params;
    const int32_t channels = layer->output_dims->c;
    const int32_t n = layer->pool ? 4 : 1;
    int32_t c;
    if (p->fast_requant) {
        /* Saturation (a ReLU whose output zero point is -128) is the usual case; a ReLU is
         * also the clamp to [off, 127]. */
        if (mode == TP_ACT_SAT) {
            store_fast(layer, t, accs, TP_ACT_SAT);
        } else {
            store_fast(layer, t, accs, TP_ACT_CLAMP);
        }
        return;
    }
    for (c = 0; c < channels; c++, accs += TILE) {
        const int32_t mult = layer->quant->multiplier[c];
        const int32_t shift = layer->quant->shift[c];
        int32_t j;
        for (j = 0; j < t->outs; j++) {
            int32_t best = -128;
            int32_t i;
            for (i = 0; i < n; i++) {
                const int32_t v = tp_act_apply(
                    tp_multiply_by_quantized_multiplier(accs[n * j + i], mult, shift), mode,
                    p->output_offset, p->activation.min, p->activation.max);
                best = v > best ? v : best;
            }
            t->dst[j][c] = (int8_t)best;
        }
    }
}

int32_t tp_conv_sparse_tiles_s8_core_bytes(const tp_conv_layer_s8 *layer, const tp_sparse_s8 *sparse)
{
    const tp_dims *f = layer->filter_dims;
    const int32_t out_c = layer->output_dims->c;
    const int32_t size = tp_conv_tiles_s8_core_bytes(layer->params, f, out_c);
    const int32_t dense_chunks = size != tp_conv_tiles_s8_core_bytes(layer->params, f, 0);
    return sparse != NULL && !dense_chunks ? size + out_c * TILE * 4 : size;
}

const conv_core *tp_conv_sparse_tiles_s8_init(conv_sparse_core *sc, const tp_conv_layer_s8 *layer,
                                              const tp_sparse_s8 *sparse, const int8_t *input,
                                              int32_t in_ring, void *scratch)
{
    sc->sparse = sparse;
    return tp_conv_tiles_s8_init(&sc->base, layer, input, in_ring, scratch);
}

void tp_conv_sparse_tiles_s8_process(const conv_core *cc, const conv_tile *t)
{
    const tp_sparse_s8 *sp = ((const conv_sparse_core *)(const void *)cc)->sparse;
    const tp_conv_layer_s8 *layer = cc->layer;
    const tp_conv_params_s8 *p = layer->params;
    const int32_t out_c = layer->output_dims->c;
    const int32_t kh = layer->filter_dims->h;
    const int32_t mode = tp_act_mode(p->activation.min, p->activation.max, p->output_offset);
    tp_s8_sparse_job job;
    int32_t ky0;
    if (sp == NULL) {
        tp_conv_tiles_s8_process(cc, t);
        return;
    }
    job.entry = sp->entry;
    job.seg_step = 2 * kh;
    job.acc = cc->accs;
    job.channels = out_c;
    for (ky0 = 0; ky0 < kh; ky0 += cc->chunk) {
        const int32_t ky1 = ky0 + cc->chunk < kh ? ky0 + cc->chunk : kh;
        int32_t ky;
        gather(cc, t, ky0, ky1, (int16_t *)(void *)cc->cols);
        /* Row by row: one kind of call (the one-row chunks of a tight arena are the common
         * case), the partial sums in the scratch between rows. */
        for (ky = ky0; ky < ky1; ky++) {
            job.seg = sp->start + ky;
            job.x = (const int16_t *)(const void *)cc->cols + (ky - ky0) * cc->span * TILE;
            job.bias = ky == 0 ? layer->bias : NULL;
            tp_s8_sparse_rows(&job);
        }
        if (ky1 == kh) {
            store(layer, mode, t, cc->accs);
        }
    }
}

void tp_conv_sparse_tiles_s8_run(const conv_core *cc, int8_t *out, int32_t ring, int32_t first,
                                 int32_t end)
{
    conv_tile t;
    int32_t q;
    for (q = first; q < end; q += t.outs) {
        tp_conv_tiles_s8_make(cc->layer, out, ring, q, end, &t);
        tp_conv_sparse_tiles_s8_process(cc, &t);
    }
}
