/* Private to the ring path of tp_depthwise_conv_s8 (included by
 * ../../tp_depthwise_conv_ring_s8.h after dw_requant): the SMLAD weight pairs of a 3-wide
 * window and the rows of a 1-wide (K x 1) window.
 */
#ifndef TP_DEPTHWISE_CONV_RING_S8_DSP_H
#define TP_DEPTHWISE_CONV_RING_S8_DSP_H

/* The four weight pairs of each channel and window row (kernel width 3): see
 * ../../tp_depthwise_conv_ring_s8.h. */
static void ring_pairs(const dw_ring *r, int32_t c0, int32_t g)
{
    const int32_t kh = r->filter_dims->h;
    const int32_t c = r->out->c;
    int32_t ch;
    int32_t ky;
    for (ch = 0; ch < g; ch++) {
        for (ky = 0; ky < kh; ky++) {
            const int8_t *f = r->filter + ky * 3 * c + c0 + ch;
            const uint32_t w0 = (uint32_t)f[0] & 0xFFFFu;
            const uint32_t w1 = (uint32_t)f[c] & 0xFFFFu;
            const uint32_t w2 = (uint32_t)f[2 * c] & 0xFFFFu;
            int32_t *out = r->pairs + (ch * kh + ky) * 4;
            out[0] = (int32_t)(w0 | (w1 << 16));
            out[1] = (int32_t)w2;
            out[2] = (int32_t)(w0 << 16);
            out[3] = (int32_t)(w1 | (w2 << 16));
        }
    }
}

/* Outputs 0 .. 4 * (ow / 4) - 1 of one output row of channel oc for a K x 1 window (kernel
 * width 1), from the ring rows `row`, written at out (stride C); returns how many it wrote
 * (none without the fast requantization or with a clamp: the portable loop takes those).
 * Four neighbouring outputs per pass: the words (e[ox], e[ox + 1]) and (e[ox + 2], e[ox + 3])
 * of each window row times that row's one weight, with SMLABB / SMLATB; requantization
 * constants loaded once per row. Not inlined: in the wrapper's body its registers would
 * change the allocation of the other paths. */
__attribute__((noinline)) static int32_t ring_row_kx1(const dw_ring *r, int32_t mode,
                                                     const int16_t *const *row, int32_t oc,
                                                     int8_t *out)
{
    const tp_dw_conv_params_s8 *p = r->params;
    const int32_t kh = r->filter_dims->h;
    const int32_t ow = r->out->w;
    const int32_t c = r->out->c;
    const int32_t b = r->bias != NULL ? r->bias[oc] : 0;
    const int8_t *f = r->filter + oc;
    const int32_t mult = r->quant->multiplier[oc];
    const int32_t e = -r->quant->shift[oc];
    const int32_t off = p->output_offset;
    int32_t rnd;
    int32_t ox;
    if (!p->fast_requant || mode == TP_ACT_CLAMP) {
        return 0;
    }
    rnd = (int32_t)1 << (e - 1);
    for (ox = 0; ox + 4 <= ow; ox += 4) {
        int32_t a0 = b;
        int32_t a1 = b;
        int32_t a2 = b;
        int32_t a3 = b;
        int32_t ky;
        for (ky = 0; ky < kh; ky++) {
            const uint32_t *x = (const uint32_t *)(const void *)(row[ky] + ox);
            const uint32_t w = (uint32_t)(int32_t)f[ky * c];
            const uint32_t p0 = x[0];
            const uint32_t p1 = x[1];
            a0 = __smlabb(p0, w, a0);
            a1 = __smlatb(p0, w, a1);
            a2 = __smlabb(p1, w, a2);
            a3 = __smlatb(p1, w, a3);
        }
        out[ox * c] = tp_act_apply(tp_requant_fast(a0, mult, e, rnd), mode, off, 0, 0);
        out[(ox + 1) * c] = tp_act_apply(tp_requant_fast(a1, mult, e, rnd), mode, off, 0, 0);
        out[(ox + 2) * c] = tp_act_apply(tp_requant_fast(a2, mult, e, rnd), mode, off, 0, 0);
        out[(ox + 3) * c] = tp_act_apply(tp_requant_fast(a3, mult, e, rnd), mode, off, 0, 0);
    }
    return ox;
}

#endif /* TP_DEPTHWISE_CONV_RING_S8_DSP_H */
