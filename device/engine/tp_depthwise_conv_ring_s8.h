/* Private to tp_depthwise_conv_s8.c: the helpers of the ring path of tp_depthwise_conv_s8
 * (depth multiplier 1, stride 1, at most 16 window rows; both builds), static functions
 * compiled into the wrapper's translation unit (see there why).
 *
 * Channels are taken DW_GROUP at a time. For a group, the input rows a window needs are
 * expanded once each into a ring of kernel_h rows of int16 (x + input_offset), channel-major,
 * with zeros where the padding is; output rows are then computed from the ring in order. An
 * input row enters the ring before the output row at the same place is written and stays while
 * any output row needs it, so the output may be the input itself (in place, same shape): the
 * memory planner relies on it.
 * DSP path for kernel width 3: in an expanded row e, the words P_m = (e[2m], e[2m+1]) give two
 * neighbouring outputs with four SMLAD per window row: out[2m] = P_m.(w0, w1) + P_m+1.(w2, 0),
 * out[2m+1] = P_m.(0, w0) + P_m+1.(w1, w2); the four weight pairs of each channel and window
 * row are built once per group; a 3x3 window with fast requantization runs whole rows in the
 * assembly routines tp_s8_dw3x3_row / tp_s8_dw3x3_row6 (arch/armv7em). A K x 1 window
 * usually has its own kernel (tp_depthwise_conv_kx1_s8); here it takes the C rows.
 * Requantization with tp_requant_fast when the code generator set fast_requant.
 */
#ifndef TP_DEPTHWISE_CONV_RING_S8_H
#define TP_DEPTHWISE_CONV_RING_S8_H

#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if TP_S8_ASM
#include "arch/armv7em/tp_armv7em_s8.h"
#endif

#define DW_GROUP 16

/* int16 values in one expanded row: output columns + kernel width, rounded up to even, and at
 * least what whole blocks of 3 output pairs read (the DSP 3x3 routine): 6 per block + 2. */
static int32_t ring_len(int32_t out_w, int32_t k_w)
{
    const int32_t plain = (out_w + k_w + 1) & ~(int32_t)1;
    const int32_t blocks = 6 * ((out_w + 5) / 6) + 2;
    return plain > blocks ? plain : blocks;
}

/* Depth multiplier 1, stride 1 and at most 16 window rows: the ring path. */
static int32_t group_size(int32_t channels)
{
    return channels < DW_GROUP ? channels : DW_GROUP;
}

static int32_t uses_ring(const tp_dw_conv_params_s8 *params, const tp_dims *filter_dims)
{
    return params->depth_multiplier == 1 && params->stride.h == 1 && params->stride.w == 1 &&
           filter_dims->h <= 16;
}

/* Scratch bytes of the ring path: the ring (kh rows x group channels x ring_len int16), 4
 * weight pairs per channel and window row, and 4 requantization words per channel; a group is
 * min(DW_GROUP, C). Twin: sdk/kernels/families/depthwise.py dw_s8_buffer_bytes. */
static int32_t ring_bytes(const tp_dims *filter_dims, const tp_dims *output_dims)
{
    const int32_t g = group_size(output_dims->c);
    return filter_dims->h * g * ring_len(output_dims->w, filter_dims->w) * 2 +
           g * filter_dims->h * 16 + g * 16;
}

typedef struct {
    const tp_dw_conv_params_s8 *params;
    const tp_channel_quant *quant;
    const tp_dims *in;
    const tp_dims *filter_dims;
    const int8_t *filter;
    const int32_t *bias;
    const tp_dims *out;
    int16_t *ring;   /* [kh][gsz][len] */
    int32_t *pairs;  /* [DW_GROUP][kh][4] weight pairs (kernel width 3, DSP) */
    int32_t *rq;     /* [gsz][4]: bias, multiplier, -shift, rounding (DSP 3x3 routine) */
    int32_t len;
    int32_t gsz;     /* channels per group: min(DW_GROUP, C) */
} dw_ring;

/* Input row y of channels [c0, c0 + g) into ring slot `slot` (zeros outside the input). */
static void ring_load(const dw_ring *r, const int8_t *image, int32_t y, int32_t c0, int32_t g,
                      int32_t slot)
{
    const int32_t w = r->in->w;
    const int32_t c = r->in->c;
    const int32_t pl = r->params->padding.left;
    const int32_t offset = r->params->input_offset;
    int16_t *e = r->ring + slot * r->gsz * r->len + pl;
    int32_t x;
    int32_t ch;
    if (y < 0 || y >= r->in->h) {
        /* The whole slot (padding columns are zero anyway): one contiguous run. */
        int16_t *all = e - pl;
        for (x = 0; x < g * r->len; x++) {
            all[x] = 0;
        }
        return;
    }
    {
        const int8_t *row = image + y * w * c + c0;
        int32_t done = 0;
#if TP_S8_ASM
        const uint32_t pair = ((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16);
        for (; done + 4 <= g; done += 4) {
            int16_t *e0 = e + done * r->len;
            int16_t *e1 = e0 + r->len;
            int16_t *e2 = e1 + r->len;
            int16_t *e3 = e2 + r->len;
            const int8_t *src = row + done;
            for (x = 0; x < w; x++, src += c) {
                const uint32_t v = tp_load_word(src);
                const uint32_t v02 = __sxtab16(pair, v);
                const uint32_t v13 = tp_sxtab16_ror8(pair, v);
                e0[x] = (int16_t)v02;
                e2[x] = (int16_t)(v02 >> 16);
                e1[x] = (int16_t)v13;
                e3[x] = (int16_t)(v13 >> 16);
            }
        }
#endif
        for (ch = done; ch < g; ch++) {
            const int8_t *src = row + ch;
            for (x = 0; x < w; x++, src += c) {
                e[ch * r->len + x] = (int16_t)(*src + offset);
            }
        }
    }
}

static int8_t dw_requant(const dw_ring *r, int32_t mode, int32_t oc, int32_t acc)
{
    const tp_dw_conv_params_s8 *p = r->params;
    const int32_t mult = r->quant->multiplier[oc];
    const int32_t shift = r->quant->shift[oc];
    int32_t v;
    if (p->fast_requant) {
        v = tp_requant_fast(acc, mult, -shift, (int32_t)1 << (-shift - 1));
    } else {
        v = tp_multiply_by_quantized_multiplier(acc, mult, shift);
    }
    return tp_act_apply(v, mode, p->output_offset, p->activation.min, p->activation.max);
}


#if TP_S8_ASM
/* ring_pairs: the SMLAD weight pairs (ARMv7E-M). */
#include "arch/armv7em/tp_depthwise_conv_ring_s8_dsp.h"
#endif

/* Output row oy of channel c0 + ch from the ring, written at out (stride c). */
static void ring_row(const dw_ring *r, int32_t mode, int32_t oy, int32_t c0, int32_t ch,
                     int8_t *out)
{
    const int32_t kh = r->filter_dims->h;
    const int32_t kw = r->filter_dims->w;
    const int32_t ow = r->out->w;
    const int32_t c = r->out->c;
    const int32_t oc = c0 + ch;
    const int32_t b = r->bias != NULL ? r->bias[oc] : 0;
    const int16_t *rows[16];
    const int16_t **row = rows;
    int32_t ky;
    int32_t ox;
    for (ky = 0; ky < kh; ky++) {
        rows[ky] = r->ring + (((oy + ky) % kh) * r->gsz + ch) * r->len;
    }
#if TP_S8_ASM
    if (kw == 3) {
        const int32_t *wp = r->pairs + ch * kh * 4;
        int32_t m;
        for (m = 0; 2 * m < ow; m++) {
            int32_t a0 = b;
            int32_t a1 = b;
            for (ky = 0; ky < kh; ky++) {
                const int32_t *e = (const int32_t *)(const void *)row[ky] + m;
                const int32_t *w = wp + 4 * ky;
                const uint32_t p0 = (uint32_t)e[0];
                const uint32_t p1 = (uint32_t)e[1];
                a0 = __smlad(p0, (uint32_t)w[0], a0);
                a0 = __smlad(p1, (uint32_t)w[1], a0);
                a1 = __smlad(p0, (uint32_t)w[2], a1);
                a1 = __smlad(p1, (uint32_t)w[3], a1);
            }
            out[2 * m * c] = dw_requant(r, mode, oc, a0);
            if (2 * m + 1 < ow) {
                out[(2 * m + 1) * c] = dw_requant(r, mode, oc, a1);
            }
        }
        return;
    }
#endif
    for (ox = 0; ox < ow; ox++) {
        int32_t acc = b;
        for (ky = 0; ky < kh; ky++) {
            const int16_t *e = row[ky] + ox;
            const int8_t *f = r->filter + ky * kw * c + oc;
            int32_t kx;
            for (kx = 0; kx < kw; kx++) {
                acc += (int32_t)e[kx] * f[kx * c];
            }
        }
        out[ox * c] = dw_requant(r, mode, oc, acc);
    }
}


static void depthwise_ring(const dw_ring *r, const int8_t *image, int8_t *output)
{
    const tp_dw_conv_params_s8 *p = r->params;
    const int32_t kh = r->filter_dims->h;
    const int32_t c = r->in->c;
    const int32_t oh = r->out->h;
    const int32_t ow = r->out->w;
    const int32_t pt = p->padding.top;
    const int32_t mode = tp_act_mode(p->activation.min, p->activation.max, p->output_offset);
    int32_t c0;
    for (c0 = 0; c0 < c; c0 += r->gsz) {
        const int32_t g = c - c0 < r->gsz ? c - c0 : r->gsz;
        int32_t next = -pt; /* next input row to load */
        int32_t oy;
        int32_t i;
        for (i = 0; i < kh * r->gsz * r->len; i++) {
            r->ring[i] = 0;
        }
#if TP_S8_ASM
        const int32_t fast3 = kh == 3 && r->filter_dims->w == 3 && p->fast_requant &&
                              mode != TP_ACT_CLAMP;
        if (fast3 && ow <= 6) {
            /* Per channel: bias, multiplier, -shift, rounding, then the 12 weight pairs. */
            int32_t ch;
            ring_pairs(r, c0, g);
            for (ch = g - 1; ch >= 0; ch--) {
                int32_t *rec = r->pairs + 16 * ch;
                const int32_t shift = r->quant->shift[c0 + ch];
                int32_t k;
                for (k = 11; k >= 0; k--) {
                    rec[4 + k] = r->pairs[12 * ch + k];
                }
                rec[0] = r->bias != NULL ? r->bias[c0 + ch] : 0;
                rec[1] = r->quant->multiplier[c0 + ch];
                rec[2] = -shift;
                rec[3] = (int32_t)1 << (-shift - 1);
            }
        } else if (r->filter_dims->w == 3) {
            ring_pairs(r, c0, g);
        }
        if (fast3 && ow > 6) {
            int32_t ch;
            for (ch = 0; ch < g; ch++) {
                const int32_t shift = r->quant->shift[c0 + ch];
                r->rq[4 * ch] = r->bias != NULL ? r->bias[c0 + ch] : 0;
                r->rq[4 * ch + 1] = r->quant->multiplier[c0 + ch];
                r->rq[4 * ch + 2] = -shift;
                r->rq[4 * ch + 3] = (int32_t)1 << (-shift - 1);
            }
        }
#endif
        for (oy = 0; oy < oh; oy++) {
            int32_t ch;
            for (; next <= oy - pt + kh - 1; next++) {
                ring_load(r, image, next, c0, g, (next + pt) % kh);
            }
#if TP_S8_ASM
            if (fast3) {
                tp_s8_dw_job job;
                int32_t ky;
                for (ky = 0; ky < 3; ky++) {
                    job.e[ky] = r->ring + ((oy + ky) % 3) * r->gsz * r->len;
                }
                job.chstride = r->len * 2;
                job.pairs = r->pairs; /* records when ow <= 6 */
                job.rq = r->rq;
                job.out = output + oy * ow * c + c0;
                job.c = c;
                job.ow = ow;
                job.off = p->output_offset;
                job.relu = mode == TP_ACT_RELU;
                job.g = g;
                if (ow <= 6) {
                    tp_s8_dw3x3_row6(&job);
                } else {
                    tp_s8_dw3x3_row(&job);
                }
                continue;
            }
#endif
            for (ch = 0; ch < g; ch++) {
                ring_row(r, mode, oy, c0, ch, output + oy * ow * c + c0 + ch);
            }
        }
    }
}

#endif /* TP_DEPTHWISE_CONV_RING_S8_H */
