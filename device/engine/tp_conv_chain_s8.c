/* A fused int8 convolution chain: one conv with an optional 2x2 max pool, or two convs
 * streamed by rows (+ pool, tp_conv_stream_s8.h), through the shared tile machinery
 * (tp_conv_tiles_s8.c).
 */
#include "tp_conv_stream_s8.h"

#include <stddef.h>

int32_t tp_conv_chain_s8_get_buffer_size(const tp_conv_chain_params_s8 *chain)
{
    const tp_conv_layer_s8 *a = chain->layer[0];
    int32_t size = tp_conv_tiles_s8_core_bytes(a->params, a->filter_dims, a->output_dims->c);
    if (chain->count == 2) {
        const tp_conv_layer_s8 *b = chain->layer[1];
        const int32_t size_b = tp_conv_tiles_s8_core_bytes(b->params, b->filter_dims, b->output_dims->c);
        size = (size > size_b ? size : size_b) + tp_conv_stream_s8_ring_bytes(chain);
    }
    return size;
}

tp_status tp_conv_chain_s8(const tp_conv_chain_params_s8 *chain, const int8_t *input,
                           int8_t *output, void *buffer)
{
    const tp_conv_layer_s8 *a = chain->layer[0];
    conv_core ca;
    conv_core cb;
    int8_t *rows = (int8_t *)buffer;
    void *scratch;
    if (buffer == NULL || !tp_conv_tiles_s8_layer_ok(a) || a->input_dims->n != 1 || chain->count < 1 ||
        chain->count > 2) {
        return TP_ERR_ARGUMENT;
    }
    if (chain->count == 1) {
        tp_conv_tiles_s8_init(&ca, a, input, 0, buffer);
        tp_conv_tiles_s8_run(&ca, output, 0, 0, tp_conv_tiles_s8_outputs(a));
        return TP_OK;
    }
    scratch = rows + tp_conv_stream_s8_ring_bytes(chain);
    tp_conv_tiles_s8_init(&ca, a, input, 0, scratch);
    tp_conv_tiles_s8_init(&cb, chain->layer[1], rows, chain->ring_rows, scratch);
    return tp_conv_stream_s8(chain, &ca, tp_conv_tiles_s8_run, &cb, tp_conv_tiles_s8_process, rows,
                             output);
}
