/* Private: the row streaming of two fused int8 convolutions, shared by tp_conv_chain_s8 (dense
 * filters) and tp_conv_chain_sparse_s8 (sparse ones), which differ only in how a layer
 * computes its tiles (the functions each passes; constants, so the calls stay direct).
 *
 * The first layer's output rows live in a ring of chain->ring_rows rows in the scratch;
 * before each tile of the second layer, the first layer's pixels are computed in raster order
 * up to the last row the tile reads (rounded up to whole tiles when chain->align);
 * sdk/kernels/families/conv_chain_s8.py chain_ring_rows replays this order to size the ring,
 * and a ring too small for a tile is refused (TP_ERR_ARGUMENT).
 */
#ifndef TP_CONV_STREAM_S8_H
#define TP_CONV_STREAM_S8_H

#include "tp_conv_tiles_s8.h"

/* Compute a tile of a layer; compute a layer's outputs [first, end) into out (a ring of
 * `ring` rows when ring > 0). */
typedef void (*tp_conv_process_fn)(const conv_core *cc, const conv_tile *t);
typedef void (*tp_conv_run_fn)(const conv_core *cc, int8_t *out, int32_t ring, int32_t first,
                               int32_t end);

/* Bytes of the ring at the start of a two-layer chain's scratch (a multiple of 4). */
static inline int32_t tp_conv_stream_s8_ring_bytes(const tp_conv_chain_params_s8 *chain)
{
    const tp_dims *o = chain->layer[0]->output_dims;
    return (chain->ring_rows * o->w * o->c + 3) & ~(int32_t)3;
}

/* The two layers of chain: ca bound to the input, cb to the ring at rows. */
static inline tp_status tp_conv_stream_s8(const tp_conv_chain_params_s8 *chain,
                                          const conv_core *ca, tp_conv_run_fn run_a,
                                          const conv_core *cb, tp_conv_process_fn process_b,
                                          int8_t *rows, int8_t *output)
{
    const tp_conv_layer_s8 *a = chain->layer[0];
    const tp_conv_layer_s8 *b = chain->layer[1];
    const tp_dims *ao = a->output_dims;
    const tp_conv_params_s8 *bp = b->params;
    const int32_t ring = chain->ring_rows;
    const int32_t total = tp_conv_tiles_s8_outputs(b);
    const int32_t a_total = ao->h * ao->w;
    int32_t done = 0; /* pixels of a's output computed, in raster order */
    conv_tile t;
    int32_t q;
    if (!tp_conv_tiles_s8_layer_ok(b) || a->pool != 0 || ring < 1 || b->input_dims->h != ao->h ||
        b->input_dims->w != ao->w || b->input_dims->c != ao->c) {
        return TP_ERR_ARGUMENT;
    }
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
            run_a(ca, rows, ring, done, need);
            done = need;
        }
        if (lo <= (done - 1) / ao->w - ring) {
            return TP_ERR_ARGUMENT; /* the ring is too small for this tile */
        }
        process_b(cb, &t);
    }
    return TP_OK;
}

#endif /* TP_CONV_STREAM_S8_H */
