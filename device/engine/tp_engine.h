/* tinyprune inference engine: shared types and kernel prototypes.
 *
 * Layout (CMSIS-NN's): one public kernel per file, named after it, tp_<operation>_<type>.c
 * (f32, s8; tp_conv_chain_s8 is the fused convolution chain), with its _get_buffer_size twin;
 * variants and shared helpers in private files (tp_conv_tiles_s8.c/.h,
 * tp_depthwise_conv_ring_s8.h, ...); architecture fast paths under arch/<arch>/ (ARMv7E-M
 * assembly routines, one per .S file, used behind __ARM_FEATURE_DSP beside a portable C
 * path). No kernel keeps writable static data, and every file builds position-independent.
 * sdk/codegen/c_library.py finds the files a kernel needs.
 *
 * Conventions (the same as the IR and TFLite):
 *  - activations are NHWC; Conv2D filters are OHWI; depthwise filters are [1, kh, kw, C*M];
 *    fully-connected weights are [out, in];
 *  - every size and index is int32_t, so the same code is correct where int is 16 bits (MSP430);
 *  - kernels never allocate: a kernel that needs scratch memory has a twin
 *    `<kernel>_get_buffer_size()` and receives the buffer from the caller (the memory planner
 *    reserves it in the arena).
 *
 * Activations are a clamp range rather than an enum: relu is [0, +max], relu6 is [0, 6],
 * none is the whole float range. The int8 kernels will take the same kind of range in the
 * quantized domain, so one code path serves every fused activation.
 */
#ifndef TP_ENGINE_H
#define TP_ENGINE_H

#include <stdint.h>

typedef int32_t tp_status;
#define TP_OK 0
#define TP_ERR_ARGUMENT (-1)

/* Shape of a 4-D tensor. For filters: n = output channels, h = kernel height, w = kernel
 * width, c = input channels (OHWI). For 2-D [batch, features] tensors: n = batch, c = features,
 * h = w = 1. */
typedef struct {
    int32_t n;
    int32_t h;
    int32_t w;
    int32_t c;
} tp_dims;

typedef struct {
    int32_t h;
    int32_t w;
} tp_tile;

/* Only the padding before the data matters to a kernel: the padding after it is implied by
 * the output size, so asymmetric padding (stride-2 SAME) needs no extra field. */
typedef struct {
    int32_t top;
    int32_t left;
} tp_padding;

typedef struct {
    float min;
    float max;
} tp_activation_f32;

typedef struct {
    tp_tile stride;
    tp_padding padding;
    tp_activation_f32 activation;
} tp_conv_params_f32;

typedef struct {
    tp_tile stride;
    tp_padding padding;
    int32_t depth_multiplier;
    tp_activation_f32 activation;
} tp_dw_conv_params_f32;

typedef struct {
    tp_tile stride;
    tp_padding padding;
    tp_activation_f32 activation;
} tp_pool_params_f32;

typedef struct {
    tp_activation_f32 activation;
} tp_fc_params_f32;

typedef struct {
    float beta;
} tp_softmax_params_f32;

/* Conv2D, any stride, dilation 1. bias may be NULL. */
tp_status tp_convolve_f32(const tp_conv_params_f32 *params, const tp_dims *input_dims,
                          const float *input, const tp_dims *filter_dims, const float *filter,
                          const float *bias, const tp_dims *output_dims, float *output);

/* DepthwiseConv2D: output channel c*M+m reads input channel c. filter_dims->c = C*M. */
tp_status tp_depthwise_conv_f32(const tp_dw_conv_params_f32 *params, const tp_dims *input_dims,
                                const float *input, const tp_dims *filter_dims,
                                const float *filter, const float *bias,
                                const tp_dims *output_dims, float *output);

/* Max pooling over a window of kernel.h x kernel.w; padded positions are ignored. */
tp_status tp_max_pool_f32(const tp_pool_params_f32 *params, const tp_dims *input_dims,
                          const float *input, const tp_tile *kernel,
                          const tp_dims *output_dims, float *output);

/* Average pooling; the divisor counts only the window elements inside the input (TFLite). */
tp_status tp_avg_pool_f32(const tp_pool_params_f32 *params, const tp_dims *input_dims,
                          const float *input, const tp_tile *kernel,
                          const tp_dims *output_dims, float *output);

/* Fully connected: output[b][o] = bias[o] + sum_i input[b][i] * weights[o][i].
 * input_dims: n = batch, c = inputs; output_dims->c = outputs. bias may be NULL. */
tp_status tp_fully_connected_f32(const tp_fc_params_f32 *params, const tp_dims *input_dims,
                                 const float *input, const float *weights, const float *bias,
                                 const tp_dims *output_dims, float *output);

/* Elementwise a + b over size elements. output may alias a or b. */
tp_status tp_add_f32(const tp_activation_f32 *activation, const float *a, const float *b,
                     int32_t size, float *output);

/* Softmax over the last dimension (depth) of rows x depth values, numerically stable.
 * output may alias input. */
tp_status tp_softmax_f32(const tp_softmax_params_f32 *params, const float *input, int32_t rows,
                         int32_t depth, float *output);

/* acc + a * b. Where the FPU has a fused multiply-add (Cortex-M7 FPv5, M4 FPv4) use it
 * explicitly: in strict C99 mode gcc does not contract a * b + c on its own, and a separate
 * multiply and add cost two instructions. Elsewhere (host, MSP430) plain arithmetic. */
#if defined(__GNUC__) && defined(__ARM_FEATURE_FMA)
#define TP_MAC_F32(acc, a, b) __builtin_fmaf((a), (b), (acc))
#else
#define TP_MAC_F32(acc, a, b) ((acc) + (a) * (b))
#endif

/* Clip a sliding window to the data once per output position, so inner loops need no bounds
 * checks: [*lo, *hi) are the kernel indices k whose position start + k lies in [0, size). */
static inline void tp_clip_window(int32_t start, int32_t kernel, int32_t size, int32_t *lo,
                                  int32_t *hi)
{
    *lo = start < 0 ? -start : 0;
    *hi = start + kernel > size ? size - start : kernel;
}

/* The window of output index o along one axis: returns its first input position
 * o * stride - pad (negative inside the padding) and clips it with tp_clip_window. Every
 * clipping kernel (pooling, depthwise and float convolution) places its window through this
 * one definition, which the memory planner's overlap rule (the first element of a pixel's
 * clipped window) also assumes. */
static inline int32_t tp_window_start(int32_t o, int32_t stride, int32_t pad, int32_t kernel,
                                      int32_t size, int32_t *lo, int32_t *hi)
{
    const int32_t start = o * stride - pad;
    tp_clip_window(start, kernel, size, lo, hi);
    return start;
}

/* Apply a fused activation (a clamp). Written with comparisons, not fminf/fmaxf, so it needs
 * no libm and compiles to two compare-and-selects. */
static inline float tp_clamp_f32(float value, const tp_activation_f32 *activation)
{
    if (value < activation->min) {
        return activation->min;
    }
    if (value > activation->max) {
        return activation->max;
    }
    return value;
}

#endif /* TP_ENGINE_H */
