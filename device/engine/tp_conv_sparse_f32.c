/* Conv2D, float, sparse filter (tp_engine_sparse.h), dilation 1.
 *
 * Tiles of TILE consecutive output pixels (raster order): the tile's windows are gathered
 * value-major into the scratch (value v of pixel j at cols[v * TILE + j], 0 for padding), then
 * each output channel walks its entries and accumulates TILE pixels per entry: per entry one
 * load of the weight, TILE loads and TILE fused multiply-adds (TP_MAC_F32; on the Cortex-M7
 * tp_f32_sparse_dot8 loads the TILE inputs with one VLDM: 14 instructions per entry). The whole tile's
 * input is read before any of its output is written (the dense kernels' tile contract, so the
 * output may overlap the dying input by the planner's rule).
 */
#include "tp_engine_sparse.h"

#include <stddef.h>

#define TILE 8

int32_t tp_conv_sparse_f32_get_buffer_size(const tp_dims *filter_dims)
{
    return filter_dims->h * filter_dims->w * filter_dims->c * TILE * (int32_t)sizeof(float);
}

/* n floats from src (NULL: padding, zeros) to dst[i * TILE]. */
static void copy_values(const float *src, int32_t n, float *dst)
{
    int32_t i = 0;
    if (src == NULL) {
        for (; i < n; i++) {
            dst[i * TILE] = 0.0f;
        }
        return;
    }
    for (; i + 4 <= n; i += 4) {
        const float v0 = src[i];
        const float v1 = src[i + 1];
        const float v2 = src[i + 2];
        const float v3 = src[i + 3];
        dst[i * TILE] = v0;
        dst[(i + 1) * TILE] = v1;
        dst[(i + 2) * TILE] = v2;
        dst[(i + 3) * TILE] = v3;
    }
    for (; i < n; i++) {
        dst[i * TILE] = src[i];
    }
}

/* The window of output pixel (oy, ox) into column j of cols (whole window rows at once when
 * they lie inside the input). */
static void gather(const tp_conv_params_f32 *p, const tp_dims *d, const float *in,
                   const tp_dims *f, int32_t oy, int32_t ox, float *cols)
{
    const int32_t iy = oy * p->stride.h - p->padding.top;
    const int32_t ix = ox * p->stride.w - p->padding.left;
    const int32_t c = d->c;
    const int32_t row = f->w * c;
    float *dst = cols;
    int32_t ky;
    for (ky = 0; ky < f->h; ky++, dst += row * TILE) {
        const int32_t y = iy + ky;
        int32_t kx;
        if (y < 0 || y >= d->h) {
            copy_values(NULL, row, dst);
            continue;
        }
        if (ix >= 0 && ix + f->w <= d->w) {
            copy_values(in + (y * d->w + ix) * c, row, dst);
            continue;
        }
        for (kx = 0; kx < f->w; kx++) {
            const int32_t x = ix + kx;
            copy_values(x < 0 || x >= d->w ? NULL : in + (y * d->w + x) * c, c,
                        dst + kx * c * TILE);
        }
    }
}

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__) && \
    defined(__ARM_FP) && (__ARM_FP & 4) && defined(__ARM_FEATURE_FMA)
/* acc[0..TILE) += the entries [delta, end) times their inputs of the window x
 * (arch/armv7em/tp_f32_sparse_dot8.S). */
void tp_f32_sparse_dot8(const float *x, const uint8_t *delta, const uint8_t *end,
                        const float *value, float *acc);

static void dot_window(const float *x, const uint8_t *delta, const float *value, int32_t e,
                    int32_t end, float *acc)
{
    tp_f32_sparse_dot8(x, delta + e, delta + end, value + e, acc);
}
#else
/* acc[0..TILE) += the entries [e, end) times their inputs of the window x. */
static void dot_window(const float *x, const uint8_t *delta, const float *value, int32_t e,
                    int32_t end, float *acc)
{
    float a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    float a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    for (; e < end; e++) {
        const float w = value[e];
        x += delta[e] * TILE;
        a0 = TP_MAC_F32(a0, w, x[0]);
        a1 = TP_MAC_F32(a1, w, x[1]);
        a2 = TP_MAC_F32(a2, w, x[2]);
        a3 = TP_MAC_F32(a3, w, x[3]);
        a4 = TP_MAC_F32(a4, w, x[4]);
        a5 = TP_MAC_F32(a5, w, x[5]);
        a6 = TP_MAC_F32(a6, w, x[6]);
        a7 = TP_MAC_F32(a7, w, x[7]);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
    acc[4] = a4, acc[5] = a5, acc[6] = a6, acc[7] = a7;
}
#endif

tp_status tp_conv_sparse_f32(const tp_conv_params_f32 *params, const tp_dims *input_dims,
                             const float *input, const tp_dims *filter_dims,
                             const tp_sparse_f32 *filter, const float *bias,
                             const tp_dims *output_dims, float *output, void *buffer)
{
    const int32_t ow = output_dims->w;
    const int32_t oc = output_dims->c;
    const int32_t pixels = output_dims->h * ow;
    float *cols = (float *)buffer;
    int32_t b;
    if (buffer == NULL || filter_dims->c != input_dims->c || filter_dims->n != oc ||
        input_dims->n != output_dims->n) {
        return TP_ERR_ARGUMENT;
    }
    for (b = 0; b < input_dims->n; b++) {
        const float *in = input + b * input_dims->h * input_dims->w * input_dims->c;
        float *out = output + b * pixels * oc;
        int32_t p;
        for (p = 0; p < pixels; p += TILE) {
            const int32_t n = pixels - p < TILE ? pixels - p : TILE;
            int32_t j;
            int32_t c;
            for (j = 0; j < n; j++) {
                gather(params, input_dims, in, filter_dims, (p + j) / ow, (p + j) % ow,
                       cols + j);
            }
            for (c = 0; c < oc; c++) {
                float acc[TILE];
                for (j = 0; j < TILE; j++) {
                    acc[j] = bias != NULL ? bias[c] : 0.0f;
                }
                dot_window(cols, filter->delta, filter->value, filter->start[c],
                        filter->start[c + 1], acc);
                for (j = 0; j < n; j++) {
                    out[(p + j) * oc + c] = tp_clamp_f32(acc[j], &params->activation);
                }
            }
        }
    }
    return TP_OK;
}
