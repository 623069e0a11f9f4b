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
 *  - kernels with scratch needs have a `_get_buffer_size` twin (its kernel family
 *    in sdk/kernels/families holds the Python twin); the same size is reserved whether or not the DSP path uses it;
 *  - each kernel has a portable C99 path and, for convolution (also fused with max pooling and
 *    streamed by rows), depthwise convolution, fully-connected and average pooling, an
 *    ARMv7E-M path behind __ARM_FEATURE_DSP with the same results: ACLE intrinsics (SMLAD,
 *    SXTB16, SXTAB16 from <arm_acle.h>) and, for the inner loops gcc cannot keep in registers,
 *    assembly routines in arch/armv7em/ (tp_s8_conv_tile.S, tp_s8_widen.S, tp_s8_dw3x3_row.S,
 *    tp_s8_dw3x3_row6.S, tp_s8_fc4.S; declared in arch/armv7em/tp_armv7em_s8.h);
 *  - requantization takes TFLite's arithmetic as written, or an exact cheaper form
 *    (tp_requant_fast in tp_requant.h) where the code generator has proved it identical
 *    (the `fast_requant` parameter fields).
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
    /* 1 when every channel's shift is <= -1 and |accumulator| < 2^30 for every input (the code
     * generator proves it from the weights and biases): the kernels then requantize with the
     * cheaper exact form tp_requant_fast(); 0: TFLite's arithmetic as written. */
    int32_t fast_requant;
    /* Window rows per im2col chunk (0 or >= kernel height: the whole window). Smaller chunks
     * need less scratch; used when kernel width x input channels is a multiple of 4. */
    int32_t chunk_rows;
} tp_conv_params_s8;

/* One convolution of a fused chain: Conv2D (+ ReLU) with an optional 2x2 stride-2 max pool
 * (valid padding) applied to its accumulators. output_dims are the convolution's (unpooled). */
typedef struct {
    const tp_conv_params_s8 *params;
    const tp_channel_quant *quant;
    const tp_dims *input_dims;
    const tp_dims *filter_dims;
    const int8_t *filter;
    const int32_t *bias; /* effective bias */
    const tp_dims *output_dims;
    int32_t pool; /* 0: none; 2: 2x2 max pool, stride 2, valid */
} tp_conv_layer_s8;

/* A conv (+ pool), or two convs streamed by rows: layer[0]'s output rows are computed on
 * demand into a ring of ring_rows rows (scratch) and consumed by layer[1] (+ pool), so
 * layer[0]'s full output never exists. Batch 1. */
typedef struct {
    const tp_conv_layer_s8 *layer[2];
    int32_t count;     /* 1 or 2 */
    int32_t ring_rows; /* rows of layer[0]'s output kept when count == 2 */
    /* 1: compute layer[0]'s pixels in whole tiles ahead of need (fewer partial tiles); 0: just
     * the rows needed (sometimes a smaller ring). */
    int32_t align;
} tp_conv_chain_params_s8;

typedef struct {
    tp_tile stride;
    tp_padding padding;
    int32_t depth_multiplier;
    int32_t input_offset;
    int32_t output_offset;
    tp_activation_s8 activation;
    /* As tp_conv_params_s8.fast_requant (the bound here: |bias| + 255 x sum |w|). */
    int32_t fast_requant;
} tp_dw_conv_params_s8;

typedef struct {
    int32_t output_offset;
    /* 1: quant holds one multiplier and shift per output unit; 0: one for all. */
    int32_t per_channel;
    tp_activation_s8 activation;
    /* As tp_conv_params_s8.fast_requant. */
    int32_t fast_requant;
    /* 1: weights interleaved in blocks of 4 outputs x 4 inputs (tp_fully_connected_s8.c);
     * 0: row-major [outputs][inputs]. */
    int32_t interleaved;
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

/* An int8 ADD as per-layer tables (sdk/kernels/add_tables.py builds them and proves them
 * equal to tp_add_s8 for all 65,536 input pairs): the output of inputs (a, b) is
 * output_table[(a_table[a + 128] + b_table[b + 128]) >> shift], every index in the table. */
typedef struct tp_add_tables_s8 {
    const int32_t *a_table;
    const int32_t *b_table;
    const int8_t *output_table;
    int32_t shift;
} tp_add_tables_s8;

/* TFLite's SoftmaxParams: input differences scaled into Q5.26; differences below diff_min
 * give an output of -128. Output scale 1/256, zero point -128. */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} tp_softmax_params_s8;

/* The same softmax as a per-layer table (sdk/kernels/families/softmax.py): exp_table[d] is the
 * Q0.31 exponential of a difference -d from the row maximum, exactly as TFLite computes it
 * from its SoftmaxParams (0 below diff_min); its last entry (of table_size) is 0 and stands
 * for every larger difference. */
typedef struct {
    const int32_t *exp_table;
    int32_t table_size;
} tp_softmax_table_params_s8;

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
 * buffer: tp_convolve_s8_get_buffer_size() bytes, 4-byte aligned. When the window holds
 * kernel_h x kernel_w x input_channels values and that is not a multiple of 4, the filter
 * array must be readable for 3 bytes past its end (the code generator pads it with zeros). */
tp_status tp_convolve_s8(const tp_conv_params_s8 *params, const tp_channel_quant *quant,
                         const tp_dims *input_dims, const int8_t *input,
                         const tp_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                         const tp_dims *output_dims, int8_t *output, void *buffer);
int32_t tp_convolve_s8_get_buffer_size(const tp_conv_params_s8 *params,
                                       const tp_dims *filter_dims, const tp_dims *output_dims);

/* Conv2D with a 1x1 window, stride 1, no padding, at most 8 input channels: weights, folded
 * bias and requantization as one record per output channel,
 * laid out by the code generator (tp_convolve_1x1_s8.c). No scratch. */
tp_status tp_convolve_1x1_s8(const tp_conv_params_s8 *params, const int32_t *records,
                             const tp_dims *input_dims, const int8_t *input,
                             const tp_dims *output_dims, int8_t *output);

/* A fused conv (+ 2x2 max pool) or a row-streamed pair of convs (see tp_conv_chain_params_s8).
 * output: the last layer's output (pooled when it pools). buffer:
 * tp_conv_chain_s8_get_buffer_size() bytes, 4-byte aligned. */
tp_status tp_conv_chain_s8(const tp_conv_chain_params_s8 *chain, const int8_t *input,
                           int8_t *output, void *buffer);
int32_t tp_conv_chain_s8_get_buffer_size(const tp_conv_chain_params_s8 *chain);

/* DepthwiseConv2D: output channel c*M+m reads input channel c. bias may be NULL (plain bias).
 * With depth multiplier 1 and stride 1 it works through a ring of expanded input rows in
 * buffer (tp_depthwise_conv_s8_get_buffer_size() bytes, 4-byte aligned) and may run in place
 * (output == input, same shape); otherwise buffer is unused (may be NULL). */
tp_status tp_depthwise_conv_s8(const tp_dw_conv_params_s8 *params, const tp_channel_quant *quant,
                               const tp_dims *input_dims, const int8_t *input,
                               const tp_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias, const tp_dims *output_dims, int8_t *output,
                               void *buffer);
int32_t tp_depthwise_conv_s8_get_buffer_size(const tp_dw_conv_params_s8 *params,
                                             const tp_dims *filter_dims,
                                             const tp_dims *output_dims);

/* DepthwiseConv2D with a K x 1 window (K <= 15), stride 1, depth multiplier 1, padding top
 * and bottom only: weights as int16 pairs and one requantization record per channel, laid
 * out by the code generator (tp_depthwise_conv_kx1_s8.c). buffer:
 * tp_depthwise_conv_kx1_s8_get_buffer_size() bytes, 4-byte aligned; may run in place (output ==
 * input, same shape). */
tp_status tp_depthwise_conv_kx1_s8(const tp_dw_conv_params_s8 *params, const int32_t *records,
                                   const tp_dims *input_dims, const int8_t *input,
                                   const tp_dims *filter_dims, const int32_t *pairs,
                                   const tp_dims *output_dims, int8_t *output, void *buffer);
int32_t tp_depthwise_conv_kx1_s8_get_buffer_size(const tp_dims *filter_dims,
                                                 const tp_dims *output_dims);

/* DepthwiseConv2D with stride 2 along the width, any depth multiplier, at most 16 x 8 window:
 * weight pairs and one requantization record per output channel,
 * laid out by the code generator (tp_depthwise_conv_s2_s8.c). buffer:
 * tp_depthwise_conv_s2_s8_get_buffer_size() bytes, 4-byte aligned. */
tp_status tp_depthwise_conv_s2_s8(const tp_dw_conv_params_s8 *params, const int32_t *records,
                                  const tp_dims *input_dims, const int8_t *input,
                                  const tp_dims *filter_dims, const int32_t *pairs,
                                  const tp_dims *output_dims, int8_t *output, void *buffer);
int32_t tp_depthwise_conv_s2_s8_get_buffer_size(const tp_dw_conv_params_s8 *params,
                                                const tp_dims *filter_dims,
                                                const tp_dims *output_dims);

/* Fully connected: input_dims n = batch, c = inputs; output_dims->c = outputs.
 * bias: the effective bias, never NULL. weights: row-major or interleaved (params). */
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

/* The same through per-layer tables (tp_add_tables_s8). output may alias a or b. */
tp_status tp_add_table_s8(const tp_add_tables_s8 *tables, const int8_t *a, const int8_t *b,
                          int32_t size, int8_t *output);

/* Softmax over the last dimension of rows x depth values. output may alias input. */
tp_status tp_softmax_s8(const tp_softmax_params_s8 *params, const int8_t *input, int32_t rows,
                        int32_t depth, int8_t *output);

/* The same, reading the exponentials from a table. output may alias input. */
tp_status tp_softmax_table_s8(const tp_softmax_table_params_s8 *params, const int8_t *input,
                              int32_t rows, int32_t depth, int8_t *output);

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
