/* Private to the generic path of tp_depthwise_conv_s8 (included by
 * ../../tp_depthwise_conv_generic_s8.h after dw_window): four channels at a time over the
 * clipped window with SXTAB16 (input + offset) and SMLABB/SMLATT.
 */
#ifndef TP_DEPTHWISE_CONV_GENERIC_S8_DSP_H
#define TP_DEPTHWISE_CONV_GENERIC_S8_DSP_H

/* Channels oc .. oc + 3 (depth multiplier 1) over the clipped window. */
static void dw_quad(const dw_window *win, int32_t c, int32_t k_w, const int8_t *filter,
                    uint32_t offset_pair, int32_t *acc)
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
    int32_t a2 = acc[2];
    int32_t a3 = acc[3];
    int32_t ky;
    for (ky = win->ky_lo; ky < win->ky_hi; ky++) {
        const int8_t *x = win->x + ky * win->row;
        const int8_t *f = filter + ky * k_w * c;
        int32_t kx;
        for (kx = win->kx_lo; kx < win->kx_hi; kx++) {
            const uint32_t xv = tp_load_word(x + kx * c);
            const uint32_t fv = tp_load_word(f + kx * c);
            const uint32_t x02 = __sxtab16(offset_pair, xv);
            const uint32_t x13 = tp_sxtab16_ror8(offset_pair, xv);
            const uint32_t f02 = __sxtb16(fv);
            const uint32_t f13 = __sxtb16(tp_ror(fv, 8));
            a0 = __smlabb(x02, f02, a0);
            a2 = __smlatt(x02, f02, a2);
            a1 = __smlabb(x13, f13, a1);
            a3 = __smlatt(x13, f13, a3);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#endif /* TP_DEPTHWISE_CONV_GENERIC_S8_DSP_H */
