/* Average pooling, int8, NHWC, as TFLite Micro: the sum of the window elements inside the
 * input, divided by their count with rounding half away from zero written the way TFLite's
 * reference kernel writes it ((sum +/- count / 2) / count, C's truncating division), then
 * clamped to the fused activation's range.
 *
 * DSP path: four channels at a time, summed in int16 lanes with SXTAB16 (exact for windows of
 * at most 256 values: |sum| <= 256 x 128).
 *
 * Memory contract (memory_planner.overlap_limit): output pixels are written in raster order,
 * and once pixel p is written no input before the first element of p's clipped window is read
 * again.
 */
#include "tp_engine_s8.h"
#include "tp_requant.h"

#if defined(__ARM_FEATURE_DSP)
#include "arch/armv7em/tp_avg_pool_s8_dsp.h"
#endif

tp_status tp_avg_pool_s8(const tp_pool_params_s8 *params, const tp_dims *input_dims,
                         const int8_t *input, const tp_tile *kernel, const tp_dims *output_dims,
                         int8_t *output)
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
        const int8_t *image = input + b * in_h * in_w * c;
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
                int8_t *out = output + ((b * out_h + oy) * out_w + ox) * c;
                int32_t count;
                int32_t ch;
                count = (ky_hi - ky_lo) * (kx_hi - kx_lo);
                ch = 0;
#if defined(__ARM_FEATURE_DSP)
                if (count <= 256) {
                    const int8_t *x0 = image + ((iy + ky_lo) * in_w + ix + kx_lo) * c;
                    for (; ch + 4 <= c; ch += 4) {
                        int32_t sums[4];
                        int32_t j;
                        sum4(x0 + ch, in_w * c, c, ky_hi - ky_lo, kx_hi - kx_lo, sums);
                        for (j = 0; j < 4; j++) {
                            const int32_t sum = sums[j];
                            int32_t avg = sum > 0 ? (sum + count / 2) / count
                                                  : (sum - count / 2) / count;
                            avg = avg < params->activation.min ? params->activation.min : avg;
                            avg = avg > params->activation.max ? params->activation.max : avg;
                            out[ch + j] = (int8_t)avg;
                        }
                    }
                }
#endif
                for (; ch < c; ch++) {
                    int32_t sum = 0;
                    int32_t avg;
                    int32_t ky;
                    for (ky = ky_lo; ky < ky_hi; ky++) {
                        const int8_t *x = image + ((iy + ky) * in_w + ix) * c + ch;
                        int32_t kx;
                        for (kx = kx_lo; kx < kx_hi; kx++) {
                            sum += x[kx * c];
                        }
                    }
                    avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    out[ch] = tp_clamp_s8(avg, 0, params->activation.min, params->activation.max);
                }
            }
        }
    }
    return TP_OK;
}
