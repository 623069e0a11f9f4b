/* tinyprune inference engine: kernels for sparse weights (pruned layers).
 *
 * A sparse weight tensor is stored as segments (tp_sparse_s8, tp_sparse_f32): one per output
 * channel and window row of an int8 convolution (c * kernel_h + ky: the kernel splits windows
 * into chunks of rows), one per output channel of a float convolution, one per output unit of
 * a fully connected layer. Segment s holds entries start[s] .. start[s + 1] - 1; entry e is a
 * weight at position p + step within the segment's values (in OHWI order), where p is the
 * position of the previous entry of the segment (0 before the first). A gap longer than 255 is bridged by
 * entries of value 0. int8 entries are byte pairs (entry[2e]: the step as uint8,
 * entry[2e + 1]: the value), read together; float ones keep steps and values apart.
 * sdk/kernels/storage.py packs this format and docs/kernels.md says why it was chosen. Zero
 * weights are skipped: the work is proportional to the entries.
 */
#ifndef TP_ENGINE_SPARSE_H
#define TP_ENGINE_SPARSE_H

#include "tp_engine_s8.h"

#include <stdint.h>

typedef struct {
    const int16_t *start; /* segments + 1 entry offsets */
    const int8_t *entry;  /* (step, value) pairs */
} tp_sparse_s8;

typedef struct {
    const int16_t *start;
    const uint8_t *delta;
    const float *value;
} tp_sparse_f32;

/* A tp_conv_chain_s8 chain whose layers may have sparse filters: sparse[i] non-NULL replaces
 * the dense filter of chain->layer[i] (whose filter is then NULL). The dense chain's ring,
 * streaming and variants; its scratch too when the windows are split in chunks (the variant
 * the planner takes when memory is tight), so a pruned model keeps a tight arena. */
typedef struct {
    const tp_conv_chain_params_s8 *chain;
    const tp_sparse_s8 *sparse[2];
} tp_conv_chain_sparse_params_s8;

int32_t tp_conv_chain_sparse_s8_get_buffer_size(const tp_conv_chain_sparse_params_s8 *params);

tp_status tp_conv_chain_sparse_s8(const tp_conv_chain_sparse_params_s8 *params,
                                  const int8_t *input, int8_t *output, void *buffer);

/* Fully connected, int8, sparse weights (tp_fully_connected_s8 with params->interleaved 0). */
tp_status tp_fully_connected_sparse_s8(const tp_fc_params_s8 *params,
                                       const tp_channel_quant *quant, const tp_dims *input_dims,
                                       const int8_t *input, const tp_sparse_s8 *weights,
                                       const int32_t *bias, const tp_dims *output_dims,
                                       int8_t *output);

/* Conv2D, float, sparse filter (OHWI positions), dilation 1; scratch: the windows of one tile
 * of output pixels. bias may be NULL. */
int32_t tp_conv_sparse_f32_get_buffer_size(const tp_dims *filter_dims);

tp_status tp_conv_sparse_f32(const tp_conv_params_f32 *params, const tp_dims *input_dims,
                             const float *input, const tp_dims *filter_dims,
                             const tp_sparse_f32 *filter, const float *bias,
                             const tp_dims *output_dims, float *output, void *buffer);

/* Fully connected, float, sparse weights. bias may be NULL. */
tp_status tp_fully_connected_sparse_f32(const tp_fc_params_f32 *params,
                                        const tp_dims *input_dims, const float *input,
                                        const tp_sparse_f32 *weights, const float *bias,
                                        const tp_dims *output_dims, float *output);

#endif /* TP_ENGINE_SPARSE_H */
