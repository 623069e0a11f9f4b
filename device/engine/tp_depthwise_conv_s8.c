/* DepthwiseConv2D, int8, NHWC input, filter [1, kh, kw, C*M], any stride, asymmetric padding,
 * dilation 1, depth multiplier M, per-output-channel requantization.
 *
 * Output channel c*M+m reads input channel c; each output accumulates (x + input_offset) * w
 * over the window, padding contributing nothing (as in TFLite Micro).
 *
 * Ring path (depth multiplier 1, stride 1; both builds): channels are taken DW_GROUP at a time.
 * For a group, the input rows a window needs are expanded once each into a ring of kernel_h
 * rows of int16 (x + input_offset), channel-major, with zeros where the padding is; output
 * rows are then computed from the ring in order. An input row enters the ring before the
 * output row at the same place is written and stays while any output row needs it, so the
 * output may be the input itself (in place, same shape): the memory planner relies on it.
 * DSP path for kernel width 3: in an expanded row e, the words P_m = (e[2m], e[2m+1]) give two
 * neighbouring outputs with four SMLAD per window row: out[2m] = P_m.(w0, w1) + P_m+1.(w2, 0),
 * out[2m+1] = P_m.(0, w0) + P_m+1.(w1, w2); the four weight pairs of each channel and window
 * row are built once per group. Requantization with tp_requant_fast when the code generator
 * set fast_requant.
 *
 * Other shapes (generic path): per output pixel, the window is clipped to the input; on the DSP
 * path four channels at a time with SXTAB16 (input + offset) and SMLABB/SMLATT. Memory
 * contract there (memory_planner.overlap_limit): output pixels in raster order, and once pixel
 * p is written no input before the first element of p's clipped window is read again.
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if TP_S8_ASM
#include "arch/armv7em/tp_armv7em_s8.h"
#endif

typedef struct {
    int32_t ky_lo;
    int32_t ky_hi;
    int32_t kx_lo;
    int32_t kx_hi;
    int32_t row;    /* input values between window rows */
    const int8_t *x; /* input at window tap (0, 0), possibly outside the image */
} dw_window;

static int8_t requant_channel(const tp_dw_conv_params_s8 *params, const tp_channel_quant *quant,
                              int32_t oc, int32_t acc)
{
    return tp_requant_acc_s8(acc, quant->multiplier[oc], quant->shift[oc], params->output_offset,
                            params->activation.min, params->activation.max);
}

/* One output channel over the clipped window: input channel ic, filter column oc. */
static int32_t dw_channel(const dw_window *win, int32_t in_c, int32_t out_c, int32_t k_w,
                          const int8_t *filter, int32_t ic, int32_t oc, int32_t offset,
                          int32_t acc)
{
    int32_t ky;
    for (ky = win->ky_lo; ky < win->ky_hi; ky++) {
        const int8_t *x = win->x + ky * win->row + ic;
        const int8_t *f = filter + ky * k_w * out_c + oc;
        int32_t kx;
        for (kx = win->kx_lo; kx < win->kx_hi; kx++) {
            acc += (x[kx * in_c] + offset) * f[kx * out_c];
        }
    }
    return acc;
}

#if TP_S8_ASM
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
            const uint32_t x13 = __sxtab16(offset_pair, tp_ror(xv, 8));
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

int32_t tp_depthwise_conv_s8_get_buffer_size(const tp_dw_conv_params_s8 *params,
                                             const tp_dims *filter_dims,
                                             const tp_dims *output_dims)
{
    if (!uses_ring(params, filter_dims)) {
        return 0;
    }
    /* The ring (kh rows x group channels x ring_len int16), 4 weight pairs per channel and
     * window row, and 4 requantization words per channel; a group is min(DW_GROUP, C). */
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
                const uint32_t v13 = __sxtab16(pair, tp_ror(v, 8));
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

#if TP_S8_ASM
/* The four weight pairs of each channel and window row (kernel width 3), see above. */
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
#endif

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

tp_status tp_depthwise_conv_s8(const tp_dw_conv_params_s8 *params, const tp_channel_quant *quant,
                               const tp_dims *input_dims, const int8_t *input,
                               const tp_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias, const tp_dims *output_dims, int8_t *output,
                               void *buffer)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t mult = params->depth_multiplier;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    const int32_t offset = params->input_offset;
    int32_t b;

    if (mult < 1 || filter_dims->c != in_c * mult || out_c != in_c * mult ||
        input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    if (uses_ring(params, filter_dims)) {
        dw_ring r;
        if (buffer == NULL) {
            return TP_ERR_ARGUMENT;
        }
        r.params = params;
        r.quant = quant;
        r.in = input_dims;
        r.filter_dims = filter_dims;
        r.filter = filter;
        r.bias = bias;
        r.out = output_dims;
        r.len = ring_len(out_w, k_w);
        r.gsz = group_size(out_c);
        r.ring = (int16_t *)buffer;
        r.pairs = (int32_t *)(void *)(r.ring + k_h * r.gsz * r.len);
        r.rq = r.pairs + r.gsz * k_h * 4;
        for (b = 0; b < input_dims->n; b++) {
            depthwise_ring(&r, input + b * in_h * in_w * in_c,
                           output + b * out_h * out_w * out_c);
        }
        return TP_OK;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * in_h * in_w * in_c;
        int32_t oy;
        for (oy = 0; oy < out_h; oy++) {
            dw_window win;
            const int32_t iy = tp_window_start(oy, params->stride.h, params->padding.top, k_h, in_h,
                                               &win.ky_lo, &win.ky_hi);
            int32_t ox;
            win.row = in_w * in_c;
            for (ox = 0; ox < out_w; ox++) {
                const int32_t ix = tp_window_start(ox, params->stride.w, params->padding.left, k_w,
                                                   in_w, &win.kx_lo, &win.kx_hi);
                int8_t *out = output + ((b * out_h + oy) * out_w + ox) * out_c;
                int32_t oc = 0;
                win.x = image + (iy * in_w + ix) * in_c;
#if TP_S8_ASM
                if (mult == 1) {
                    const uint32_t offset_pair =
                        ((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16);
                    for (; oc + 4 <= out_c; oc += 4) {
                        int32_t acc[4];
                        int32_t j;
                        for (j = 0; j < 4; j++) {
                            acc[j] = bias != NULL ? bias[oc + j] : 0;
                        }
                        win.x += oc;
                        dw_quad(&win, in_c, k_w, filter + oc, offset_pair, acc);
                        win.x -= oc;
                        for (j = 0; j < 4; j++) {
                            out[oc + j] = requant_channel(params, quant, oc + j, acc[j]);
                        }
                    }
                }
#endif
                for (; oc < out_c; oc++) {
                    const int32_t acc = dw_channel(&win, in_c, out_c, k_w, filter, oc / mult, oc,
                                                   offset, bias != NULL ? bias[oc] : 0);
                    out[oc] = requant_channel(params, quant, oc, acc);
                }
            }
        }
    }
    return TP_OK;
}
