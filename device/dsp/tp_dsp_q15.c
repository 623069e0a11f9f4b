/* Fixed-point radar preprocessing for 16-bit targets (MSP430); see tp_dsp.h.
 *
 * Scaling (docs/radar.md): the ring holds depth means in raw units * 2^TP_DSP_Q15_FRAC, the
 * windowed values v stay int16 (the mean is removed after the transform, see below), and transform products (int16 * q15) are shifted right by
 * TP_DSP_Q15_SHIFT before they are summed in int32, which cannot overflow for any int16 input.
 * The log of the power is taken from the int32 results without a square root or 64-bit math.
 * Right shifts of negative values are arithmetic on every compiler we support (gcc, clang).
 */
#define TP_DSP_TABLES_Q15
#include "tp_dsp.h"

void tp_dsp_q15_init(tp_dsp_q15_state *state)
{
    for (int m = 0; m < TP_DSP_N; ++m) {
        for (int b = 0; b < TP_DSP_BINS; ++b) {
            state->ring[m][b][0] = 0;
            state->ring[m][b][1] = 0;
        }
    }
    state->head = 0;
    state->count = 0;
}

static int16_t saturate16(int32_t x)
{
    return (int16_t)(x > 32767L ? 32767L : (x < -32768L ? -32768L : x));
}

/* Division rounding half away from zero, as numpy's mean followed by rounding would. */
static int32_t div_round(int32_t num, int16_t den)
{
    return (num >= 0 ? num + den / 2 : num - den / 2) / den;
}

static int32_t mul_shift(int32_t a, int16_t c)
{
    return (a * c) >> TP_DSP_Q15_SHIFT;
}

/* Output in q15 of the fixed log scaling of re^2 + im^2 (both int32). */
static int16_t scale(int32_t re, int32_t im)
{
    uint32_t ar = (uint32_t)(re < 0 ? -re : re);
    uint32_t ai = (uint32_t)(im < 0 ? -im : im);
    int16_t log_base = 0; /* log2 of the power removed by normalizing, in whole units */
    while ((ar | ai) >= 0x8000u) {
        ar >>= 1;
        ai >>= 1;
        log_base += 2;
    }
    uint32_t power = ar * ar + ai * ai; /* < 2^31 */
    if (power == 0u) {
        return 0;
    }
    /* Normalize to [2^30, 2^31): the mantissa's top bits index the log2 table. */
    int16_t e = 30;
    while (power < 0x40000000uL) {
        power <<= 1;
        e--;
    }
    const uint16_t index = (uint16_t)((power >> (30 - TP_DSP_LOG2_TABLE_BITS)) & ((1u << TP_DSP_LOG2_TABLE_BITS) - 1u));
    const uint16_t frac = (uint16_t)((power >> (30 - TP_DSP_LOG2_TABLE_BITS - 8)) & 0xFFu);
    const int32_t step = (int32_t)tp_dsp_log2_q12[index + 1] - (int32_t)tp_dsp_log2_q12[index];
    const int32_t log2_q12 = ((int32_t)(e + log_base) << TP_DSP_LOG_FRAC) + tp_dsp_log2_q12[index]
                             + ((step * (int32_t)frac) >> 8);
    const int32_t d = log2_q12 - TP_DSP_OFFSET_Q12;
    if (d <= 0) {
        return 0;
    }
    if (d >= TP_DSP_DMAX_Q12) {
        return 32767;
    }
    return saturate16((d * TP_DSP_GAIN_Q) >> TP_DSP_GAIN_SHIFT);
}

#ifdef TP_DSP_DIRECT_DFT
static void transform(const int16_t v[TP_DSP_N][2], int32_t x[TP_DSP_N][2])
{
    for (int f = 0; f < TP_DSP_N; ++f) {
        int32_t re = 0;
        int32_t im = 0;
        int k = 0;
        for (int m = 0; m < TP_DSP_N; ++m) {
            const int16_t c = tp_dsp_cos_q15[k];
            const int16_t s = tp_dsp_sin_q15[k];
            re += mul_shift(v[m][0], c) + mul_shift(v[m][1], s);
            im += mul_shift(v[m][1], c) - mul_shift(v[m][0], s);
            k += f;
            if (k >= TP_DSP_N) {
                k -= TP_DSP_N;
            }
        }
        x[f][0] = re;
        x[f][1] = im;
    }
}
#else
/* Prime-factor 20 = 4 x 5 FFT, as in tp_dsp_f32.c; five-point sums stay in int32. */
#define UNIT (1L << (15 - TP_DSP_Q15_SHIFT)) /* a product by 1.0 in q15, shifted */
static void transform(const int16_t v[TP_DSP_N][2], int32_t x[TP_DSP_N][2])
{
    static int32_t y[4][5][2]; /* static scratch: see tp_dsp_q15_push */
    for (int n1 = 0; n1 < 4; ++n1) {
        const uint8_t *idx = &tp_dsp_pfa_in[5 * n1];
        const int16_t *x0 = v[idx[0]], *x1 = v[idx[1]], *x2 = v[idx[2]], *x3 = v[idx[3]], *x4 = v[idx[4]];
        /* Pair sums need 17 bits: products are int32 * q15 and fit, |sum| * |c| < 2^31. */
        const int32_t a1r = (int32_t)x1[0] + x4[0], a1i = (int32_t)x1[1] + x4[1];
        const int32_t b1r = (int32_t)x1[0] - x4[0], b1i = (int32_t)x1[1] - x4[1];
        const int32_t a2r = (int32_t)x2[0] + x3[0], a2i = (int32_t)x2[1] + x3[1];
        const int32_t b2r = (int32_t)x2[0] - x3[0], b2i = (int32_t)x2[1] - x3[1];
        const int32_t x0r = (int32_t)x0[0] * UNIT;
        const int32_t x0i = (int32_t)x0[1] * UNIT;
        const int32_t p1r = x0r + mul_shift(a1r, TP_DSP_C1_Q15) + mul_shift(a2r, TP_DSP_C2_Q15);
        const int32_t p1i = x0i + mul_shift(a1i, TP_DSP_C1_Q15) + mul_shift(a2i, TP_DSP_C2_Q15);
        const int32_t p2r = x0r + mul_shift(a1r, TP_DSP_C2_Q15) + mul_shift(a2r, TP_DSP_C1_Q15);
        const int32_t p2i = x0i + mul_shift(a1i, TP_DSP_C2_Q15) + mul_shift(a2i, TP_DSP_C1_Q15);
        const int32_t q1r = mul_shift(b1r, TP_DSP_S1_Q15) + mul_shift(b2r, TP_DSP_S2_Q15);
        const int32_t q1i = mul_shift(b1i, TP_DSP_S1_Q15) + mul_shift(b2i, TP_DSP_S2_Q15);
        const int32_t q2r = mul_shift(b1r, TP_DSP_S2_Q15) - mul_shift(b2r, TP_DSP_S1_Q15);
        const int32_t q2i = mul_shift(b1i, TP_DSP_S2_Q15) - mul_shift(b2i, TP_DSP_S1_Q15);
        y[n1][0][0] = x0r + (a1r + a2r) * UNIT;
        y[n1][0][1] = x0i + (a1i + a2i) * UNIT;
        y[n1][1][0] = p1r + q1i;
        y[n1][1][1] = p1i - q1r;
        y[n1][4][0] = p1r - q1i;
        y[n1][4][1] = p1i + q1r;
        y[n1][2][0] = p2r + q2i;
        y[n1][2][1] = p2i - q2r;
        y[n1][3][0] = p2r - q2i;
        y[n1][3][1] = p2i + q2r;
    }
    for (int k2 = 0; k2 < 5; ++k2) {
        const int32_t *u0 = y[0][k2], *u1 = y[1][k2], *u2 = y[2][k2], *u3 = y[3][k2];
        const int32_t s02r = u0[0] + u2[0], s02i = u0[1] + u2[1], d02r = u0[0] - u2[0], d02i = u0[1] - u2[1];
        const int32_t s13r = u1[0] + u3[0], s13i = u1[1] + u3[1], d13r = u1[0] - u3[0], d13i = u1[1] - u3[1];
        int32_t *out = x[tp_dsp_pfa_freq[k2]];
        out[0] = s02r + s13r;
        out[1] = s02i + s13i;
        out = x[tp_dsp_pfa_freq[5 + k2]];
        out[0] = d02r + d13i;
        out[1] = d02i - d13r;
        out = x[tp_dsp_pfa_freq[10 + k2]];
        out[0] = s02r - s13r;
        out[1] = s02i - s13i;
        out = x[tp_dsp_pfa_freq[15 + k2]];
        out[0] = d02r - d13i;
        out[1] = d02i + d13r;
    }
}
#endif

int tp_dsp_q15_push(tp_dsp_q15_state *state, const int16_t *iq, int16_t frame[TP_DSP_BINS][TP_DSP_N])
{
    int16_t (*slot)[2] = state->ring[state->head];
    for (int b = 0; b < TP_DSP_BINS; ++b) {
        int32_t re = 0;
        int32_t im = 0;
        for (uint16_t d = tp_dsp_edges[b]; d < tp_dsp_edges[b + 1]; ++d) {
            re += iq[2 * d];
            im += iq[2 * d + 1];
        }
        const int16_t count = (int16_t)(tp_dsp_edges[b + 1] - tp_dsp_edges[b]);
        slot[b][0] = saturate16(div_round(re * (1L << TP_DSP_Q15_FRAC), count));
        slot[b][1] = saturate16(div_round(im * (1L << TP_DSP_Q15_FRAC), count));
    }
    state->head = (uint16_t)(state->head + 1u == TP_DSP_N ? 0u : state->head + 1u);
    if (state->count < TP_DSP_N) {
        state->count++;
    }
    if (state->count < TP_DSP_N) {
        return 0;
    }
    for (int b = 0; b < TP_DSP_BINS; ++b) {
        int32_t sum_re = 0;
        int32_t sum_im = 0;
        int16_t v[TP_DSP_N][2];
        int slot_index = state->head;
        for (int m = 0; m < TP_DSP_N; ++m) {
            const int32_t w = (int32_t)tp_dsp_window_q15[m];
            const int16_t *y = state->ring[slot_index][b];
            sum_re += y[0];
            sum_im += y[1];
            v[m][0] = saturate16((y[0] * w + 0x4000L) >> 15);
            v[m][1] = saturate16((y[1] * w + 0x4000L) >> 15);
            slot_index = slot_index + 1 == TP_DSP_N ? 0 : slot_index + 1;
        }
        /* Static scratch (160 B here, 160 B in the 4x5 FFT): on the stack, the push needed about
         * 510 B, all of the MSP430FR6989 board's 512 B stack reserve. So the q15 push is not
         * reentrant: one preprocessing instance runs at a time, as on the device. */
        static int32_t x[TP_DSP_N][2];
        transform((const int16_t(*)[2])v, x);
        /* Mean removal after the transform, exactly: subtracting the mean before windowing
         * changes only the bins where the periodic Hann's own DFT is non-zero (0 and +-1), by
         * sum * W[k] / N, which is an integer multiple of the sum here. Rounding the mean
         * before the transform instead would leak its rounding error into those bins. */
        x[0][0] -= sum_re * TP_DSP_MEAN_CORR0;
        x[0][1] -= sum_im * TP_DSP_MEAN_CORR0;
        x[1][0] -= sum_re * TP_DSP_MEAN_CORR1;
        x[1][1] -= sum_im * TP_DSP_MEAN_CORR1;
        x[TP_DSP_N - 1][0] -= sum_re * TP_DSP_MEAN_CORR1;
        x[TP_DSP_N - 1][1] -= sum_im * TP_DSP_MEAN_CORR1;
        for (int k = 0; k < TP_DSP_N; ++k) {
            frame[b][tp_dsp_shift_col[k]] = scale(x[k][0], x[k][1]);
        }
    }
    return 1;
}
