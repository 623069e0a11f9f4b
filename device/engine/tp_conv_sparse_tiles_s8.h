/* Private: tiles of an int8 convolution with a sparse filter (tp_conv_chain_sparse_s8), on the
 * tile machinery of the dense ones (tp_conv_tiles_s8.h: tiles, scratch, chunks of window rows).
 *
 * The gather writes a tile's windows value-major: value v of pixel j at cols[v * TILE + j]
 * (int16), so the TILE inputs one weight multiplies are contiguous: on ARMv7E-M two words
 * hold four pixels and each SMLABB / SMLABT is one MAC; the weight loop does no work for zeros.
 */
#ifndef TP_CONV_SPARSE_TILES_S8_H
#define TP_CONV_SPARSE_TILES_S8_H

#include "tp_conv_tiles_s8.h"
#include "tp_engine_sparse.h"

/* One window row of a tile, every output channel (tp_s8_sparse_rows): channel c's
 * accumulators acc[c * TILE ..] start from bias[c] (bias NULL: from acc) and take the entries
 * of its segment seg[c * seg_step / 2], whose positions index x. */
typedef struct {
    const int16_t *seg;  /* channel 0's segment start for the row */
    const int8_t *entry; /* the (step, value) pairs */
    const int16_t *x;    /* the gathered row, value-major */
    int32_t seg_step;    /* bytes from a channel's segment start to the next channel's */
    const int32_t *bias;
    int32_t *acc;
    int32_t channels;
} tp_s8_sparse_job;

typedef struct {
    conv_core base;             /* first: the process function receives &base */
    const tp_sparse_s8 *sparse; /* NULL: a dense layer (tp_conv_tiles_s8_process) */
} conv_sparse_core;

/* Scratch of a layer: the dense layer's (tp_conv_tiles_s8_core_bytes) and, for a sparse layer
 * whose window is not split in chunks, TILE int32 accumulators per output channel (a chunked
 * one keeps its partial sums there already). */
int32_t tp_conv_sparse_tiles_s8_core_bytes(const tp_conv_layer_s8 *layer, const tp_sparse_s8 *sparse);

/* Bind sc to layer as tp_conv_tiles_s8_init does, with its sparse filter (NULL: dense).
 * Returns &sc->base, for tp_conv_sparse_tiles_s8_process. */
const conv_core *tp_conv_sparse_tiles_s8_init(conv_sparse_core *sc, const tp_conv_layer_s8 *layer,
                                              const tp_sparse_s8 *sparse, const int8_t *input,
                                              int32_t in_ring, void *scratch);

/* Compute, requantize and store every output channel of tile t (cc: a conv_sparse_core). */
void tp_conv_sparse_tiles_s8_process(const conv_core *cc, const conv_tile *t);

/* Outputs [first, end) of cc's layer (a conv_sparse_core), tile by tile, in raster order, as
 * tp_conv_tiles_s8_run does for a dense one. */
void tp_conv_sparse_tiles_s8_run(const conv_core *cc, int8_t *out, int32_t ring, int32_t first,
                                 int32_t end);

#endif /* TP_CONV_SPARSE_TILES_S8_H */
