/* Conv2D, int8, NHWC input, OHWI filter, any stride, asymmetric padding, dilation 1,
 * per-output-channel requantization (TFLite Micro's reference arithmetic, double rounding).
 *
 * The bias is the effective bias: bias[c] + input_offset * sum(filter[c]), so both paths
 * accumulate raw int8 products; a padded position counts as the input zero point
 * (-input_offset), whose product cancels the folded term exactly.
 *
 * DSP path (__ARM_FEATURE_DSP): output pixels are taken TP_CONV_S8_TILE at a time in raster
 * order. Each pixel's window is copied (im2col) into the scratch buffer as int16 pairs in the
 * order SXTB16 produces from a word of four int8 (x0,x2 | x1,x3), so a filter word needs one
 * LDR and two SXTB16 and then feeds two SMLADs per pixel: a register tile of one output channel
 * x TP_CONV_S8_TILE pixels. A 1x1 window row that is whole and word-sized is converted straight
 * from the input; other rows go through a byte column first. K % 4 trailing values are kept as
 * int32 words and multiplied one by one.
 *
 * Memory contract (memory_planner.overlap_limit): the DSP path reads the input of a pixel tile
 * into the buffer before it writes any output of that tile; the portable path writes pixel p
 * after reading its window. Either way no input before the current pixel's window is read
 * after outputs up to the pixel after it are written.
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>


#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

#define TP_CONV_S8_TILE 4

/* Words of one im2col column: two per whole group of four values, one per trailing value. */
static int32_t column_words(int32_t k)
{
    return (k / 4) * 2 + k % 4;
}

int32_t tp_convolve_s8_get_buffer_size(const tp_dims *input_dims, const tp_dims *filter_dims)
{
    const int32_t k = filter_dims->h * filter_dims->w * input_dims->c;
    return TP_CONV_S8_TILE * column_words(k) * 4 + ((k + 3) / 4) * 4;
}

#if defined(__ARM_FEATURE_DSP)

/* Four int8 values -> two words of int16 pairs (x0,x2) and (x1,x3). */
static inline void widen_quad(const int8_t *src, int32_t *dst)
{
    const uint32_t w = tp_load_word(src);
    dst[0] = (int32_t)__sxtb16(w);
    dst[1] = (int32_t)__sxtb16(tp_ror(w, 8));
}

static void widen_column(const int8_t *src, int32_t k, int32_t *dst)
{
    const int32_t quads = k / 4;
    int32_t q;
    int32_t t;
    for (q = 0; q < quads; q++) {
        widen_quad(src + 4 * q, dst + 2 * q);
    }
    for (t = 0; t < k % 4; t++) {
        dst[2 * quads + t] = src[4 * quads + t];
    }
}

typedef struct {
    const tp_conv_params_s8 *params;
    const tp_dims *input_dims;
    const int8_t *image;
    int32_t k_h;
    int32_t k_w;
    int32_t k;
    int8_t *bytes; /* byte column, k bytes */
} im2col_ctx;

/* The window of output pixel (oy, ox) as an int16 column at dst. */
static void im2col(const im2col_ctx *c, int32_t oy, int32_t ox, int32_t *dst)
{
    const int32_t in_h = c->input_dims->h;
    const int32_t in_w = c->input_dims->w;
    const int32_t in_c = c->input_dims->c;
    const int32_t iy = oy * c->params->stride.h - c->params->padding.top;
    const int32_t ix = ox * c->params->stride.w - c->params->padding.left;
    const int32_t span = c->k_w * in_c;
    const int8_t pad = (int8_t)(-c->params->input_offset);
    int32_t ky;

    if (ix >= 0 && ix + c->k_w <= in_w && iy >= 0 && iy + c->k_h <= in_h && span % 4 == 0) {
        /* Whole window: each row is span contiguous values that fill whole quads. */
        for (ky = 0; ky < c->k_h; ky++) {
            const int8_t *src = c->image + ((iy + ky) * in_w + ix) * in_c;
            int32_t q;
            for (q = 0; q < span / 4; q++) {
                widen_quad(src + 4 * q, dst + (ky * span) / 2 + 2 * q);
            }
        }
        return;
    }
    for (ky = 0; ky < c->k_h; ky++) {
        int8_t *row = c->bytes + ky * span;
        const int32_t y = iy + ky;
        int32_t kx;
        if (y < 0 || y >= in_h) {
            memset(row, pad, (size_t)span);
            continue;
        }
        for (kx = 0; kx < c->k_w; kx++) {
            const int32_t x = ix + kx;
            if (x < 0 || x >= in_w) {
                memset(row + kx * in_c, pad, (size_t)in_c);
            } else {
                memcpy(row + kx * in_c, c->image + (y * in_w + x) * in_c, (size_t)in_c);
            }
        }
    }
    widen_column(c->bytes, c->k, dst);
}

static tp_status convolve_dsp(const tp_conv_params_s8 *params, const tp_channel_quant *quant,
                              const tp_dims *input_dims, const int8_t *input,
                              const tp_dims *filter_dims, const int8_t *filter,
                              const int32_t *bias, const tp_dims *output_dims, int8_t *output,
                              void *buffer)
{
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    const int32_t pixels = output_dims->h * out_w;
    const int32_t k = filter_dims->h * filter_dims->w * input_dims->c;
    const int32_t quads = k / 4;
    const int32_t words = column_words(k);
    const int32_t act_min = params->activation.min;
    const int32_t act_max = params->activation.max;
    const int32_t out_offset = params->output_offset;
    int32_t *cols = (int32_t *)buffer;
    im2col_ctx ctx;
    int32_t b;

    ctx.params = params;
    ctx.input_dims = input_dims;
    ctx.k_h = filter_dims->h;
    ctx.k_w = filter_dims->w;
    ctx.k = k;
    ctx.bytes = (int8_t *)(cols + TP_CONV_S8_TILE * words);

    for (b = 0; b < input_dims->n; b++) {
        int32_t p = 0;
        ctx.image = input + b * input_dims->h * input_dims->w * input_dims->c;
        while (p < pixels) {
            const int32_t tile = pixels - p >= TP_CONV_S8_TILE ? TP_CONV_S8_TILE : 1;
            int8_t *out = output + (b * pixels + p) * out_c;
            int32_t j;
            int32_t oc;
            for (j = 0; j < tile; j++) {
                im2col(&ctx, (p + j) / out_w, (p + j) % out_w, cols + j * words);
            }
            for (oc = 0; oc < out_c; oc++) {
                const int8_t *w = filter + oc * k;
                const int32_t mult = quant->multiplier[oc];
                const int32_t shift = quant->shift[oc];
                const int32_t left = shift > 0 ? shift : 0;
                const int32_t right = shift > 0 ? 0 : -shift;
                if (tile == TP_CONV_S8_TILE) {
                    const int32_t *c0 = cols;
                    const int32_t *c1 = cols + words;
                    const int32_t *c2 = cols + 2 * words;
                    const int32_t *c3 = cols + 3 * words;
                    int32_t a0 = bias[oc];
                    int32_t a1 = a0;
                    int32_t a2 = a0;
                    int32_t a3 = a0;
                    int32_t q;
                    int32_t t;
                    for (q = 0; q < quads; q++) {
                        const uint32_t wq = tp_load_word(w + 4 * q);
                        const uint32_t w02 = __sxtb16(wq);
                        const uint32_t w13 = __sxtb16(tp_ror(wq, 8));
                        a0 = __smlad((uint32_t)c0[2 * q], w02, a0);
                        a0 = __smlad((uint32_t)c0[2 * q + 1], w13, a0);
                        a1 = __smlad((uint32_t)c1[2 * q], w02, a1);
                        a1 = __smlad((uint32_t)c1[2 * q + 1], w13, a1);
                        a2 = __smlad((uint32_t)c2[2 * q], w02, a2);
                        a2 = __smlad((uint32_t)c2[2 * q + 1], w13, a2);
                        a3 = __smlad((uint32_t)c3[2 * q], w02, a3);
                        a3 = __smlad((uint32_t)c3[2 * q + 1], w13, a3);
                    }
                    for (t = 0; t < k % 4; t++) {
                        const int32_t wt = w[4 * quads + t];
                        a0 += c0[2 * quads + t] * wt;
                        a1 += c1[2 * quads + t] * wt;
                        a2 += c2[2 * quads + t] * wt;
                        a3 += c3[2 * quads + t] * wt;
                    }
                    out[oc] = tp_clamp_s8(tp_multiply_by_quantized_multiplier_lr(a0, mult, left,
                                                                                 right),
                                          out_offset, act_min, act_max);
                    out[out_c + oc] = tp_clamp_s8(
                        tp_multiply_by_quantized_multiplier_lr(a1, mult, left, right),
                        out_offset, act_min, act_max);
                    out[2 * out_c + oc] = tp_clamp_s8(
                        tp_multiply_by_quantized_multiplier_lr(a2, mult, left, right),
                        out_offset, act_min, act_max);
                    out[3 * out_c + oc] = tp_clamp_s8(
                        tp_multiply_by_quantized_multiplier_lr(a3, mult, left, right),
                        out_offset, act_min, act_max);
                } else {
                    int32_t a0 = bias[oc];
                    int32_t q;
                    int32_t t;
                    for (q = 0; q < quads; q++) {
                        const uint32_t wq = tp_load_word(w + 4 * q);
                        a0 = __smlad((uint32_t)cols[2 * q], __sxtb16(wq), a0);
                        a0 = __smlad((uint32_t)cols[2 * q + 1], __sxtb16(tp_ror(wq, 8)), a0);
                    }
                    for (t = 0; t < k % 4; t++) {
                        a0 += cols[2 * quads + t] * w[4 * quads + t];
                    }
                    out[oc] = tp_clamp_s8(tp_multiply_by_quantized_multiplier_lr(a0, mult, left,
                                                                                 right),
                                          out_offset, act_min, act_max);
                }
            }
            p += tile;
        }
    }
    return TP_OK;
}

#else

static tp_status convolve_portable(const tp_conv_params_s8 *params,
                                   const tp_channel_quant *quant, const tp_dims *input_dims,
                                   const int8_t *input, const tp_dims *filter_dims,
                                   const int8_t *filter, const int32_t *bias,
                                   const tp_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    const int32_t k = k_h * k_w * in_c;
    const int32_t pad = -params->input_offset;
    int32_t b;

    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * in_h * in_w * in_c;
        int32_t oy;
        for (oy = 0; oy < out_h; oy++) {
            const int32_t iy = oy * params->stride.h - params->padding.top;
            int32_t ox;
            for (ox = 0; ox < out_w; ox++) {
                const int32_t ix = ox * params->stride.w - params->padding.left;
                int8_t *out = output + ((b * out_h + oy) * out_w + ox) * out_c;
                int32_t oc;
                for (oc = 0; oc < out_c; oc++) {
                    const int8_t *w = filter + oc * k;
                    int32_t acc = bias[oc];
                    int32_t ky;
                    for (ky = 0; ky < k_h; ky++) {
                        const int32_t y = iy + ky;
                        int32_t kx;
                        for (kx = 0; kx < k_w; kx++) {
                            const int32_t x = ix + kx;
                            const int8_t *f = w + (ky * k_w + kx) * in_c;
                            int32_t ci;
                            if (y < 0 || y >= in_h || x < 0 || x >= in_w) {
                                for (ci = 0; ci < in_c; ci++) {
                                    acc += pad * f[ci];
                                }
                            } else {
                                const int8_t *v = image + (y * in_w + x) * in_c;
                                for (ci = 0; ci < in_c; ci++) {
                                    acc += v[ci] * f[ci];
                                }
                            }
                        }
                    }
                    out[oc] = tp_requant_acc_s8(acc, quant->multiplier[oc], quant->shift[oc],
                                               params->output_offset, params->activation.min,
                                               params->activation.max);
                }
            }
        }
    }
    return TP_OK;
}

#endif

tp_status tp_convolve_s8(const tp_conv_params_s8 *params, const tp_channel_quant *quant,
                         const tp_dims *input_dims, const int8_t *input,
                         const tp_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                         const tp_dims *output_dims, int8_t *output, void *buffer)
{
    if (filter_dims->c != input_dims->c || filter_dims->n != output_dims->c ||
        input_dims->n != output_dims->n || bias == NULL) {
        return TP_ERR_ARGUMENT;
    }
#if defined(__ARM_FEATURE_DSP)
    if (buffer == NULL) {
        return TP_ERR_ARGUMENT;
    }
    return convolve_dsp(params, quant, input_dims, input, filter_dims, filter, bias, output_dims,
                        output, buffer);
#else
    (void)buffer;
    return convolve_portable(params, quant, input_dims, input, filter_dims, filter, bias,
                             output_dims, output);
#endif
}
