/* Binary Conv2D, binary input and output, filters packed along output channels
 * (tp_binary_count_oc.h): for each tile of TP_BWORD_BITS output channels, filter word
 * [tile][k] holds bit k of the window (kh x kw pixels of TP_BWORDS(C) words, TP_BWORD_BITS
 * bits each, channel-padding bits included with weight 0) of every channel of the tile, lane
 * l = channel tile * TP_BWORD_BITS + l. bound holds, per tile, `planes` words: plane i has
 * bit i of each lane's bound (+1 iff popcount of the differences < bound; 0 for lanes past
 * the last channel). The window is gathered as in tp_binary_conv_b1 (padded pixels all 0 =
 * -1, whose differences are the weights' +1 bits; padding bits meet weight 0 and never
 * count).
 */
#include "tp_binary_count_oc.h"
#include "tp_binary_window.h"

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && defined(__thumb2__)
#define TP_B1_OC_ASM 1
#include "arch/armv7em/tp_armv7em_b1.h"
#elif defined(__MSP430__)
#define TP_B1_OC_ASM 2
#include "arch/msp430/tp_msp430_b1.h"
#else
#define TP_B1_OC_ASM 0
#endif

int32_t tp_binary_conv_b1_oc_get_buffer_size(const tp_dims *filter_dims)
{
    return filter_dims->h * filter_dims->w * TP_BWORDS(filter_dims->c) *
           (int32_t)sizeof(tp_bword);
}

#if TP_B1_OC_ASM != 2
/* The count planes of one tile (5 + TP_OC_HIGH_PLANES, the first `used` zeroed by the caller):
 * ones, twos, fours, eights, then (32-bit words) sixteens and the planes of weight 32 on, or
 * (16-bit words) the planes of weight 16 on. */
static void tile_count(const tp_bword *col, int32_t words, const tp_bword *wt, tp_bword *count,
                       int32_t nhigh)
{
#if TP_B1_OC_ASM == 1
    (void)nhigh;
    tp_b1_oc_words(col, words, wt, count);
#else
    tp_bword ones = 0, twos = 0, fours = 0, eights = 0;
    int32_t i;
#if TP_BWORD_BITS == 32
    tp_bword sixteens = 0;
    for (i = 0; i < words; i++) {
        const tp_bword x = col[i];
        tp_bword sixteens_a, sixteens_b, thirtytwos;
        TP_OC_ADD16(x, 0, wt, sixteens_a);
        TP_OC_ADD16(x, 16, wt, sixteens_b);
        TP_CSA(thirtytwos, sixteens, sixteens, sixteens_a, sixteens_b);
        tp_oc_ripple(count + 5, nhigh, thirtytwos);
        wt += 32;
    }
    count[4] = sixteens;
#else
    for (i = 0; i < words; i++) {
        const tp_bword x = col[i];
        tp_bword sixteens;
        TP_OC_ADD16(x, 0, wt, sixteens);
        tp_oc_ripple(count + 4, nhigh, sixteens);
        wt += 16;
    }
#endif
    count[0] = ones;
    count[1] = twos;
    count[2] = fours;
    count[3] = eights;
#endif
}

#endif

tp_status tp_binary_conv_b1_oc(const tp_binary_conv_params *params, const tp_dims *input_dims,
                               const tp_bword *input, const tp_dims *filter_dims,
                               const tp_bword *filter, const tp_bword *bound, int32_t planes,
                               const tp_dims *output_dims, tp_bword *output, tp_bword *buffer)
{
    const int32_t wpc = TP_BWORDS(input_dims->c);
    const int32_t words = filter_dims->h * filter_dims->w * wpc;
    const int32_t tiles = TP_BWORDS(output_dims->c);
    int32_t nhigh = 0;
    int32_t used;
    int32_t b;

    /* The high planes count the window's words (32-bit) or 16-bit blocks: 2^nhigh > words. */
    while (nhigh < TP_OC_HIGH_PLANES && ((int32_t)1 << nhigh) <= words) {
        nhigh++;
    }
    used = (TP_BWORD_BITS == 32 ? 5 : 4) + nhigh;
    used = used > planes ? used : planes;
    if (filter_dims->c != input_dims->c || filter_dims->n != output_dims->c ||
        input_dims->n != output_dims->n || buffer == 0 || ((int32_t)1 << nhigh) <= words ||
        planes > 5 + TP_OC_HIGH_PLANES) {
        return TP_ERR_ARGUMENT;
    }
#if TP_B1_OC_ASM == 2
    tp_bword high[TP_OC_HIGH_PLANES];
    tp_msp430_b1_oc_job job = {0, 0, 0, high, (uint16_t)words, (uint16_t)tiles,
                               (uint16_t)planes, (uint16_t)(used - 4)};
#endif
    for (b = 0; b < input_dims->n; b++) {
        const tp_bword *image = input + b * input_dims->h * input_dims->w * wpc;
        tp_bwin win;
        int32_t oy;
        tp_bwin_start(&win, input_dims, wpc, filter_dims, &params->stride, &params->padding);
        for (oy = 0; oy < output_dims->h; oy++) {
            int32_t ox;
            tp_bwin_row_start(&win);
            for (ox = 0; ox < output_dims->w; ox++) {
                tp_binary_gather_b1(image, &win, buffer);
#if TP_B1_OC_ASM == 2
                /* The whole pixel in assembly: no per-tile call, clearing or comparison. */
                job.wt = filter;
                job.bound = bound;
                job.out = output;
                tp_msp430_b1_oc_pixel(buffer, &job);
                output = job.out;
#else
                const tp_bword *wt = filter;
                const tp_bword *tile_bound = bound;
                int32_t t;
                for (t = 0; t < tiles; t++) {
                    tp_bword count[5 + TP_OC_HIGH_PLANES];
                    tp_bword *c = count;
                    while (c < count + used) {
                        *c++ = 0;
                    }
                    tile_count(buffer, words, wt, count, nhigh);
                    *output++ = tp_oc_less(count, tile_bound, planes);
                    wt += words * TP_BWORD_BITS;
                    tile_bound += planes;
                }
#endif
                tp_bwin_next_x(&win);
            }
            tp_bwin_next_y(&win);
        }
    }
    return TP_OK;
}
