/* DepthwiseConv2D, int8, NHWC input, filter [1, kh, kw, C*M], any stride, asymmetric padding,
 * dilation 1, depth multiplier M, per-output-channel requantization.
 *
 * Output channel c*M+m reads input channel c; each output accumulates (x + input_offset) * w
 * over the window, padding contributing nothing (as in TFLite Micro). This wrapper checks the
 * shapes and runs one of two variants: the ring path (depth multiplier 1, stride 1, at most 16
 * window rows: tp_depthwise_conv_ring_s8.h, may run in place) or the generic path
 * (tp_depthwise_conv_generic_s8.h). Their helpers are static functions of those private
 * headers and their loops stay in this function: in one function body gcc 12 allocates the
 * ring load loop without spills (split into functions, each KWS depthwise layer costs about
 * 8,100 instructions more).
 */
#include "tp_depthwise_conv_generic_s8.h"
#include "tp_depthwise_conv_ring_s8.h"

int32_t tp_depthwise_conv_s8_get_buffer_size(const tp_dw_conv_params_s8 *params,
                                             const tp_dims *filter_dims,
                                             const tp_dims *output_dims)
{
    return uses_ring(params, filter_dims) ? ring_bytes(filter_dims, output_dims) : 0;
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
