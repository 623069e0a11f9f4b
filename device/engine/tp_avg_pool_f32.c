/* Average pooling, float32, NHWC. The divisor is the number of window elements inside the
 * input (TFLite's convention), so border outputs average fewer values rather than zeros.
 *
 * Memory contract (the planner relies on it, see memory_planner.overlap_limit): output pixels
 * are written in raster order, and once pixel p is written no input before the first element
 * of p's clipped window is read again, so the output may start below a dying input and
 * overlap it.
 */
#include "tp_engine.h"

tp_status tp_avg_pool_f32(const tp_pool_params_f32 *params, const tp_dims *input_dims,
                          const float *input, const tp_tile *kernel,
                          const tp_dims *output_dims, float *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t c = input_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    int32_t b;

    if (output_dims->c != c || input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const float *in_image = input + b * in_h * in_w * c;
        int32_t oy;
        for (oy = 0; oy < out_h; oy++) {
            int32_t ky_lo;
            int32_t ky_hi;
            const int32_t iy = tp_window_start(oy, params->stride.h, params->padding.top, kernel->h,
                                               in_h, &ky_lo, &ky_hi);
            int32_t ox;
            for (ox = 0; ox < out_w; ox++) {
                int32_t kx_lo;
                int32_t kx_hi;
                const int32_t ix = tp_window_start(ox, params->stride.w, params->padding.left,
                                                   kernel->w, in_w, &kx_lo, &kx_hi);
                float *out = output + ((b * out_h + oy) * out_w + ox) * c;
                int32_t ky;
                int32_t ch;
                float count;
                count = (float)((ky_hi - ky_lo) * (kx_hi - kx_lo));
                for (ch = 0; ch < c; ch++) {
                    out[ch] = 0.0f;
                }
                for (ky = ky_lo; ky < ky_hi; ky++) {
                    int32_t kx;
                    for (kx = kx_lo; kx < kx_hi; kx++) {
                        const float *x = in_image + ((iy + ky) * in_w + ix + kx) * c;
                        for (ch = 0; ch < c; ch++) {
                            out[ch] += x[ch];
                        }
                    }
                }
                for (ch = 0; ch < c; ch++) {
                    out[ch] = tp_clamp_f32(out[ch] / count, &params->activation);
                }
            }
        }
    }
    return TP_OK;
}
