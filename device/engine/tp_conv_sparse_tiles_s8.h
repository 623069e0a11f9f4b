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

typedef struct {
    conv_core base;             /* first: the process function receives &base */
    const tp_sparse_s8 *sparse; /* NULL: a dense layer (tp_conv_tiles_s8_process) */
} conv_sparse_core;

/* Bind sc to layer as tp_conv_tiles_s8_init does, with its sparse filter (NULL: dense).
 * Returns &sc->base, for tp_conv_sparse_tiles_s8_process. */
const conv_core *tp_conv_sparse_tiles_s8_init(conv_sparse_core *sc, const tp_conv_layer_s8 *layer,
                                              const tp_sparse_s8 *sparse, const int8_t *input,
                                              int32_t in_ring, void *scratch);

/* Compute, requantize and store every output channel of tile t (cc: a conv_sparse_core). */
void tp_conv_sparse_tiles_s8_process(const conv_core *cc, const conv_tile *t);

#endif /* TP_CONV_SPARSE_TILES_S8_H */
