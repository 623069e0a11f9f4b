/* DepthwiseConv2D, float32, NHWC input, filter [1, kh, kw, C*M], any stride, asymmetric
 * padding, dilation 1, depth multiplier M.
 *
 * Output channel c*M+m reads input channel c. For each output pixel the window is clipped to
 * the input once, then every window position adds a whole row of C*M products into the
 * pixel's accumulators (the output itself), so the inner loop runs over contiguous channels
 * with no bounds checks.
 *
 * Memory contract (the planner relies on it, see memory_planner.overlap_limit): output pixels
 * are written in raster order, and once pixel p is written no input before the first element
 * of p's clipped window is read again, so the output may start below a dying input and
 * overlap it.
 */
#include "tp_engine.h"

#include <stddef.h>

tp_status tp_depthwise_conv_f32(const tp_dw_conv_params_f32 *params, const tp_dims *input_dims,
                                const float *input, const tp_dims *filter_dims,
                                const float *filter, const float *bias,
                                const tp_dims *output_dims, float *output)
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
    int32_t b;

    if (mult < 1 || filter_dims->c != in_c * mult || out_c != in_c * mult ||
        input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const float *in_image = input + b * in_h * in_w * in_c;
        int32_t oy;
        for (oy = 0; oy < out_h; oy++) {
            int32_t ky_lo;
            int32_t ky_hi;
            const int32_t iy = tp_window_start(oy, params->stride.h, params->padding.top, k_h, in_h,
                                               &ky_lo, &ky_hi);
            int32_t ox;
            for (ox = 0; ox < out_w; ox++) {
                int32_t kx_lo;
                int32_t kx_hi;
                const int32_t ix = tp_window_start(ox, params->stride.w, params->padding.left, k_w,
                                                   in_w, &kx_lo, &kx_hi);
                float *out = output + ((b * out_h + oy) * out_w + ox) * out_c;
                int32_t ky;
                int32_t oc;
                for (oc = 0; oc < out_c; oc++) {
                    out[oc] = bias != NULL ? bias[oc] : 0.0f;
                }
                for (ky = ky_lo; ky < ky_hi; ky++) {
                    int32_t kx;
                    for (kx = kx_lo; kx < kx_hi; kx++) {
                        const float *x = in_image + ((iy + ky) * in_w + ix + kx) * in_c;
                        const float *f = filter + (ky * k_w + kx) * out_c;
                        if (mult == 1) {
                            for (oc = 0; oc < out_c; oc++) {
                                out[oc] = TP_MAC_F32(out[oc], x[oc], f[oc]);
                            }
                        } else {
                            int32_t c;
                            for (c = 0; c < in_c; c++) {
                                const float v = x[c];
                                int32_t m;
                                for (m = 0; m < mult; m++) {
                                    const int32_t o = c * mult + m;
                                    out[o] = TP_MAC_F32(out[o], v, f[o]);
                                }
                            }
                        }
                    }
                }
                for (oc = 0; oc < out_c; oc++) {
                    out[oc] = tp_clamp_f32(out[oc], &params->activation);
                }
            }
        }
    }
    return TP_OK;
}
