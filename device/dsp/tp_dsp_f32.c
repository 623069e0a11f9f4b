/* Float radar preprocessing for the Cortex-M7 (single-precision FPU); see tp_dsp.h. */
#define TP_DSP_TABLES_F32
#include "tp_dsp.h"

void tp_dsp_f32_init(tp_dsp_f32_state *state)
{
    for (int m = 0; m < TP_DSP_N; ++m) {
        for (int b = 0; b < TP_DSP_BINS; ++b) {
            state->ring[m][b][0] = 0.0f;
            state->ring[m][b][1] = 0.0f;
        }
    }
    state->head = 0;
    state->count = 0;
#if TP_DSP_HOP > 1
    state->since = 0;
#endif
}

/* log2 for normal x > 0 from the IEEE-754 exponent and a polynomial of the mantissa (no libm:
 * the polynomial is generated with the tables, and cheaper than logf). Type punning through a
 * union is defined in C99 (TC3). */
static float fast_log2(float x)
{
    union {
        float f;
        uint32_t u;
    } pun;
    pun.f = x;
    const int32_t exponent = (int32_t)((pun.u >> 23) & 0xFFu) - 127;
    pun.u = (pun.u & 0x007FFFFFuL) | 0x3F800000uL;
    const float t = pun.f - 1.0f;
    float p = tp_dsp_log2_poly_f32[4];
    p = p * t + tp_dsp_log2_poly_f32[3];
    p = p * t + tp_dsp_log2_poly_f32[2];
    p = p * t + tp_dsp_log2_poly_f32[1];
    p = p * t + tp_dsp_log2_poly_f32[0];
    return (float)exponent + p * t;
}

static float scale(float power)
{
    /* Powers too small for a normal float are far below the floor: their output is 0. */
    if (power < 1e-30f) {
        return 0.0f;
    }
    const float out = TP_DSP_GAIN_F32 * fast_log2(power) + TP_DSP_OFFSET_F32;
    return out < 0.0f ? 0.0f : (out > 1.0f ? 1.0f : out);
}

#ifdef TP_DSP_STANDARDIZE
/* Step 6: (v - mean) / std of depth row b, clipped to +-TP_DSP_STD_CLIP_F32 (a product with the
 * tabled reciprocal: no division on the device). */
static void standardize(float *row, int b)
{
    const float mean = tp_dsp_row_mean_f32[b];
    const float inv_std = tp_dsp_row_inv_std_f32[b];
    for (int c = 0; c < TP_DSP_N; ++c) {
        const float v = (row[c] - mean) * inv_std;
        row[c] = v < -TP_DSP_STD_CLIP_F32 ? -TP_DSP_STD_CLIP_F32
                                          : (v > TP_DSP_STD_CLIP_F32 ? TP_DSP_STD_CLIP_F32 : v);
    }
}
#endif

#ifdef TP_DSP_DIRECT_DFT
/* Direct 20-point DFT: 400 complex multiplies per depth; kept to measure against the FFT. */
static void transform(const float v[TP_DSP_N][2], float *row)
{
    for (int f = 0; f < TP_DSP_N; ++f) {
        float re = 0.0f;
        float im = 0.0f;
        int k = 0;
        for (int m = 0; m < TP_DSP_N; ++m) {
            const float c = tp_dsp_cos_f32[k];
            const float s = tp_dsp_sin_f32[k];
            re += v[m][0] * c + v[m][1] * s;
            im += v[m][1] * c - v[m][0] * s;
            k += f;
            if (k >= TP_DSP_N) {
                k -= TP_DSP_N;
            }
        }
        row[tp_dsp_shift_col[f]] = scale(re * re + im * im);
    }
}
#else
/* Prime-factor (Good-Thomas) 20 = 4 x 5 FFT: no twiddles between the stages, 4 five-point
 * DFTs with 16 real multiplies each, then 5 four-point DFTs that only add. */
static void transform(const float v[TP_DSP_N][2], float *row)
{
    float y[4][5][2];
    for (int n1 = 0; n1 < 4; ++n1) {
        const uint8_t *idx = &tp_dsp_pfa_in[5 * n1];
        const float *x0 = v[idx[0]], *x1 = v[idx[1]], *x2 = v[idx[2]], *x3 = v[idx[3]], *x4 = v[idx[4]];
        const float a1r = x1[0] + x4[0], a1i = x1[1] + x4[1], b1r = x1[0] - x4[0], b1i = x1[1] - x4[1];
        const float a2r = x2[0] + x3[0], a2i = x2[1] + x3[1], b2r = x2[0] - x3[0], b2i = x2[1] - x3[1];
        const float p1r = x0[0] + TP_DSP_C1_F32 * a1r + TP_DSP_C2_F32 * a2r;
        const float p1i = x0[1] + TP_DSP_C1_F32 * a1i + TP_DSP_C2_F32 * a2i;
        const float p2r = x0[0] + TP_DSP_C2_F32 * a1r + TP_DSP_C1_F32 * a2r;
        const float p2i = x0[1] + TP_DSP_C2_F32 * a1i + TP_DSP_C1_F32 * a2i;
        const float q1r = TP_DSP_S1_F32 * b1r + TP_DSP_S2_F32 * b2r;
        const float q1i = TP_DSP_S1_F32 * b1i + TP_DSP_S2_F32 * b2i;
        const float q2r = TP_DSP_S2_F32 * b1r - TP_DSP_S1_F32 * b2r;
        const float q2i = TP_DSP_S2_F32 * b1i - TP_DSP_S1_F32 * b2i;
        /* X[k] = p - j q for k = 1, 2 and p + j q for k = 4, 3. */
        y[n1][0][0] = x0[0] + a1r + a2r;
        y[n1][0][1] = x0[1] + a1i + a2i;
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
        const float *u0 = y[0][k2], *u1 = y[1][k2], *u2 = y[2][k2], *u3 = y[3][k2];
        const float s02r = u0[0] + u2[0], s02i = u0[1] + u2[1], d02r = u0[0] - u2[0], d02i = u0[1] - u2[1];
        const float s13r = u1[0] + u3[0], s13i = u1[1] + u3[1], d13r = u1[0] - u3[0], d13i = u1[1] - u3[1];
        const float out[4][2] = {
            {s02r + s13r, s02i + s13i},
            {d02r + d13i, d02i - d13r}, /* d02 - j d13 */
            {s02r - s13r, s02i - s13i},
            {d02r - d13i, d02i + d13r}, /* d02 + j d13 */
        };
        for (int k1 = 0; k1 < 4; ++k1) {
            row[tp_dsp_pfa_col[5 * k1 + k2]] = scale(out[k1][0] * out[k1][0] + out[k1][1] * out[k1][1]);
        }
    }
}
#endif

int tp_dsp_f32_push(tp_dsp_f32_state *state, const float *iq, float frame[TP_DSP_BINS][TP_DSP_N])
{
    float (*slot)[2] = state->ring[state->head];
    for (int b = 0; b < TP_DSP_BINS; ++b) {
        float re = 0.0f;
        float im = 0.0f;
        for (uint16_t d = tp_dsp_edges[b]; d < tp_dsp_edges[b + 1]; ++d) {
            re += iq[2 * d];
            im += iq[2 * d + 1];
        }
        slot[b][0] = re * tp_dsp_inv_count_f32[b];
        slot[b][1] = im * tp_dsp_inv_count_f32[b];
    }
    state->head = (uint16_t)(state->head + 1u == TP_DSP_N ? 0u : state->head + 1u);
    if (state->count < TP_DSP_N) {
        state->count++;
    }
    if (state->count < TP_DSP_N) {
        return 0;
    }
#if TP_DSP_HOP > 1
    /* A frame every TP_DSP_HOP sweeps once the window is full; since counts the sweeps after
     * the last frame. */
    const uint16_t since = state->since;
    state->since = (uint16_t)(since + 1u == TP_DSP_HOP ? 0u : since + 1u);
    if (since != 0u) {
        return 0;
    }
#endif
    for (int b = 0; b < TP_DSP_BINS; ++b) {
        float mean_re = 0.0f;
        float mean_im = 0.0f;
        for (int m = 0; m < TP_DSP_N; ++m) {
            mean_re += state->ring[m][b][0];
            mean_im += state->ring[m][b][1];
        }
        mean_re *= 1.0f / TP_DSP_N;
        mean_im *= 1.0f / TP_DSP_N;
        /* v[m] is the m-th oldest sweep: the ring's oldest slot is head. */
        float v[TP_DSP_N][2];
        int slot_index = state->head;
        for (int m = 0; m < TP_DSP_N; ++m) {
            v[m][0] = (state->ring[slot_index][b][0] - mean_re) * tp_dsp_window_f32[m];
            v[m][1] = (state->ring[slot_index][b][1] - mean_im) * tp_dsp_window_f32[m];
            slot_index = slot_index + 1 == TP_DSP_N ? 0 : slot_index + 1;
        }
        transform((const float(*)[2])v, frame[b]);
#ifdef TP_DSP_STANDARDIZE
        standardize(frame[b], b);
#endif
    }
    return 1;
}
