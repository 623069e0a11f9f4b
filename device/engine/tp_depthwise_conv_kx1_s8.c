/* DepthwiseConv2D, int8, NHWC, a K x 1 window (kernel width 1, K <= 15), stride 1, depth
 * multiplier 1, padding only along the kernel's axis (top, bottom >= 0), dilation 1.
 *
 * The code generator lays the weights out as int16 pairs per channel (pairs[c][2n],
 * n = K/2 + 1: A_j = (w[2j], w[2j+1]), B_j = (w[2j-1], w[2j]), w[-1] = w[K] = 0; doubled with
 * the fast requantization) and the requantization as a record per channel (records[c][6]:
 * bias (doubled with the fast one), multiplier, 2^(e-1) (plus output_offset x 2^e when the
 * activation only saturates), e = max(-shift, 0), left = max(shift, 0), 31 or 32 for e = 0).
 * The fast requantization of a doubled accumulator is tp_requant_fast; the generic one is
 * TFLite's; the code generator proves the assembly's rounding cannot overflow
 * (sdk/kernels/requant.py rounding_fits).
 *
 * Per column and group of up to KX1_GROUP channels, the input column is expanded once into
 * scratch as int16 (x + input_offset) along the kernel's axis, zeros where the padding is
 * (written once per call); every output of the column is then a dot product of the
 * column's words with the pairs: on the DSP four outputs per pass in tp_s8_dw_kx1 (arch/armv7em), the rows after the last whole
 * pass (and an activation clamp other than saturation or ReLU) in C. A column's group is read
 * whole before any of its outputs is written, so the output may be the input (same shape).
 */
#include "tp_depthwise_widen_s8.h"
#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>

#if TP_S8_ASM
#include "arch/armv7em/tp_armv7em_s8.h"
#endif

#define KX1_GROUP 16

/* int16 values per channel column: every pass reads 4 outputs + 2n - 2 values past its first,
 * the C rows up to the last output + 2n - 1; a multiple of 4 bytes. */
static int32_t kx1_len(int32_t out_h, int32_t k_h)
{
    return 4 * ((out_h + 3) / 4) + 2 * (k_h / 2 + 1);
}

static int32_t kx1_group(int32_t channels)
{
    return channels < KX1_GROUP ? channels : KX1_GROUP;
}

/* Twin: sdk/kernels/families/depthwise_kx1.py kx1_buffer_bytes. */
int32_t tp_depthwise_conv_kx1_s8_get_buffer_size(const tp_dims *filter_dims,
                                                 const tp_dims *output_dims)
{
    return kx1_group(output_dims->c) * kx1_len(output_dims->h, filter_dims->h) * 2;
}

/* Channels [c0, c0 + g) of input column x into rows [pt, pt + h) of the group's columns (len
 * values each; the padding rows stay zero, written once per call): tp_depthwise_widen_s8.h. */
static void kx1_expand(const tp_dw_conv_params_s8 *params, const tp_dims *in, const int8_t *image,
                       int32_t x, int32_t c0, int32_t g, int32_t len, int16_t *col)
{
    const int32_t h = in->h;
    const int32_t pt = params->padding.top;
    const int32_t row = in->w * in->c;
    const int32_t offset = params->input_offset;
    const int8_t *src = image + x * in->c + c0;
    tp_s8_widen_line(src, row, h, pt, offset, col, len, g);
}

/* Outputs [first, out_h) of one channel from its column, in C. */
static void kx1_rows(const tp_dw_conv_params_s8 *params, const int16_t *e, const int32_t *wp,
                     const int32_t *rec, int32_t n, int32_t first, int32_t out_h, int8_t *out,
                     int32_t stride)
{
    int32_t oy;
    for (oy = first; oy < out_h; oy++) {
        int32_t acc = rec[0];
        int32_t j;
        int32_t v;
        for (j = 0; j < n; j++) {
            const int32_t a = wp[2 * j];
            acc += (int32_t)e[oy + 2 * j] * (int16_t)a + (int32_t)e[oy + 2 * j + 1] * (a >> 16);
        }
        if (params->fast_requant) {
            acc >>= 1; /* the doubled weights and bias: acc is even */
        }
        v = tp_multiply_by_quantized_multiplier_lr(acc, rec[1], rec[4], rec[3]);
        out[oy * stride] = tp_clamp_s8(v, params->output_offset, params->activation.min,
                                       params->activation.max);
    }
}

tp_status tp_depthwise_conv_kx1_s8(const tp_dw_conv_params_s8 *params, const int32_t *records,
                                   const tp_dims *input_dims, const int8_t *input,
                                   const tp_dims *filter_dims, const int32_t *pairs,
                                   const tp_dims *output_dims, int8_t *output, void *buffer)
{
    const int32_t k_h = filter_dims->h;
    const int32_t n = k_h / 2 + 1;
    const int32_t w = input_dims->w;
    const int32_t c = input_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t len = kx1_len(out_h, k_h);
    const int32_t stride = w * c;
    int16_t *col = (int16_t *)buffer;
    int32_t first = 0;
    int32_t b;
    int32_t i;
    if (buffer == NULL || filter_dims->w != 1 || k_h < 1 || k_h > 15 || output_dims->w != w ||
        output_dims->c != c || filter_dims->c != c || params->depth_multiplier != 1 ||
        params->stride.h != 1 || params->stride.w != 1 || params->padding.left != 0 ||
        params->padding.top < 0 || out_h < 1 ||
        out_h + k_h - 1 < input_dims->h + params->padding.top ||
        input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
#if TP_S8_ASM
    {
        const int32_t mode = tp_act_mode(params->activation.min, params->activation.max,
                                         params->output_offset);
        if (mode != TP_ACT_CLAMP) {
            first = 4 * (out_h / 4);
        }
    }
#endif
    /* The padding rows of every column: zero once, never written. */
    for (i = 0; i < kx1_group(c) * len; i++) {
        col[i] = 0;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * input_dims->h * stride;
        int8_t *image_out = output + b * out_h * stride;
        int32_t x;
        for (x = 0; x < w; x++) {
            int32_t c0;
            for (c0 = 0; c0 < c; c0 += KX1_GROUP) {
                const int32_t g = c - c0 < KX1_GROUP ? c - c0 : KX1_GROUP;
                int8_t *out = image_out + x * c + c0;
                int32_t ch;
                kx1_expand(params, input_dims, image, x, c0, g, len, col);
#if TP_S8_ASM
                if (first > 0) {
                    tp_s8_dw_kx1_job job;
                    job.col = col;
                    job.colstride = len * 2;
                    job.pairs = pairs + c0 * 2 * n;
                    job.rec = records + c0 * 6;
                    job.out = out;
                    job.stride = stride;
                    job.passes = first / 4;
                    job.n = n;
                    job.off = params->output_offset;
                    job.g = g;
                    job.mode = (params->fast_requant ? 0 : 2) +
                               (params->activation.min != -128 ? 1 : 0);
                    tp_s8_dw_kx1(&job);
                }
#endif
                for (ch = 0; first < out_h && ch < g; ch++) {
                    kx1_rows(params, col + ch * len, pairs + (c0 + ch) * 2 * n,
                             records + (c0 + ch) * 6, n, first, out_h, out + ch, stride);
                }
            }
        }
    }
    return TP_OK;
}
