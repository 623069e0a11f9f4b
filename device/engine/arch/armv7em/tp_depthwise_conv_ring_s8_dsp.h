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

/* Output row oy of channels c0 .. c0 + g - 1 for a K x 1 window (kernel width 1) with the fast
 * requantization and no clamp (the caller checks), written at out (channel c0; stride C).
 * Four neighbouring outputs per pass: the words (e[ox], e[ox + 1]) and (e[ox + 2], e[ox + 3])
 * of each window row times that row's one weight, with SMLABB / SMLATB; the ring slots of the
 * window rows are found once per output row. Not inlined: in the wrapper's body its registers
 * would change the allocation of the other paths. */
__attribute__((noinline)) static void ring_rows_kx1(const dw_ring *r, int32_t mode, int32_t oy,
                                                   int32_t c0, int32_t g, int8_t *out)
{
    const int32_t kh = r->filter_dims->h;
    const int32_t ow = r->out->w;
    const int32_t c = r->out->c;
    const int32_t off = r->params->output_offset;
    const int16_t *slots[16];
    int32_t ky;
    int32_t ch;
    for (ky = 0; ky < kh; ky++) {
        slots[ky] = r->ring + ((oy + ky) % kh) * r->gsz * r->len;
    }
    for (ch = 0; ch < g; ch++) {
        const int32_t oc = c0 + ch;
        const int32_t b = r->bias != NULL ? r->bias[oc] : 0;
        const int32_t mult = r->quant->multiplier[oc];
        const int32_t e = -r->quant->shift[oc];
        const int32_t rnd = (int32_t)1 << (e - 1);
        const int32_t base = ch * r->len;
        int8_t *o = out + ch;
        int32_t ox;
        for (ox = 0; ox + 4 <= ow; ox += 4) {
            const int8_t *f = r->filter + oc;
            int32_t a0 = b;
            int32_t a1 = b;
            int32_t a2 = b;
            int32_t a3 = b;
            for (ky = 0; ky < kh; ky++, f += c) {
                const uint32_t *x = (const uint32_t *)(const void *)(slots[ky] + base + ox);
                const uint32_t w = (uint32_t)(int32_t)*f;
                const uint32_t p0 = x[0];
                const uint32_t p1 = x[1];
                a0 = __smlabb(p0, w, a0);
                a1 = __smlatb(p0, w, a1);
                a2 = __smlabb(p1, w, a2);
                a3 = __smlatb(p1, w, a3);
            }
            o[ox * c] = tp_act_apply(tp_requant_fast(a0, mult, e, rnd), mode, off, 0, 0);
            o[(ox + 1) * c] = tp_act_apply(tp_requant_fast(a1, mult, e, rnd), mode, off, 0, 0);
            o[(ox + 2) * c] = tp_act_apply(tp_requant_fast(a2, mult, e, rnd), mode, off, 0, 0);
            o[(ox + 3) * c] = tp_act_apply(tp_requant_fast(a3, mult, e, rnd), mode, off, 0, 0);
        }
        for (; ox < ow; ox++) {
            const int8_t *f = r->filter + oc;
            int32_t acc = b;
            for (ky = 0; ky < kh; ky++, f += c) {
                acc += (int32_t)slots[ky][base + ox] * *f;
            }
            o[ox * c] = tp_act_apply(tp_requant_fast(acc, mult, e, rnd), mode, off, 0, 0);
        }
    }
}

#endif /* TP_DEPTHWISE_CONV_RING_S8_DSP_H */
