/* tinyprune inference engine: binary (+1/-1) kernels, bit-exact with the binary families'
 * references (sdk/kernels/families/binary_*.py).
 *
 * Conventions, beyond those of tp_engine.h (sdk/kernels/bitpack.py is the Python side):
 *  - a binary value is a bit: 1 = +1, 0 = -1; the max of binary values is the OR of their bits;
 *  - binary activations are packed per pixel along channels in tp_bword words (32 bits, 16 on
 *    the MSP430): channel c in word c / TP_BWORD_BITS, bit c % TP_BWORD_BITS; a pixel of C
 *    channels takes TP_BWORDS(C) words and the unused high bits of its last word are 0. tp_dims
 *    of a binary tensor give the real channel count;
 *  - binary Conv2D filters (OHWI) are packed the same way per (o, h, w); binary fully
 *    connected weights [O, K] per group of `group` inputs, as is their input (a flattened binary
 *    NHWC tensor keeps its per-pixel packing: group = C);
 *  - for a binary input, dot = N - 2 * popcount(x XOR w) over the window's words (N: real
 *    terms); a padded position is -1 (all bits 0), so it counts popcount(w);
 *  - for an int8 input (a first layer), dot = sum (x + input_offset) * (+1 or -1), a padded
 *    position contributes 0;
 *  - binary output: +1 iff dot >= threshold[o]. The binary-input kernels take the threshold as
 *    the largest popcount that still gives +1 (limit[o] = floor((N - threshold[o]) / 2),
 *    clipped to [-1, N] by the code generator), so they compare the popcount directly; the
 *    output-channel packed convolution takes limit[o] + 1 bit-sliced;
 *  - int8 output: requantize dot + bias[o] per channel (tp_channel_quant, TFLite's
 *    arithmetic), add the output offset and clamp to the activation.
 */
#ifndef TP_ENGINE_B1_H
#define TP_ENGINE_B1_H

#include "tp_engine.h"
#include "tp_engine_s8.h"

#include <stdint.h>

#if defined(__MSP430__)
typedef uint16_t tp_bword;
#define TP_BWORD_BITS 16
#else
typedef uint32_t tp_bword;
#define TP_BWORD_BITS 32
#endif

/* Words holding n packed values. */
#define TP_BWORDS(n) (((n) + TP_BWORD_BITS - 1) / TP_BWORD_BITS)

typedef struct {
    tp_tile stride;
    tp_padding padding;
    int32_t input_offset;        /* int8 input: -zero point (binary input: 0) */
    int32_t output_offset;       /* int8 output: +zero point */
    tp_activation_s8 activation; /* int8 output */
} tp_binary_conv_params;

typedef struct {
    int32_t group;               /* inputs per packing group */
    int32_t input_offset;        /* int8 input: -zero point */
    int32_t output_offset;       /* int8 output */
    tp_activation_s8 activation; /* int8 output */
} tp_binary_fc_params;

/* Binary Conv2D, binary input and output: filters packed along output channels, counts kept
 * bit-sliced by carry-save adders and compared with the bit-sliced bounds (+1 iff the number
 * of differences < bound[o] = limit[o] + 1), no popcount (tp_binary_conv_b1_oc.c). buffer:
 * the window, of tp_binary_conv_b1_oc_get_buffer_size() bytes. */
tp_status tp_binary_conv_b1_oc(const tp_binary_conv_params *params, const tp_dims *input_dims,
                               const tp_bword *input, const tp_dims *filter_dims,
                               const tp_bword *filter, const tp_bword *bound, int32_t planes,
                               const tp_dims *output_dims, tp_bword *output, tp_bword *buffer);
int32_t tp_binary_conv_b1_oc_get_buffer_size(const tp_dims *filter_dims);

/* Binary Conv2D, binary input, int8 output (a binary-to-int8 boundary). */
tp_status tp_binary_conv_b1_s8(const tp_binary_conv_params *params, const tp_channel_quant *quant,
                               const tp_dims *input_dims, const tp_bword *input,
                               const tp_dims *filter_dims, const tp_bword *filter,
                               const int32_t *bias, const tp_dims *output_dims, int8_t *output,
                               tp_bword *buffer);
int32_t tp_binary_conv_b1_s8_get_buffer_size(const tp_dims *filter_dims);

/* Binary Conv2D, int8 input (binary weights: additions and subtractions), binary output by
 * threshold. buffer: the centered window as int16. */
tp_status tp_binary_conv_s8in_b1(const tp_binary_conv_params *params, const tp_dims *input_dims,
                                 const int8_t *input, const tp_dims *filter_dims,
                                 const tp_bword *filter, const int32_t *threshold,
                                 const tp_dims *output_dims, tp_bword *output, int16_t *buffer);
int32_t tp_binary_conv_s8in_b1_get_buffer_size(const tp_dims *filter_dims);

/* Binary Conv2D, int8 input, int8 output. */
tp_status tp_binary_conv_s8in_s8(const tp_binary_conv_params *params,
                                 const tp_channel_quant *quant, const tp_dims *input_dims,
                                 const int8_t *input, const tp_dims *filter_dims,
                                 const tp_bword *filter, const int32_t *bias,
                                 const tp_dims *output_dims, int8_t *output, int16_t *buffer);
int32_t tp_binary_conv_s8in_s8_get_buffer_size(const tp_dims *filter_dims);

/* Binary fully connected, binary input, int8 output. */
tp_status tp_binary_fully_connected_b1_s8(const tp_binary_fc_params *params,
                                          const tp_channel_quant *quant,
                                          const tp_dims *input_dims, const tp_bword *input,
                                          const tp_bword *weights, const int32_t *bias,
                                          const tp_dims *output_dims, int8_t *output);

/* Binary fully connected, int8 input, binary output (threshold). */
tp_status tp_binary_fully_connected_s8in_b1(const tp_binary_fc_params *params,
                                            const tp_dims *input_dims, const int8_t *input,
                                            const tp_bword *weights, const int32_t *threshold,
                                            const tp_dims *output_dims, tp_bword *output);

/* Binary fully connected, int8 input, int8 output. */
tp_status tp_binary_fully_connected_s8in_s8(const tp_binary_fc_params *params,
                                            const tp_channel_quant *quant,
                                            const tp_dims *input_dims, const int8_t *input,
                                            const tp_bword *weights, const int32_t *bias,
                                            const tp_dims *output_dims, int8_t *output);

/* Binary max pooling (VALID): the OR of the window's packed words. */
tp_status tp_binary_max_pool_b1(const tp_tile *stride, const tp_dims *input_dims,
                                const tp_bword *input, const tp_tile *kernel,
                                const tp_dims *output_dims, tp_bword *output);

#endif /* TP_ENGINE_B1_H */
