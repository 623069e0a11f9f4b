/* Fixed-point radar preprocessing for 16-bit targets (MSP430); see tp_dsp.h and docs/radar.md.
 *
 * Arithmetic (every constant comes from sdk/radar/dsp_tables.py, which also proves that no sum
 * below can overflow int32 for any int16 ring content):
 *   - the ring holds depth means in raw units * 2^TP_DSP_Q15_FRAC, rounded half away from zero;
 *   - every product is int16 ring value x int16 constant -> int32, the window folded into the
 *     transform's constants (no rounded windowed copy), summed in int32: the 16 x 16 multiply
 *     and multiply-accumulate of the MSP430's hardware multiplier;
 *   - the mean over the window is removed after the transform, exactly (bins 0 and +-1);
 *   - log2 of the power from the int32 results: leading bits by a byte table, normalization by
 *     multiplying with a power of two, a 32-segment interpolated table, all 16 x 16 products.
 * No division and no shift by a variable amount (the MSP430 shifts one bit per instruction and
 * divides in software).
 *
 * With TP_DSP_HWMULT_HEADER defined (boards/msp430fr6989/board.json names its board header)
 * the products go straight to the memory-mapped multiplier (TP_MPY, TP_MPYS, TP_MAC, TP_MACS,
 * TP_OP2, TP_RESLO, TP_RESHI); otherwise they are plain C. Both compute the same integers, so
 * the host build and the MSP430 build give identical frames. The multiplier is not saved: an
 * interrupt handler that multiplies while tp_dsp_q15_push runs must save and restore it (as
 * for the compiler's multiply helpers). Right shifts of negative values are arithmetic on every
 * compiler we support (gcc, clang).
 */
#define TP_DSP_TABLES_Q15
#include "tp_dsp.h"

#ifdef TP_DSP_HWMULT_HEADER
#include TP_DSP_HWMULT_HEADER
#endif

/* ---- 16 x 16 products ---------------------------------------------------------------- */

#ifdef TP_DSP_HWMULT_HEADER
static uint32_t result32(void)
{
    const uint16_t lo = TP_RESLO;
    return ((uint32_t)TP_RESHI << 16) | lo;
}
static uint16_t umul_lo(uint16_t a, uint16_t b)
{
    TP_MPY = a;
    TP_OP2 = b;
    return TP_RESLO;
}
static uint16_t umul_hi(uint16_t a, uint16_t b)
{
    TP_MPY = a;
    TP_OP2 = b;
    return TP_RESHI;
}
/* a*a + b*b */
static uint32_t usquares(uint16_t a, uint16_t b)
{
    TP_MPY = a;
    TP_OP2 = a;
    TP_MAC = b;
    TP_OP2 = b;
    return result32();
}
/* sum of k[i] * x[2 i] for i < 5 (x: one part of interleaved complex values) */
static int32_t dot5(const int16_t *k, const int16_t *x)
{
    TP_MPYS = (uint16_t)x[0];
    TP_OP2 = (uint16_t)k[0];
    TP_MACS = (uint16_t)x[2];
    TP_OP2 = (uint16_t)k[1];
    TP_MACS = (uint16_t)x[4];
    TP_OP2 = (uint16_t)k[2];
    TP_MACS = (uint16_t)x[6];
    TP_OP2 = (uint16_t)k[3];
    TP_MACS = (uint16_t)x[8];
    TP_OP2 = (uint16_t)k[4];
    return (int32_t)result32();
}
#ifndef TP_DSP_DIRECT_DFT
/* the same for i = 1..4 (k[0] is 0) */
static int32_t dot4(const int16_t *k, const int16_t *x)
{
    TP_MPYS = (uint16_t)x[2];
    TP_OP2 = (uint16_t)k[1];
    TP_MACS = (uint16_t)x[4];
    TP_OP2 = (uint16_t)k[2];
    TP_MACS = (uint16_t)x[6];
    TP_OP2 = (uint16_t)k[3];
    TP_MACS = (uint16_t)x[8];
    TP_OP2 = (uint16_t)k[4];
    return (int32_t)result32();
}
#endif
#else
static uint16_t umul_lo(uint16_t a, uint16_t b)
{
    return (uint16_t)((uint32_t)a * b);
}
static uint16_t umul_hi(uint16_t a, uint16_t b)
{
    return (uint16_t)(((uint32_t)a * b) >> 16);
}
static uint32_t usquares(uint16_t a, uint16_t b)
{
    return (uint32_t)a * a + (uint32_t)b * b;
}
static int32_t dot5(const int16_t *k, const int16_t *x)
{
    return (int32_t)x[0] * k[0] + (int32_t)x[2] * k[1] + (int32_t)x[4] * k[2] + (int32_t)x[6] * k[3]
           + (int32_t)x[8] * k[4];
}
#ifndef TP_DSP_DIRECT_DFT
static int32_t dot4(const int16_t *k, const int16_t *x)
{
    return (int32_t)x[2] * k[1] + (int32_t)x[4] * k[2] + (int32_t)x[6] * k[3] + (int32_t)x[8] * k[4];
}
#endif
#endif

/* ---- depth means ----------------------------------------------------------------------- */

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

#ifdef TP_DSP_COUNT_LOG2
static int16_t saturate16(int32_t x)
{
    return (int16_t)(x > 32767L ? 32767L : (x < -32768L ? -32768L : x));
}
#endif

/* round(sum * 2^FRAC / count), halves away from zero, saturated to int16. The sum arrives as
 * `biased`, the sum of (sample + 32768) over count samples (no sign extension needed). */
static int16_t depth_mean(uint32_t biased, uint16_t count)
{
    const int32_t s = (int32_t)(biased - ((uint32_t)count << 15));
#if defined(TP_DSP_COUNT_LOG2) && TP_DSP_COUNT_LOG2 <= TP_DSP_Q15_FRAC
    (void)count; /* a power of two no larger than 2^FRAC: the mean is exact */
    return saturate16(s * (1L << (TP_DSP_Q15_FRAC - TP_DSP_COUNT_LOG2)));
#elif defined(TP_DSP_COUNT_LOG2)
    (void)count;
    const uint32_t a = s < 0 ? 0u - (uint32_t)s : (uint32_t)s;
    const uint32_t q = (a + (1uL << (TP_DSP_COUNT_LOG2 - TP_DSP_Q15_FRAC - 1))) >> (TP_DSP_COUNT_LOG2 - TP_DSP_Q15_FRAC);
    return saturate16(s < 0 ? -(int32_t)q : (int32_t)q);
#else
    /* q = (|s| * 2^FRAC + count / 2) / count by 15 steps of restoring division: quotients of
     * 2^15 and more saturate anyway. */
    uint32_t a = ((s < 0 ? 0u - (uint32_t)s : (uint32_t)s) << TP_DSP_Q15_FRAC) + (count >> 1);
    uint32_t d = (uint32_t)count << 15;
    uint16_t q = 0;
    if (a >= d) {
        return s < 0 ? -32768 : 32767;
    }
    for (int i = 0; i < 15; ++i) {
        d >>= 1;
        q = (uint16_t)(q << 1);
        if (a >= d) {
            a -= d;
            q |= 1u;
        }
    }
    return (int16_t)(s < 0 ? -(int16_t)q : (int16_t)q);
#endif
}

/* ---- log scaling ----------------------------------------------------------------------- */

/* Output in q15 of the fixed log scaling of re^2 + im^2 (|re|, |im| < 2^31). */
static int16_t scale(int32_t re, int32_t im)
{
    const uint32_t ar = re < 0 ? 0u - (uint32_t)re : (uint32_t)re;
    const uint32_t ai = im < 0 ? 0u - (uint32_t)im : (uint32_t)im;
    const uint16_t hi = (uint16_t)((ar | ai) >> 16);
    if (hi < TP_DSP_LOG_HI_ZERO) {
        return 0;
    }
    if (hi >= TP_DSP_LOG_HI_FULL) {
        return 32767;
    }
    /* Shift both right by s = bitlen(hi) + 1, so the larger lies in [2^14, 2^15): x >> s is
     * hi(x) * 2^(16-s) + the high word of lo(x) * 2^(16-s). */
    const uint16_t top = (uint16_t)(hi >> 8);
    const uint16_t bl = top != 0u ? (uint16_t)(8u + tp_dsp_bitlen8[top]) : tp_dsp_bitlen8[hi];
    const uint16_t q = tp_dsp_norm_q[bl];
    const uint16_t xr = (uint16_t)(umul_lo((uint16_t)(ar >> 16), q) + umul_hi((uint16_t)ar, q));
    const uint16_t xi = (uint16_t)(umul_lo((uint16_t)(ai >> 16), q) + umul_hi((uint16_t)ai, q));
    /* power in [2^28, 2^31): its leading bit e, then the 13 bits below it (t in [2^13, 2^14)). */
    const uint32_t power = usquares(xr, xi);
    const uint16_t ph = (uint16_t)(power >> 16);
    uint16_t t;
    uint16_t e;
    if (ph >= 0x4000u) {
        e = 30;
        t = (uint16_t)(ph >> 1);
    } else if (ph >= 0x2000u) {
        e = 29;
        t = ph;
    } else {
        e = 28;
        t = (uint16_t)((uint16_t)(ph << 1) | (uint16_t)((uint16_t)power >> 15));
    }
    const uint16_t index = (uint16_t)((t >> 8) - (1u << TP_DSP_LOG2_TABLE_BITS));
    const uint16_t base = tp_dsp_log2_q12[index];
    const uint16_t step = (uint16_t)(tp_dsp_log2_q12[index + 1u] - base);
    const uint16_t mant = (uint16_t)(base + (umul_lo(step, (uint16_t)(t & 0xFFu)) >> 8));
    /* log2(|X|^2) in Q12 = (e + 2 s) * 4096 + mant */
    const int32_t d = (int32_t)(((uint32_t)(e + 2u * bl + 2u) << TP_DSP_LOG_FRAC) + mant) - TP_DSP_OFFSET_Q12;
    if (d <= 0) {
        return 0;
    }
    if (d >= TP_DSP_DMAX_Q12) {
        return 32767;
    }
    /* (d * GAIN) >> 16 with d < 2^17 */
    return (int16_t)(((uint32_t)d >> 16 != 0u ? TP_DSP_GAIN_Q16 : 0u) + umul_hi((uint16_t)d, TP_DSP_GAIN_Q16));
}

/* ---- the push ------------------------------------------------------------------------- */

int tp_dsp_q15_push(tp_dsp_q15_state *state, const int16_t *iq, int16_t frame[TP_DSP_BINS][TP_DSP_N])
{
    int16_t (*slot)[2] = state->ring[state->head];
    for (int b = 0; b < TP_DSP_BINS; ++b) {
        const uint16_t first = tp_dsp_edges[b];
        const uint16_t count = (uint16_t)(tp_dsp_edges[b + 1] - first);
        const int16_t *in = &iq[2u * first];
        uint32_t re = 0;
        uint32_t im = 0;
        for (uint16_t d = 0; d < count; ++d) {
            re += (uint16_t)((uint16_t)in[0] ^ 0x8000u);
            im += (uint16_t)((uint16_t)in[1] ^ 0x8000u);
            in += 2;
        }
        slot[b][0] = depth_mean(re, count);
        slot[b][1] = depth_mean(im, count);
    }
    state->head = (uint16_t)(state->head + 1u == TP_DSP_N ? 0u : state->head + 1u);
    if (state->count < TP_DSP_N) {
        state->count++;
    }
    if (state->count < TP_DSP_N) {
        return 0;
    }

    /* The window's sweeps, oldest first (direct DFT) or in the FFT's input order. */
    const int16_t *rows[TP_DSP_N];
    for (uint16_t i = 0; i < TP_DSP_N; ++i) {
#ifdef TP_DSP_DIRECT_DFT
        uint16_t m = (uint16_t)(state->head + i);
#else
        uint16_t m = (uint16_t)(state->head + tp_dsp_pfa_in[i]);
#endif
        rows[i] = &state->ring[m >= TP_DSP_N ? m - TP_DSP_N : m][0][0];
    }
    /* Static scratch (80 + 160 B): on the stack the push would need most of the MSP430FR6989
     * board's 512 B stack reserve. So the q15 push is not reentrant: one preprocessing instance
     * runs at a time, as on the device. */
    static int16_t u[TP_DSP_N][2];
    static int32_t x[TP_DSP_N][2];
    for (int b = 0; b < TP_DSP_BINS; ++b) {
#ifdef TP_DSP_DIRECT_DFT
        for (uint16_t i = 0; i < TP_DSP_N; ++i) {
            const int16_t *y = rows[i] + 2 * b;
            u[i][0] = y[0];
            u[i][1] = y[1];
        }
        /* x[f] = sum_m (C + i S)[f][m]... as generated: re = C y_re + S y_im, im = C y_im - S y_re;
         * the mean removal is folded into C. */
        for (int f = 0; f < TP_DSP_N; ++f) {
            const int16_t *c = &tp_dsp_dft_cos_q12[f * TP_DSP_N];
            const int16_t *s = &tp_dsp_dft_sin_q12[f * TP_DSP_N];
            int32_t re = 0;
            int32_t im = 0;
            for (int m = 0; m < TP_DSP_N; m += 5) {
                re += dot5(&c[m], &u[m][0]) + dot5(&s[m], &u[m][1]);
                im += dot5(&c[m], &u[m][1]) - dot5(&s[m], &u[m][0]);
            }
            x[f][0] = re;
            x[f][1] = im;
        }
        for (int f = 0; f < TP_DSP_N; ++f) {
            frame[b][tp_dsp_shift_col[f]] = scale(x[f][0], x[f][1]);
        }
#else
        uint32_t sum_re = 0; /* sums of (value + 32768), for the mean */
        uint32_t sum_im = 0;
        for (uint16_t i = 0; i < TP_DSP_N; ++i) {
            const int16_t *y = rows[i] + 2 * b;
            u[i][0] = y[0];
            u[i][1] = y[1];
            sum_re += (uint16_t)((uint16_t)y[0] ^ 0x8000u);
            sum_im += (uint16_t)((uint16_t)y[1] ^ 0x8000u);
        }
        const int32_t s_re = (int32_t)(sum_re - ((uint32_t)TP_DSP_N << 15));
        const int32_t s_im = (int32_t)(sum_im - ((uint32_t)TP_DSP_N << 15));
        /* Prime-factor 20 = 4 x 5 FFT: four five-point DFTs of Q14 products, >> SHIFT ... */
        for (int n1 = 0; n1 < 4; ++n1) {
            const int16_t *k = &tp_dsp_pfa_q14[25 * n1];
            const int16_t *v = &u[5 * n1][0];
            int32_t(*y)[2] = &x[5 * n1];
            y[0][0] = dot5(&k[0], &v[0]) >> TP_DSP_Q15_SHIFT;
            y[0][1] = dot5(&k[0], &v[1]) >> TP_DSP_Q15_SHIFT;
            const int32_t p1r = dot5(&k[5], &v[0]), p1i = dot5(&k[5], &v[1]);
            const int32_t q1r = dot4(&k[15], &v[0]), q1i = dot4(&k[15], &v[1]);
            y[1][0] = (p1r + q1i) >> TP_DSP_Q15_SHIFT;
            y[1][1] = (p1i - q1r) >> TP_DSP_Q15_SHIFT;
            y[4][0] = (p1r - q1i) >> TP_DSP_Q15_SHIFT;
            y[4][1] = (p1i + q1r) >> TP_DSP_Q15_SHIFT;
            const int32_t p2r = dot5(&k[10], &v[0]), p2i = dot5(&k[10], &v[1]);
            const int32_t q2r = dot4(&k[20], &v[0]), q2i = dot4(&k[20], &v[1]);
            y[2][0] = (p2r + q2i) >> TP_DSP_Q15_SHIFT;
            y[2][1] = (p2i - q2r) >> TP_DSP_Q15_SHIFT;
            y[3][0] = (p2r - q2i) >> TP_DSP_Q15_SHIFT;
            y[3][1] = (p2i + q2r) >> TP_DSP_Q15_SHIFT;
        }
        /* ... then five four-point DFTs (adds only), in place: output (k1, k2) at 5 k1 + k2. */
        for (int k2 = 0; k2 < 5; ++k2) {
            int32_t *u0 = x[k2], *u1 = x[5 + k2], *u2 = x[10 + k2], *u3 = x[15 + k2];
            const int32_t s02r = u0[0] + u2[0], s02i = u0[1] + u2[1], d02r = u0[0] - u2[0], d02i = u0[1] - u2[1];
            const int32_t s13r = u1[0] + u3[0], s13i = u1[1] + u3[1], d13r = u1[0] - u3[0], d13i = u1[1] - u3[1];
            u0[0] = s02r + s13r;
            u0[1] = s02i + s13i;
            u1[0] = d02r + d13i;
            u1[1] = d02i - d13r;
            u2[0] = s02r - s13r;
            u2[1] = s02i - s13i;
            u3[0] = d02r - d13i;
            u3[1] = d02i + d13r;
        }
        /* Mean removal after the transform, exactly: subtracting the mean before windowing
         * changes only the bins where the periodic Hann's own DFT is non-zero (0 and +-1), by
         * sum * W[k] / N, an integer multiple of the sum here. Rounding the mean before the
         * transform instead would leak its rounding error into those bins. */
        x[0][0] += s_re * TP_DSP_MEAN_CORR0;
        x[0][1] += s_im * TP_DSP_MEAN_CORR0;
        x[TP_DSP_PFA_POS1][0] += s_re * TP_DSP_MEAN_CORR1;
        x[TP_DSP_PFA_POS1][1] += s_im * TP_DSP_MEAN_CORR1;
        x[TP_DSP_PFA_POSM1][0] += s_re * TP_DSP_MEAN_CORR1;
        x[TP_DSP_PFA_POSM1][1] += s_im * TP_DSP_MEAN_CORR1;
        for (int i = 0; i < TP_DSP_N; ++i) {
            frame[b][tp_dsp_pfa_col[i]] = scale(x[i][0], x[i][1]);
        }
#endif
    }
    return 1;
}
