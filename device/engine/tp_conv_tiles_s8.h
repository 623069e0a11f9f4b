/* Private: the tile machinery shared by the int8 convolutions tp_convolve_s8 and
 * tp_conv_chain_s8 (tp_conv_tiles_s8.c), CMSIS-NN's "support functions" for them.
 *
 * Work is done in tiles of up to TILE output pixels (8 consecutive pixels in raster order, or
 * 2 pooled outputs = two 2x2 groups of pixels when a max pool is fused). For each tile the
 * windows of its pixels are first gathered (im2col), then every output channel is computed
 * from them, then requantized and stored: all input of a tile is read before any of its output
 * is written (the memory contract of memory_planner.overlap_limit, tile by tile).
 */
#ifndef TP_CONV_TILES_S8_H
#define TP_CONV_TILES_S8_H

#include "tp_engine_s8.h"
#include "tp_requant.h"

#include <stddef.h>
#include <stdint.h>

/* Output pixels per tile (sdk twin: CONV_S8_TILE). */
#define TILE 8

typedef struct {
    const tp_conv_layer_s8 *layer;
    const int8_t *in_base; /* input row y at in_base + (in_ring ? y % in_ring : y) * in_row */
    int32_t in_row;
    int32_t in_ring;
    int32_t k;      /* window values */
    int32_t span;   /* kernel_w * input channels: values of one window row */
    int32_t chunk;  /* window rows per chunk */
    int32_t kc;     /* values of one chunk, rounded up to a multiple of 4 */
    int32_t *cols;  /* TILE columns: int16 K-step-major (DSP) or int8 per pixel (portable) */
    int8_t *bytes;  /* one byte row or byte column of kc values */
    int32_t *accs;  /* out_c x TILE partial sums when the window is chunked */
} conv_core;

typedef struct {
    int32_t n;    /* pixels */
    int32_t outs; /* outputs: n, or n / 4 when pooled */
    int32_t oy[TILE];
    int32_t ox[TILE];
    int8_t *dst[TILE]; /* channel 0 of each output */
} conv_tile;

/* Scratch of one layer: gather columns (TILE x kc int16), one byte column (kc) and, for
 * windows split into chunks, partial sums (out_c x TILE int32). Twin:
 * sdk/kernels/families/conv2d.py conv_s8_buffer_bytes. */
int32_t tp_conv_tiles_s8_core_bytes(const tp_conv_params_s8 *p, const tp_dims *f, int32_t out_c);

/* Bind cc to layer: input rows at input (a ring of in_ring rows when in_ring > 0), scratch of
 * tp_conv_tiles_s8_core_bytes() bytes. Returns cc. */
const conv_core *tp_conv_tiles_s8_init(conv_core *cc, const tp_conv_layer_s8 *layer,
                                       const int8_t *input, int32_t in_ring, void *scratch);

/* 1 when the layer's shapes agree and it has a bias and a valid pool. */
static inline int32_t tp_conv_tiles_s8_layer_ok(const tp_conv_layer_s8 *l)
{
    const tp_dims *d = l->input_dims;
    const tp_dims *f = l->filter_dims;
    const tp_dims *o = l->output_dims;
    return f->c == d->c && f->n == o->c && d->n == o->n && l->bias != NULL &&
           (l->pool == 0 || l->pool == 2);
}

/* Pooled outputs [q, end) (at most 2) of a layer whose unpooled output is o: pixels
 * 4g .. 4g + 3 are output g's 2x2 group. */
void tp_conv_tiles_s8_pooled(const tp_dims *o, int8_t *out, int32_t q, int32_t end,
                             conv_tile *t);

/* Output pixels [p, end) (at most TILE of them) of a layer without pooling; output rows at
 * out (a ring of `ring` rows when ring > 0). Inline: once per tile in both kernels' loops. */
static inline void tp_conv_tiles_s8_pixels(const tp_conv_layer_s8 *layer, int8_t *out,
                                           int32_t ring, int32_t p, int32_t end, conv_tile *t)
{
    const int32_t ow = layer->output_dims->w;
    const int32_t oc = layer->output_dims->c;
    int32_t j;
    t->n = end - p < TILE ? end - p : TILE;
    t->outs = t->n;
    for (j = 0; j < t->n; j++) {
#if TP_S8_MSP430
        /* 16-bit divisions: a 32-bit one is a helper call of about 3,900 cycles there. */
        const int32_t oy = (int16_t)(p + j) / (int16_t)ow;
        const int32_t ox = (int16_t)(p + j) % (int16_t)ow;
        t->oy[j] = oy;
        t->ox[j] = ox;
        t->dst[j] = out + ((ring > 0 ? (int16_t)oy % (int16_t)ring : oy) * ow + ox) * oc;
#else
        const int32_t oy = (p + j) / ow;
        const int32_t ox = (p + j) % ow;
        t->oy[j] = oy;
        t->ox[j] = ox;
        t->dst[j] = out + ((ring > 0 ? oy % ring : oy) * ow + ox) * oc;
#endif
    }
}

/* The tile of outputs [q, end): pooled outputs when the layer pools, else pixels. */
static inline void tp_conv_tiles_s8_make(const tp_conv_layer_s8 *layer, int8_t *out,
                                         int32_t ring, int32_t q, int32_t end, conv_tile *t)
{
    if (layer->pool) {
        tp_conv_tiles_s8_pooled(layer->output_dims, out, q, end, t);
    } else {
        tp_conv_tiles_s8_pixels(layer, out, ring, q, end, t);
    }
}

/* Outputs of a layer: pooled outputs when it pools, else pixels. */
static inline int32_t tp_conv_tiles_s8_outputs(const tp_conv_layer_s8 *layer)
{
    const tp_dims *o = layer->output_dims;
    return layer->pool ? (o->h / 2) * (o->w / 2) : o->h * o->w;
}

/* Compute, requantize and store every output channel of tile t. */
void tp_conv_tiles_s8_process(const conv_core *cc, const conv_tile *t);

/* Outputs [first, end) of cc's layer, tile by tile, in raster order. */
void tp_conv_tiles_s8_run(const conv_core *cc, int8_t *out, int32_t ring, int32_t first,
                          int32_t end);

#endif /* TP_CONV_TILES_S8_H */
