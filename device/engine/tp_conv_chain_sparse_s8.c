/* A fused int8 convolution chain (tp_conv_chain_s8) whose layers may have sparse filters:
 * the same tiles, scratch, ring and row streaming (tp_conv_stream_s8.h), with a sparse
 * layer's tiles computed by tp_conv_sparse_tiles_s8.c and a dense layer's by the dense tile
 * machinery. The scratch is the dense chain's (with a sparse layer's accumulators when its
 * window is not chunked: the chunked variants, which the planner picks when memory is tight,
 * need exactly the dense chain's scratch, so pruning does not grow a tight arena).
 */
#include "tp_conv_sparse_tiles_s8.h"
#include "tp_conv_stream_s8.h"

#include <stddef.h>

int32_t tp_conv_chain_sparse_s8_get_buffer_size(const tp_conv_chain_sparse_params_s8 *params)
{
    const tp_conv_chain_params_s8 *chain = params->chain;
    int32_t size = tp_conv_sparse_tiles_s8_core_bytes(chain->layer[0], params->sparse[0]);
    if (chain->count == 2) {
        const int32_t size_b = tp_conv_sparse_tiles_s8_core_bytes(chain->layer[1], params->sparse[1]);
        size = (size > size_b ? size : size_b) + tp_conv_stream_s8_ring_bytes(chain);
    }
    return size;
}

tp_status tp_conv_chain_sparse_s8(const tp_conv_chain_sparse_params_s8 *params,
                                  const int8_t *input, int8_t *output, void *buffer)
{
    const tp_conv_chain_params_s8 *chain = params->chain;
    const tp_conv_layer_s8 *a = chain->layer[0];
    conv_sparse_core ca;
    conv_sparse_core cb;
    int8_t *rows = (int8_t *)buffer;
    void *scratch;
    if (buffer == NULL || !tp_conv_tiles_s8_layer_ok(a) || a->input_dims->n != 1 ||
        chain->count < 1 || chain->count > 2) {
        return TP_ERR_ARGUMENT;
    }
    if (chain->count == 1) {
        tp_conv_sparse_tiles_s8_run(
            tp_conv_sparse_tiles_s8_init(&ca, a, params->sparse[0], input, 0, buffer), output, 0,
            0, tp_conv_tiles_s8_outputs(a));
        return TP_OK;
    }
    scratch = rows + tp_conv_stream_s8_ring_bytes(chain);
    return tp_conv_stream_s8(
        chain, tp_conv_sparse_tiles_s8_init(&ca, a, params->sparse[0], input, 0, scratch),
        tp_conv_sparse_tiles_s8_run,
        tp_conv_sparse_tiles_s8_init(&cb, chain->layer[1], params->sparse[1], rows,
                                     chain->ring_rows, scratch),
        tp_conv_sparse_tiles_s8_process, rows, output);
}
