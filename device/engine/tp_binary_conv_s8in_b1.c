/* Binary Conv2D, int8 input (a first layer: binary weights, additions and subtractions only),
 * binary output: +1 iff dot >= threshold[o] (tp_engine_b1.h).
 *
 * Portable: per output pixel the window is gathered once into the scratch as centered int16
 * values (padded positions 0) with their sum, then each output channel adds the values its
 * filter's flat bit string (tp_binary_window.h) marks +1: dot = 2 x that - sum.
 *
 * MSP430 (windows of at most TP_MSP430_S8IN_MAX_K values): the window's values are taken in
 * groups of 3 and each group's 8 signed sums tabled once per pixel
 * (tp_msp430_b1_s8in_tables.S), so a channel's dot is one table read per group. The weight
 * bits are turned into table-entry addresses and the thresholds saturated to 16 bits once per
 * call. A run of windows inside the image is one call, read in place; a window that crosses
 * the border is first copied into the scratch with the zero point (centered 0) at padded
 * positions.
 */
#include "tp_binary_window.h"

#if defined(__MSP430__)
/* The entries are table addresses sized as int16: the small memory model's 16-bit pointers. */
_Static_assert(sizeof(const int16_t *) == sizeof(int16_t), "16-bit pointers");

/* Scratch of the table path: the tables (8 int16 per group), the entries (one 16-bit
 * address per channel and group), the 16-bit thresholds, a border window of k bytes. */
static int32_t tables_scratch(int32_t k, int32_t channels)
{
    const int32_t groups = (k + 2) / 3;
    return (groups * 8 + channels * groups + channels) * (int32_t)sizeof(int16_t) + k + (k & 1);
}
#endif

int32_t tp_binary_conv_s8in_b1_get_buffer_size(const tp_dims *filter_dims)
{
    const int32_t k = filter_dims->h * filter_dims->w * filter_dims->c;
#if defined(__MSP430__)
    if (k <= TP_MSP430_S8IN_MAX_K) {
        return tables_scratch(k, filter_dims->n);
    }
#endif
    return k * (int32_t)sizeof(int16_t);
}

#if defined(__MSP430__)
/* The window at `win` in a kh x (kw x c) byte block, zero point at padded positions. */
static void border_window(const int8_t *image, const tp_bwin *w, int8_t fill, int8_t *dst)
{
    ptrdiff_t lo;
    ptrdiff_t hi;
    const int8_t *row = image + w->base;
    int8_t *const last = dst + w->window_elems;
    int32_t y = w->iy;
    tp_bwin_clip(w, &lo, &hi);
    while (dst < last) {
        int8_t *const end = dst + w->row_elems;
        if (y >= 0 && y < w->in_h) {
            const int8_t *src = row + lo;
            int8_t *const first = dst + lo;
            int8_t *const inside_end = dst + hi;
            while (dst < first) {
                *dst++ = fill;
            }
            while (dst < inside_end) {
                *dst++ = *src++;
            }
        }
        while (dst < end) {
            *dst++ = fill;
        }
        row += w->row;
        y++;
    }
}

static tp_status conv_tables(const tp_binary_conv_params *params, const tp_dims *input_dims,
                             const int8_t *input, const tp_dims *filter_dims,
                             const tp_bword *filter, const int32_t *threshold,
                             const tp_dims *output_dims, tp_bword *output, int16_t *buffer)
{
    const int16_t c = (int16_t)input_dims->c;
    const int16_t k = (int16_t)(filter_dims->h * filter_dims->w * c);
    const int16_t groups = (int16_t)((k + 2) / 3);
    const int16_t channels = (int16_t)output_dims->c;
    const int16_t words = (int16_t)TP_BWORDS(k);
    const int16_t row = (int16_t)(filter_dims->w * c);
    const int16_t skip = (int16_t)((input_dims->w - filter_dims->w) * c);
    const int16_t step = (int16_t)(params->stride.w * c);
    const int16_t **const entries = (const int16_t **)(buffer + groups * 8);
    int16_t *const thresholds = (int16_t *)(entries + channels * groups);
    int8_t *const window = (int8_t *)(thresholds + channels);
    tp_msp430_s8in_tables_job job = {entries, thresholds, output, buffer, 0, row, k, groups,
                                     channels, (int16_t)params->input_offset, step, 0};
    const int16_t **entry = entries;
    int16_t o;
    int32_t b;

    for (o = 0; o < channels; o++) {
        const tp_bword *f = filter + o * words;
        int16_t g;
        const int32_t t = threshold[o];
        thresholds[o] = (int16_t)(t > INT16_MAX ? INT16_MAX : t < INT16_MIN ? INT16_MIN : t);
        for (g = 0; g < groups; g++) {
            /* Bits 3g .. 3g + 2 of the flat string; a group may straddle two words. */
            const int16_t bit = (int16_t)(3 * g);
            uint16_t bits = (uint16_t)(f[bit / TP_BWORD_BITS] >> (bit % TP_BWORD_BITS));
            if (bit % TP_BWORD_BITS > TP_BWORD_BITS - 3 && bit / TP_BWORD_BITS + 1 < words) {
                bits |= (uint16_t)(f[bit / TP_BWORD_BITS + 1] <<
                                   (TP_BWORD_BITS - bit % TP_BWORD_BITS));
            }
            *entry++ = buffer + g * 8 + (bits & 7u);
        }
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * input_dims->h * input_dims->w * c;
        tp_bwin win;
        int32_t oy;
        tp_bwin_start(&win, input_dims, c, filter_dims, &params->stride, &params->padding);
        for (oy = 0; oy < output_dims->h; oy++) {
            int32_t ox = 0;
            tp_bwin_row_start(&win);
            while (ox < output_dims->w) {
                if (tp_bwin_inside(&win)) {
                    /* A run of inside windows: one call, read in place. */
                    const int8_t *const src = image + win.base;
                    job.pixels = 0;
                    while (ox < output_dims->w && tp_bwin_inside(&win)) {
                        job.pixels++;
                        ox++;
                        tp_bwin_next_x(&win);
                    }
                    job.skip = skip;
                    (void)tp_msp430_b1_s8in_tables(src, &job);
                } else {
                    border_window(image, &win, (int8_t)-params->input_offset, window);
                    job.pixels = 1;
                    job.skip = 0;
                    (void)tp_msp430_b1_s8in_tables(window, &job);
                    ox++;
                    tp_bwin_next_x(&win);
                }
            }
            tp_bwin_next_y(&win);
        }
    }
    return TP_OK;
}
#endif

tp_status tp_binary_conv_s8in_b1(const tp_binary_conv_params *params, const tp_dims *input_dims,
                                 const int8_t *input, const tp_dims *filter_dims,
                                 const tp_bword *filter, const int32_t *threshold,
                                 const tp_dims *output_dims, tp_bword *output, int16_t *buffer)
{
    const int32_t c = input_dims->c;
    const int32_t k = filter_dims->h * filter_dims->w * c;
    const int32_t words = TP_BWORDS(k);
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    int32_t b;

    if (filter_dims->c != c || filter_dims->n != output_dims->c ||
        input_dims->n != output_dims->n || buffer == 0) {
        return TP_ERR_ARGUMENT;
    }
#if defined(__MSP430__)
    if (k <= TP_MSP430_S8IN_MAX_K) {
        return conv_tables(params, input_dims, input, filter_dims, filter, threshold,
                           output_dims, output, buffer);
    }
#endif
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + b * input_dims->h * input_dims->w * c;
        tp_bword *out = output + b * out_h * out_w * TP_BWORDS(output_dims->c);
        tp_bwin win;
        int32_t oy;
        tp_bwin_start(&win, input_dims, c, filter_dims, &params->stride, &params->padding);
        for (oy = 0; oy < out_h; oy++) {
            int32_t ox;
            tp_bwin_row_start(&win);
            for (ox = 0; ox < out_w; ox++) {
                const tp_bword *f = filter;
                int32_t o;
                const int32_t sum = tp_binary_gather_s8(image, &win, params->input_offset,
                                                        buffer);
                /* The output bits in locals: the writer struct costs loads and stores. */
                tp_bword word = 0;
                tp_bword mask = 1;
                for (o = 0; o < output_dims->c; o++) {
                    if (tp_binary_dot_s8(buffer, f, k, sum) >= threshold[o]) {
                        word = (tp_bword)(word | mask);
                    }
                    mask = (tp_bword)(mask << 1);
                    if (mask == 0u) {
                        *out++ = word;
                        word = 0;
                        mask = 1;
                    }
                    f += words;
                }
                if (mask != 1u) {
                    *out++ = word;
                }
                tp_bwin_next_x(&win);
            }
            tp_bwin_next_y(&win);
        }
    }
    return TP_OK;
}
