/* DepthwiseConv2D, int8, NHWC, stride 2 along the width (any stride along the height), any
 * depth multiplier, at most 16 window rows and 8 columns, dilation 1.
 *
 * With stride 2 the window of output x starts at padded input column 2x, so in a row of int16
 * (x + input_offset) the words P_q = (e[2q], e[2q + 1]) are the window's tap pairs
 * and output x of a window row is sum_j P_{x+j} . (w[2j], w[2j+1]): one SMLAD per two taps, no
 * re-pairing. Channels are taken S2_GROUP input channels at a time; the input rows a window
 * needs are expanded once each into a ring of kernel_h rows (two input pixels of four channels
 * per two LDR, four SXTAB16 and four PKH: tp_s8_widen_pairs), and every output channel
 * c * M + m of the group is
 * computed from its input channel's rows: on the DSP a 3-row window of at most 4 columns runs
 * whole rows four outputs per pass in tp_s8_dw_s2_row3 (arch/armv7em); the last outputs of a
 * row, other windows and an activation clamp other than saturation or ReLU take the C rows,
 * two outputs per pass.
 *
 * The code generator lays out per output channel the weight pairs [kernel_h][J] (J = kernel_w
 * rounded up to even / 2, zero past the window) and a record. With the fast requantization
 * the pairs are doubled and the record is: doubled bias, multiplier, 2^(e-1) (plus, when the
 * activation only saturates, output_offset x 2^e), e = -shift >= 1; the doubled accumulator is
 * what tp_requant_fast's SMMULR takes. Otherwise (generic, TFLite's arithmetic): bias,
 * multiplier, the same rounding, e, left shift, and the sign shift of the assembly's rounding
 * divide (31, or 32 for e = 0); the code generator proves the rounding with the folded offset
 * fits. Output pixels are written row by row
 * after the rows they read entered the ring, which makes no in-place or overlap promise.
 */
#include "tp_depthwise_widen_s8.h"
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if TP_S8_ASM
#include "arch/armv7em/tp_armv7em_s8.h"
#endif

#define S2_GROUP 16

static int32_t s2_group(int32_t channels)
{
    return channels < S2_GROUP ? channels : S2_GROUP;
}

/* Words of weight pairs per window row. */
static int32_t s2_pairs(int32_t k_w)
{
    return (k_w + 1) / 2;
}

/* int16 values per ring row: every pass reads the words up to x + 1 + J - 1 for its outputs
 * x, x + 1 (the second may be one past the row), and the input pixels left of them. */
static int32_t s2_len(int32_t out_w, int32_t k_w)
{
    return 2 * (out_w + s2_pairs(k_w) + 1);
}

/* Twin: sdk/kernels/families/depthwise_s2.py s2_buffer_bytes. */
int32_t tp_depthwise_conv_s2_s8_get_buffer_size(const tp_dw_conv_params_s8 *params,
                                                const tp_dims *filter_dims,
                                                const tp_dims *output_dims)
{
    const int32_t in_c = output_dims->c / params->depth_multiplier;
    return filter_dims->h * s2_group(in_c) * s2_len(output_dims->w, filter_dims->w) * 2;
}

/* Input row y of channels [c0, c0 + g) into ring slot e (g rows of len; the padding columns
 * and everything past the input stay zero, written once per group); on the DSP the pixel
 * pairs of four channels at a time (tp_depthwise_widen_s8.h). */
static void s2_load(const tp_dw_conv_params_s8 *params, const tp_dims *in, const int8_t *image,
                    int32_t y, int32_t c0, int32_t g, int32_t len, int16_t *e)
{
    const int32_t c = in->c;
    const int32_t pl = params->padding.left;
    const int32_t offset = params->input_offset;
    const int32_t w = pl + in->w < len ? in->w : len - pl;
    const int8_t *row = image + y * in->w * c + c0;
    int32_t x;
    if (y < 0 || y >= in->h) {
        for (x = 0; x < g * len; x++) {
            e[x] = 0;
        }
        return;
    }
    tp_s8_widen_line(row, c, w, pl, offset, e, len, g);
}

/* acc + the word at p times the pair word w (SMLAD on the DSP). */
static inline int32_t s2_dot(const int16_t *p, int32_t w, int32_t acc)
{
#if TP_S8_ASM
    return __smlad(*(const uint32_t *)(const void *)p, (uint32_t)w, acc);
#else
    return acc + p[0] * (int32_t)(int16_t)w + p[1] * (w >> 16);
#endif
}

/* The record's rounding holds the output offset when the activation only saturates (the
 * assembly's; the C rows clamp with the offset); generic: bias, multiplier, rounding, e, left
 * shift, sign shift. */
static inline int8_t s2_out(const tp_dw_conv_params_s8 *params, int32_t mode, const int32_t *rec,
                            int32_t acc)
{
    if (!params->fast_requant) {
        return tp_clamp_s8(tp_multiply_by_quantized_multiplier_lr(acc, rec[1], rec[4], rec[3]),
                           params->output_offset, params->activation.min,
                           params->activation.max);
    }
    if (mode == TP_ACT_SAT) {
        return tp_clamp_s8(tp_requant_fast(acc >> 1, rec[1], rec[3], rec[2]), 0, -128, 127);
    }
    return tp_clamp_s8(tp_requant_fast(acc >> 1, rec[1], rec[3], rec[2]),
                       params->output_offset, params->activation.min,
                       params->activation.max);
}

/* Outputs [first, ow) of one output row of one output channel from the ring rows of its input
 * channel (rows[ky]); two outputs per pass. */
static void s2_row(const tp_dw_conv_params_s8 *params, int32_t mode, const int16_t *const *rows,
                   int32_t kh, int32_t jn, const int32_t *wp, const int32_t *rec, int32_t first,
                   int32_t ow, int8_t *out, int32_t stride)
{
    int32_t ox;
    for (ox = first; ox < ow; ox += 2) {
        int32_t a0 = rec[0];
        int32_t a1 = rec[0];
        int32_t ky;
        for (ky = 0; ky < kh; ky++) {
            const int16_t *p = rows[ky] + 2 * ox;
            const int32_t *w = wp + ky * jn;
            int32_t j;
            for (j = 0; j < jn; j++) {
                a0 = s2_dot(p + 2 * j, w[j], a0);
                a1 = s2_dot(p + 2 * j + 2, w[j], a1);
            }
        }
        out[ox * stride] = s2_out(params, mode, rec, a0);
        if (ox + 1 < ow) {
            out[(ox + 1) * stride] = s2_out(params, mode, rec, a1);
        }
    }
}

tp_status tp_depthwise_conv_s2_s8(const tp_dw_conv_params_s8 *params, const int32_t *records,
                                  const tp_dims *input_dims, const int8_t *input,
                                  const tp_dims *filter_dims, const int32_t *pairs,
                                  const tp_dims *output_dims, int8_t *output, void *buffer)
{
    const int32_t kh = filter_dims->h;
    const int32_t jn = s2_pairs(filter_dims->w);
    const int32_t in_c = input_dims->c;
    const int32_t mult = params->depth_multiplier;
    const int32_t oc_all = output_dims->c;
    const int32_t oh = output_dims->h;
    const int32_t ow = output_dims->w;
    const int32_t sh = params->stride.h;
    const int32_t pt = params->padding.top;
    const int32_t len = s2_len(ow, filter_dims->w);
    const int32_t gsz = s2_group(in_c);
    const int32_t rw = params->fast_requant ? 4 : 6; /* words per record */
    const int32_t mode = tp_act_mode(params->activation.min, params->activation.max,
                                     params->output_offset);
    int16_t *ring = (int16_t *)buffer;
    int32_t b;
    if (buffer == NULL || kh < 1 || kh > 16 || filter_dims->w < 1 || filter_dims->w > 8 ||
        params->stride.w != 2 || sh < 1 || mult < 1 || oc_all != in_c * mult ||
        filter_dims->c != oc_all || input_dims->n != output_dims->n ||
        params->padding.left < 0 || pt < 0) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * input_dims->h * input_dims->w * in_c;
        int8_t *image_out = output + b * oh * ow * oc_all;
        int32_t c0;
        for (c0 = 0; c0 < in_c; c0 += gsz) {
            const int32_t g = in_c - c0 < gsz ? in_c - c0 : gsz;
            int32_t next = -pt; /* next input row to load */
            int32_t oy;
            int32_t i;
            for (i = 0; i < kh * gsz * len; i++) {
                ring[i] = 0;
            }
            for (oy = 0; oy < oh; oy++) {
                const int32_t top = oy * sh - pt;
                int8_t *out_row = image_out + oy * ow * oc_all + c0 * mult;
                int32_t first = 0;
                int32_t ch;
                for (; next < top + kh; next++) {
                    if (next >= top) {
                        s2_load(params, input_dims, image, next, c0, g, len,
                                ring + ((next + pt) % kh) * gsz * len);
                    }
                }
#if TP_S8_ASM
                if (kh == 3 && jn == 2 && mode != TP_ACT_CLAMP && ow >= 4) {
                    tp_s8_dw_s2_job job;
                    int32_t ky;
                    for (ky = 0; ky < 3; ky++) {
                        job.row[ky] = ring + ((top + pt + ky) % 3) * gsz * len;
                    }
                    job.chstride = len * 2;
                    job.pairs = pairs + c0 * mult * 6;
                    job.rec = records + c0 * mult * rw;
                    job.out = out_row;
                    job.stride = oc_all;
                    job.passes = ow / 4;
                    job.mult = mult;
                    job.g = g;
                    job.relu = mode == TP_ACT_RELU;
                    job.off = params->output_offset;
                    job.generic = !params->fast_requant;
                    tp_s8_dw_s2_row3(&job);
                    first = 4 * (ow / 4);
                }
#endif
                for (ch = 0; first < ow && ch < g; ch++) {
                    const int16_t *rows[16];
                    int32_t ky;
                    int32_t m;
                    for (ky = 0; ky < kh; ky++) {
                        rows[ky] = ring + (((top + pt + ky) % kh) * gsz + ch) * len;
                    }
                    for (m = 0; m < mult; m++) {
                        const int32_t oc = (c0 + ch) * mult + m;
                        s2_row(params, mode, rows, kh, jn, pairs + oc * kh * jn, records + oc * rw,
                               first, ow, out_row + ch * mult + m, oc_all);
                    }
                }
            }
        }
    }
    return TP_OK;
}
