/* Conv2D, float32, NHWC input, OHWI filter, any stride, asymmetric padding, dilation 1.
 *
 * Speed on a single-issue FPU core comes from three choices:
 *  - padding is handled by clipping the window once per output pixel, so the inner loop has no
 *    bounds checks; within one window row the kw x C input values and the matching filter
 *    values are both contiguous (NHWC / OHWI), so the inner loop is one flat dot product;
 *  - four output channels per pass: each loaded input value feeds four multiply-accumulates;
 *  - two horizontally adjacent output pixels per pass when their clipped windows match (every
 *    interior pair): each loaded filter value feeds two multiply-accumulates.
 * The block is 4 channels x 2 pixels = 8 accumulators, which fits the 16 double / 32 single
 * FPU registers of a Cortex-M7 without spilling.
 *
 * Memory contract (the planner relies on it, see memory_planner.overlap_limit): output pixels
 * are written in raster order (pixel p and p + 1 together), and once they are written no input
 * before the first element of p's clipped window is read again, so the output may start below
 * a dying input and overlap it.
 */
#include "tp_engine.h"

#include <stddef.h>

/* Geometry of one clipped window, shared by the pixel routines. */
typedef struct {
    int32_t rows;        /* window rows inside the input */
    int32_t span;        /* contiguous values per window row (clipped kw x C) */
    int32_t input_row;   /* floats between input rows */
    int32_t filter_row;  /* floats between filter rows */
    int32_t filter_size; /* floats per output channel's filter */
} conv_window;

static float bias_or_zero(const float *bias, int32_t channel)
{
    return bias != NULL ? bias[channel] : 0.0f;
}

/* Two output pixels whose inputs start at xa and xb and share the window geometry. */
static void conv_pixel_pair(const conv_window *win, const float *xa, const float *xb,
                            const float *filter, const float *bias, int32_t out_c,
                            const tp_activation_f32 *act, float *out_a, float *out_b)
{
    int32_t oc = 0;
    for (; oc + 4 <= out_c; oc += 4) {
        float a0 = bias_or_zero(bias, oc);
        float a1 = bias_or_zero(bias, oc + 1);
        float a2 = bias_or_zero(bias, oc + 2);
        float a3 = bias_or_zero(bias, oc + 3);
        float b0 = a0, b1 = a1, b2 = a2, b3 = a3;
        int32_t r;
        for (r = 0; r < win->rows; r++) {
            const float *pa = xa + r * win->input_row;
            const float *pb = xb + r * win->input_row;
            const float *w0 = filter + oc * win->filter_size + r * win->filter_row;
            const float *w1 = w0 + win->filter_size;
            const float *w2 = w1 + win->filter_size;
            const float *w3 = w2 + win->filter_size;
            int32_t i;
            for (i = 0; i < win->span; i++) {
                const float va = pa[i];
                const float vb = pb[i];
                const float f0 = w0[i];
                const float f1 = w1[i];
                const float f2 = w2[i];
                const float f3 = w3[i];
                a0 = TP_MAC_F32(a0, va, f0);
                b0 = TP_MAC_F32(b0, vb, f0);
                a1 = TP_MAC_F32(a1, va, f1);
                b1 = TP_MAC_F32(b1, vb, f1);
                a2 = TP_MAC_F32(a2, va, f2);
                b2 = TP_MAC_F32(b2, vb, f2);
                a3 = TP_MAC_F32(a3, va, f3);
                b3 = TP_MAC_F32(b3, vb, f3);
            }
        }
        out_a[oc] = tp_clamp_f32(a0, act);
        out_a[oc + 1] = tp_clamp_f32(a1, act);
        out_a[oc + 2] = tp_clamp_f32(a2, act);
        out_a[oc + 3] = tp_clamp_f32(a3, act);
        out_b[oc] = tp_clamp_f32(b0, act);
        out_b[oc + 1] = tp_clamp_f32(b1, act);
        out_b[oc + 2] = tp_clamp_f32(b2, act);
        out_b[oc + 3] = tp_clamp_f32(b3, act);
    }
    for (; oc < out_c; oc++) {
        float a = bias_or_zero(bias, oc);
        float b = a;
        int32_t r;
        for (r = 0; r < win->rows; r++) {
            const float *pa = xa + r * win->input_row;
            const float *pb = xb + r * win->input_row;
            const float *w = filter + oc * win->filter_size + r * win->filter_row;
            int32_t i;
            for (i = 0; i < win->span; i++) {
                a = TP_MAC_F32(a, pa[i], w[i]);
                b = TP_MAC_F32(b, pb[i], w[i]);
            }
        }
        out_a[oc] = tp_clamp_f32(a, act);
        out_b[oc] = tp_clamp_f32(b, act);
    }
}

/* One output pixel (border pixels whose neighbour has a differently clipped window). */
static void conv_pixel(const conv_window *win, const float *x, const float *filter,
                       const float *bias, int32_t out_c, const tp_activation_f32 *act,
                       float *out)
{
    int32_t oc = 0;
    for (; oc + 4 <= out_c; oc += 4) {
        float a0 = bias_or_zero(bias, oc);
        float a1 = bias_or_zero(bias, oc + 1);
        float a2 = bias_or_zero(bias, oc + 2);
        float a3 = bias_or_zero(bias, oc + 3);
        int32_t r;
        for (r = 0; r < win->rows; r++) {
            const float *p = x + r * win->input_row;
            const float *w0 = filter + oc * win->filter_size + r * win->filter_row;
            const float *w1 = w0 + win->filter_size;
            const float *w2 = w1 + win->filter_size;
            const float *w3 = w2 + win->filter_size;
            int32_t i;
            for (i = 0; i < win->span; i++) {
                const float v = p[i];
                a0 = TP_MAC_F32(a0, v, w0[i]);
                a1 = TP_MAC_F32(a1, v, w1[i]);
                a2 = TP_MAC_F32(a2, v, w2[i]);
                a3 = TP_MAC_F32(a3, v, w3[i]);
            }
        }
        out[oc] = tp_clamp_f32(a0, act);
        out[oc + 1] = tp_clamp_f32(a1, act);
        out[oc + 2] = tp_clamp_f32(a2, act);
        out[oc + 3] = tp_clamp_f32(a3, act);
    }
    for (; oc < out_c; oc++) {
        float a = bias_or_zero(bias, oc);
        int32_t r;
        for (r = 0; r < win->rows; r++) {
            const float *p = x + r * win->input_row;
            const float *w = filter + oc * win->filter_size + r * win->filter_row;
            int32_t i;
            for (i = 0; i < win->span; i++) {
                a = TP_MAC_F32(a, p[i], w[i]);
            }
        }
        out[oc] = tp_clamp_f32(a, act);
    }
}

tp_status tp_convolve_f32(const tp_conv_params_f32 *params, const tp_dims *input_dims,
                          const float *input, const tp_dims *filter_dims, const float *filter,
                          const float *bias, const tp_dims *output_dims, float *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    const int32_t stride_w = params->stride.w;
    conv_window win;
    int32_t b;

    if (filter_dims->c != in_c || filter_dims->n != out_c || input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    win.input_row = in_w * in_c;
    win.filter_row = k_w * in_c;
    win.filter_size = k_h * win.filter_row;

    for (b = 0; b < input_dims->n; b++) {
        const float *in_image = input + b * in_h * win.input_row;
        float *out_image = output + b * out_h * out_w * out_c;
        int32_t oy;
        for (oy = 0; oy < out_h; oy++) {
            int32_t ky_lo;
            int32_t ky_hi;
            const int32_t iy = tp_window_start(oy, params->stride.h, params->padding.top, k_h, in_h,
                                               &ky_lo, &ky_hi);
            int32_t ox = 0;
            float *out_row = out_image + oy * out_w * out_c;
            win.rows = ky_hi - ky_lo;
            while (ox < out_w) {
                int32_t kx_lo;
                int32_t kx_hi;
                const int32_t ix = tp_window_start(ox, stride_w, params->padding.left, k_w, in_w,
                                                   &kx_lo, &kx_hi);
                const float *x;
                const float *f;
                win.span = (kx_hi - kx_lo) * in_c;
                x = in_image + ((iy + ky_lo) * in_w + ix + kx_lo) * in_c;
                f = filter + ky_lo * win.filter_row + kx_lo * in_c;
                if (ox + 1 < out_w) {
                    int32_t next_lo;
                    int32_t next_hi;
                    tp_clip_window(ix + stride_w, k_w, in_w, &next_lo, &next_hi);
                    if (next_lo == kx_lo && next_hi == kx_hi) {
                        conv_pixel_pair(&win, x, x + stride_w * in_c, f, bias, out_c,
                                        &params->activation, out_row + ox * out_c,
                                        out_row + (ox + 1) * out_c);
                        ox += 2;
                        continue;
                    }
                }
                conv_pixel(&win, x, f, bias, out_c, &params->activation, out_row + ox * out_c);
                ox += 1;
            }
        }
    }
    return TP_OK;
}
