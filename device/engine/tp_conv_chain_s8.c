/* A fused int8 convolution chain: one conv with an optional 2x2 max pool, or two convs
 * streamed by rows (+ pool), through the shared tile machinery (tp_conv_tiles_s8.c).
 *
 * Row streaming (two layers): the first layer's output rows live in a ring of
 * chain->ring_rows rows in the scratch; before each tile of the second layer, the first
 * layer's pixels are computed in raster order up to the last row the tile reads (rounded up to
 * whole tiles when chain->align); sdk/kernels/families/conv_chain_s8.py chain_ring_rows replays this order to
 * size the ring, and the kernel refuses a ring too small for a tile (TP_ERR_ARGUMENT).
 */
#include "tp_conv_tiles_s8.h"

#include <stddef.h>

static int32_t ring_bytes(const tp_conv_chain_params_s8 *chain)
{
    const tp_dims *o = chain->layer[0]->output_dims;
    return (chain->ring_rows * o->w * o->c + 3) & ~(int32_t)3;
}

int32_t tp_conv_chain_s8_get_buffer_size(const tp_conv_chain_params_s8 *chain)
{
    const tp_conv_layer_s8 *a = chain->layer[0];
    int32_t size = tp_conv_tiles_s8_core_bytes(a->params, a->filter_dims, a->output_dims->c);
    if (chain->count == 2) {
        const tp_conv_layer_s8 *b = chain->layer[1];
        const int32_t size_b = tp_conv_tiles_s8_core_bytes(b->params, b->filter_dims, b->output_dims->c);
        size = (size > size_b ? size : size_b) + ring_bytes(chain);
    }
    return size;
}

tp_status tp_conv_chain_s8(const tp_conv_chain_params_s8 *chain, const int8_t *input,
                           int8_t *output, void *buffer)
{
    const tp_conv_layer_s8 *a = chain->layer[0];
    conv_core ca;
    if (buffer == NULL || !tp_conv_tiles_s8_layer_ok(a) || a->input_dims->n != 1 || chain->count < 1 ||
        chain->count > 2) {
        return TP_ERR_ARGUMENT;
    }
    if (chain->count == 1) {
        tp_conv_tiles_s8_init(&ca, a, input, 0, buffer);
        tp_conv_tiles_s8_run(&ca, output, 0, 0, tp_conv_tiles_s8_outputs(a));
        return TP_OK;
    }
    {
        const tp_conv_layer_s8 *b = chain->layer[1];
        const tp_dims *ao = a->output_dims;
        const tp_conv_params_s8 *bp = b->params;
        const int32_t ring = chain->ring_rows;
        int8_t *rows = (int8_t *)buffer;
        void *scratch = rows + ring_bytes(chain);
        const int32_t total = tp_conv_tiles_s8_outputs(b);
        const int32_t a_total = ao->h * ao->w;
        int32_t done = 0; /* pixels of a's output computed, in raster order */
        conv_core cb;
        conv_tile t;
        int32_t q;
        if (!tp_conv_tiles_s8_layer_ok(b) || a->pool != 0 || ring < 1 || b->input_dims->h != ao->h ||
            b->input_dims->w != ao->w || b->input_dims->c != ao->c) {
            return TP_ERR_ARGUMENT;
        }
        tp_conv_tiles_s8_init(&ca, a, input, 0, scratch);
        tp_conv_tiles_s8_init(&cb, b, rows, ring, scratch);
        for (q = 0; q < total; q += t.outs) {
            int32_t lo;
            int32_t hi;
            int32_t need;
            tp_conv_tiles_s8_make(b, output, 0, q, total, &t);
            lo = t.oy[0] * bp->stride.h - bp->padding.top;
            hi = t.oy[t.n - 1] * bp->stride.h - bp->padding.top + b->filter_dims->h - 1;
            lo = lo > 0 ? lo : 0;
            hi = hi < ao->h - 1 ? hi : ao->h - 1;
            need = (hi + 1) * ao->w;
            if (chain->align) {
                need = (need + TILE - 1) / TILE * TILE;
                need = need < a_total ? need : a_total;
            }
            if (done < need) {
                tp_conv_tiles_s8_run(&ca, rows, ring, done, need);
                done = need;
            }
            if (lo <= (done - 1) / ao->w - ring) {
                return TP_ERR_ARGUMENT; /* the ring is too small for this tile */
            }
            tp_conv_tiles_s8_process(&cb, &t);
        }
    }
    return TP_OK;
}
