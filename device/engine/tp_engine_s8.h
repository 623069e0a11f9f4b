/* tinyprune inference engine: int8 kernels (TFLite's quantization scheme, bit-exact with
 * TFLite Micro's reference kernels as sdk/reference/int8_executor.py computes them).
 *
 * Conventions, beyond those of tp_engine.h:
 *  - activations are int8, per tensor: real = scale * (q - zero_point). A kernel takes the
 *    input *offset* (-input zero point) and the output offset (+output zero point);
 *  - weights are int8, symmetric, per output channel; biases int32; each output channel c has
 *    a Q31 multiplier and a shift (positive: left), from sdk/quant/layer_params.py;
 *  - a fused activation is a clamp range in the int8 domain (tp_activation_s8), like the float
 *    kernels' {min, max};
 *  - Conv2D and fully-connected take an *effective bias*: bias[c] + input_offset * (sum of
 *    channel c's weights), computed by the code generator. The kernels then accumulate raw
 *    int8 products, and a padded position counts as the raw value -input_offset (the input
 *    zero point), which contributes exactly zero, as TFLite Micro skips padding. Depthwise
 *    convolution takes the plain bias and adds the offset itself;
 *  - kernels with scratch needs have a `_get_buffer_size` twin (sdk/codegen/kernels.py holds
 *    the Python twin); the same size is reserved whether or not the DSP path uses it;
 *  - each kernel has a portable C99 path and, for conv and fully-connected, an ARMv7E-M path
 *    behind __ARM_FEATURE_DSP (SMLAD, SXTB16 from <arm_acle.h>) with the same results.
 */
#ifndef TP_ENGINE_S8_H
#define TP_ENGINE_S8_H

#include "tp_engine.h"

#include <stdint.h>

typedef struct {
    int32_t min;
    int32_t max;
} tp_activation_s8;

/* Per-output-channel requantization: multiplier[c] and shift[c]. */
typedef struct {
    const int32_t *multiplier;
    const int8_t *shift;
} tp_channel_quant;

typedef struct {
    tp_tile stride;
    tp_padding padding;
    int32_t input_offset;
    int32_t output_offset;
    tp_activation_s8 activation;
} tp_conv_params_s8;

typedef struct {
    tp_tile stride;
    tp_padding padding;
    int32_t depth_multiplier;
    int32_t input_offset;
    int32_t output_offset;
    tp_activation_s8 activation;
} tp_dw_conv_params_s8;

typedef struct {
    int32_t output_offset;
    /* 1: quant holds one multiplier and shift per output unit; 0: one for all. */
    int32_t per_channel;
    tp_activation_s8 activation;
} tp_fc_params_s8;

typedef struct {
    tp_tile stride;
    tp_padding padding;
    tp_activation_s8 activation;
} tp_pool_params_s8;

/* TFLite Micro's OpDataAdd: both inputs are offset, shifted left, scaled to a common scale,
 * added, and the sum scaled to the output. */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    int32_t left_shift;
    int32_t input1_multiplier;
    int32_t input1_shift;
    int32_t input2_multiplier;
    int32_t input2_shift;
    int32_t output_multiplier;
    int32_t output_shift;
    tp_activation_s8 activation;
} tp_add_params_s8;

/* TFLite's SoftmaxParams: input differences scaled into Q5.26; differences below diff_min
 * give an output of -128. Output scale 1/256, zero point -128. */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} tp_softmax_params_s8;

typedef struct {
    float scale;
    int32_t zero_point;
} tp_quant_params_f32;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t multiplier;
    int32_t shift;
} tp_requantize_params_s8;

/* Conv2D, any stride, dilation 1. bias: the effective bias (see above), never NULL.
 * buffer: tp_convolve_s8_get_buffer_size() bytes, 4-byte aligned. */
tp_status tp_convolve_s8(const tp_conv_params_s8 *params, const tp_channel_quant *quant,
                         const tp_dims *input_dims, const int8_t *input,
                         const tp_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                         const tp_dims *output_dims, int8_t *output, void *buffer);
int32_t tp_convolve_s8_get_buffer_size(const tp_dims *input_dims, const tp_dims *filter_dims);

/* DepthwiseConv2D: output channel c*M+m reads input channel c. bias may be NULL (plain bias). */
tp_status tp_depthwise_conv_s8(const tp_dw_conv_params_s8 *params, const tp_channel_quant *quant,
                               const tp_dims *input_dims, const int8_t *input,
                               const tp_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias, const tp_dims *output_dims, int8_t *output);

/* Fully connected: input_dims n = batch, c = inputs; output_dims->c = outputs.
 * bias: the effective bias, never NULL. */
tp_status tp_fully_connected_s8(const tp_fc_params_s8 *params, const tp_channel_quant *quant,
                                const tp_dims *input_dims, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const tp_dims *output_dims, int8_t *output);

tp_status tp_max_pool_s8(const tp_pool_params_s8 *params, const tp_dims *input_dims,
                         const int8_t *input, const tp_tile *kernel, const tp_dims *output_dims,
                         int8_t *output);

/* Average of the window elements inside the input, rounded half away from zero (TFLite). */
tp_status tp_avg_pool_s8(const tp_pool_params_s8 *params, const tp_dims *input_dims,
                         const int8_t *input, const tp_tile *kernel, const tp_dims *output_dims,
                         int8_t *output);

/* Elementwise a + b of size elements (same shapes). output may alias a or b. */
tp_status tp_add_s8(const tp_add_params_s8 *params, const int8_t *a, const int8_t *b,
                    int32_t size, int8_t *output);

/* Softmax over the last dimension of rows x depth values. output may alias input. */
tp_status tp_softmax_s8(const tp_softmax_params_s8 *params, const int8_t *input, int32_t rows,
                        int32_t depth, int8_t *output);

/* QUANTIZE float32 -> int8: round(x / scale) half away from zero, + zero point, saturated. */
tp_status tp_quantize_f32_s8(const tp_quant_params_f32 *params, const float *input,
                             int32_t size, int8_t *output);

/* DEQUANTIZE int8 -> float32: scale * (q - zero_point). */
tp_status tp_dequantize_s8_f32(const tp_quant_params_f32 *params, const int8_t *input,
                               int32_t size, float *output);

/* QUANTIZE int8 -> int8 (a change of scale). output may alias input. */
tp_status tp_requantize_s8(const tp_requantize_params_s8 *params, const int8_t *input,
                           int32_t size, int8_t *output);

#endif /* TP_ENGINE_S8_H */
