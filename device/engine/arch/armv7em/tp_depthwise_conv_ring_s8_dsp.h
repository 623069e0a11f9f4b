/* Private to the ring path of tp_depthwise_conv_s8 (included by
 * ../../tp_depthwise_conv_ring_s8.h after dw_requant): the SMLAD weight pairs of a 3-wide
 * window.
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

#endif /* TP_DEPTHWISE_CONV_RING_S8_DSP_H */
