/* Fixed-point radar preprocessing for 16-bit targets (MSP430); see tp_dsp.h and docs/radar.md.
 *
 * Arithmetic (every constant comes from sdk/radar/dsp_tables.py, which also proves that no sum
 * below can overflow int32 for any int16 ring content):
 *   - the ring holds depth means in raw units * 2^TP_DSP_Q15_FRAC, rounded half away from zero;
 *   - every product is an int16 ring value times an int16 constant into int32, with the window
 *     folded into the transform's constants (no rounded windowed copy), summed in int32: the
 *     16 x 16 multiply-accumulate of the MSP430's hardware multiplier;
 *   - the mean over the window is removed after the transform, exactly (bins 0 and +-1);
 *   - log2 of the power from the int32 results: leading bits by a byte table, normalization by
 *     a product with a power of two, a 32-segment interpolated table, all 16 x 16 products.
 * No division and no shift by a variable amount (the MSP430 shifts one bit per instruction and
 * divides in software).
 *
 * With TP_DSP_HWMULT_HEADER defined (boards/msp430fr6989/board.json names its board header)
 * the products go straight to the memory-mapped multiplier (TP_MPY, TP_MPYS, TP_MAC, TP_MACS,
 * TP_OP2, TP_RESLO, TP_RESHI); otherwise they are plain C. On the MSP430 the 32-bit additions
 * and shifts of the FFT are two-instruction assembly (add/addc; clang-14 does not use the
 * carry). All variants compute the same integers, so the host build and the MSP430 build give
 * identical frames. The multiplier is not saved: an interrupt handler that multiplies while
 * tp_dsp_q15_push runs must save and restore it (as for the compiler's multiply helpers).
 * Right shifts of negative values are arithmetic on every compiler we support (gcc, clang).
 */
#define TP_DSP_TABLES_Q15
#include "tp_dsp.h"

#ifdef TP_DSP_HWMULT_HEADER
#include TP_DSP_HWMULT_HEADER
#endif

#if TP_DSP_N != 20
#error "tp_dsp_q15.c implements N = 20 sweeps (4 x 5; sdk/radar/dsp_tables.py refuses others)"
#endif

#if defined(__GNUC__)
#define TP_INLINE static inline __attribute__((always_inline))
#else
#define TP_INLINE static inline
#endif

/* ---- 32-bit additions and shifts ------------------------------------------------------- */

#if defined(__MSP430__)
#define W_LO(v) ((uint16_t)(uint32_t)(v))
#define W_HI(v) ((uint16_t)((uint32_t)(v) >> 16))
#define W_JOIN(hi, lo) ((int32_t)(((uint32_t)(hi) << 16) | (lo)))
TP_INLINE int32_t add32(int32_t a, int32_t b)
{
    uint16_t lo = W_LO(a), hi = W_HI(a);
    __asm__("add %2, %0\n\taddc %3, %1" : "+r"(lo), "+r"(hi) : "r"(W_LO(b)), "r"(W_HI(b)));
    return W_JOIN(hi, lo);
}
TP_INLINE int32_t sub32(int32_t a, int32_t b)
{
    uint16_t lo = W_LO(a), hi = W_HI(a);
    __asm__("sub %2, %0\n\tsubc %3, %1" : "+r"(lo), "+r"(hi) : "r"(W_LO(b)), "r"(W_HI(b)));
    return W_JOIN(hi, lo);
}
TP_INLINE uint16_t high_byte(uint16_t v)
{
    __asm__("swpb %0\n\tmov.b %0, %0" : "+r"(v));
    return v;
}
#if !defined(TP_DSP_DIRECT_DFT) && TP_DSP_Q15_SHIFT == 2
#define TP_DSP_SHIFT_ASM
/* a >> TP_DSP_Q15_SHIFT (= 2), arithmetic */
TP_INLINE int32_t shift_down(int32_t a)
{
    uint16_t lo = W_LO(a), hi = W_HI(a);
    __asm__("rra %1\n\trrc %0\n\trra %1\n\trrc %0" : "+r"(lo), "+r"(hi));
    return W_JOIN(hi, lo);
}
#endif
#else
TP_INLINE int32_t add32(int32_t a, int32_t b)
{
    return a + b;
}
TP_INLINE int32_t sub32(int32_t a, int32_t b)
{
    return a - b;
}
TP_INLINE uint16_t high_byte(uint16_t v)
{
    return (uint16_t)(v >> 8);
}
#endif
#if !defined(TP_DSP_DIRECT_DFT) && !defined(TP_DSP_SHIFT_ASM)
TP_INLINE int32_t shift_down(int32_t a)
{
    return a >> TP_DSP_Q15_SHIFT;
}
#endif

/* ---- 16 x 16 products ---------------------------------------------------------------- */

#ifdef TP_DSP_HWMULT_HEADER
TP_INLINE uint32_t result32(void)
{
    const uint16_t lo = TP_RESLO;
    return ((uint32_t)TP_RESHI << 16) | lo;
}
TP_INLINE uint16_t umul_hi(uint16_t a, uint16_t b)
{
    TP_MPY = a;
    TP_OP2 = b;
    return TP_RESHI;
}
/* *xr = ar * q >> 16, *xi = ai * q >> 16 (both < 2^16): hi * q + the high word of lo * q */
TP_INLINE void normalize(uint32_t ar, uint32_t ai, uint16_t q, uint16_t *xr, uint16_t *xi)
{
    TP_MPY = q;
    TP_OP2 = (uint16_t)(ar >> 16);
    uint16_t r = TP_RESLO;
    TP_OP2 = (uint16_t)ar;
    *xr = (uint16_t)(r + TP_RESHI);
    TP_OP2 = (uint16_t)(ai >> 16);
    r = TP_RESLO;
    TP_OP2 = (uint16_t)ai;
    *xi = (uint16_t)(r + TP_RESHI);
}
#ifdef TP_DSP_STANDARDIZE
TP_INLINE int32_t smul32(int16_t a, int16_t b)
{
    TP_MPYS = (uint16_t)a;
    TP_OP2 = (uint16_t)b;
    return (int32_t)result32();
}
#endif
/* a*a + b*b */
TP_INLINE uint32_t usquares(uint16_t a, uint16_t b)
{
    TP_MPY = a;
    TP_OP2 = a;
    TP_MAC = b;
    TP_OP2 = b;
    return result32();
}
/* m times the sum of n values x[0], x[stride], ... (n >= 1): operand 1 stays m, every write
 * of operand 2 accumulates. */
TP_INLINE int32_t sum_times(const int16_t *x, uint16_t n, uint16_t stride, int16_t m)
{
    TP_MPYS = (uint16_t)m;
    TP_OP2 = (uint16_t)x[0];
    TP_MACS = (uint16_t)m;
    while (--n != 0u) {
        x += stride;
        TP_OP2 = (uint16_t)x[0];
    }
    return (int32_t)result32();
}
#ifndef TP_DSP_DIRECT_DFT
/* m times the sum of the window's TP_DSP_N values x[0], x[2], ... (one part of u) */
TP_INLINE int32_t window_sum_times(const int16_t *x, int16_t m)
{
    TP_RESLO = 0u;
    TP_RESHI = 0u;
    TP_MACS = (uint16_t)m;
    for (const int16_t *end = x + 2 * TP_DSP_N; x != end; x += 10) {
        TP_OP2 = (uint16_t)x[0];
        TP_OP2 = (uint16_t)x[2];
        TP_OP2 = (uint16_t)x[4];
        TP_OP2 = (uint16_t)x[6];
        TP_OP2 = (uint16_t)x[8];
    }
    return (int32_t)result32();
}
#endif
/* sum of k[i] * x[i][part] for i < 5 */
#define DOT5(k, x, part)                                                                      \
    (TP_MPYS = (uint16_t)(x)[0][part], TP_OP2 = (uint16_t)(k)[0],                             \
     TP_MACS = (uint16_t)(x)[1][part], TP_OP2 = (uint16_t)(k)[1],                             \
     TP_MACS = (uint16_t)(x)[2][part], TP_OP2 = (uint16_t)(k)[2],                             \
     TP_MACS = (uint16_t)(x)[3][part], TP_OP2 = (uint16_t)(k)[3],                             \
     TP_MACS = (uint16_t)(x)[4][part], TP_OP2 = (uint16_t)(k)[4], (int32_t)result32())
/* the same for i = 1..4 (k[0] is 0) */
#define DOT4(k, x, part)                                                                      \
    (TP_MPYS = (uint16_t)(x)[1][part], TP_OP2 = (uint16_t)(k)[1],                             \
     TP_MACS = (uint16_t)(x)[2][part], TP_OP2 = (uint16_t)(k)[2],                             \
     TP_MACS = (uint16_t)(x)[3][part], TP_OP2 = (uint16_t)(k)[3],                             \
     TP_MACS = (uint16_t)(x)[4][part], TP_OP2 = (uint16_t)(k)[4], (int32_t)result32())
#else
TP_INLINE uint16_t umul_hi(uint16_t a, uint16_t b)
{
    return (uint16_t)(((uint32_t)a * b) >> 16);
}
TP_INLINE void normalize(uint32_t ar, uint32_t ai, uint16_t q, uint16_t *xr, uint16_t *xi)
{
    *xr = (uint16_t)((ar >> 16) * q + (((ar & 0xFFFFu) * q) >> 16));
    *xi = (uint16_t)((ai >> 16) * q + (((ai & 0xFFFFu) * q) >> 16));
}
TP_INLINE uint32_t usquares(uint16_t a, uint16_t b)
{
    return (uint32_t)a * a + (uint32_t)b * b;
}
#ifdef TP_DSP_STANDARDIZE
TP_INLINE int32_t smul32(int16_t a, int16_t b)
{
    return (int32_t)a * b;
}
#endif
TP_INLINE int32_t sum_times(const int16_t *x, uint16_t n, uint16_t stride, int16_t m)
{
    int32_t s = 0;
    for (; n != 0u; --n, x += stride) {
        s += x[0];
    }
    return s * m;
}
#ifndef TP_DSP_DIRECT_DFT
TP_INLINE int32_t window_sum_times(const int16_t *x, int16_t m)
{
    return sum_times(x, TP_DSP_N, 2, m);
}
#endif
#define DOT4(k, x, part)                                                                      \
    ((int32_t)(x)[1][part] * (k)[1] + (int32_t)(x)[2][part] * (k)[2]                          \
     + (int32_t)(x)[3][part] * (k)[3] + (int32_t)(x)[4][part] * (k)[4])
#define DOT5(k, x, part) ((int32_t)(x)[0][part] * (k)[0] + DOT4(k, x, part))
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
#if TP_DSP_HOP > 1
    state->since = 0;
#endif
}

#if defined(TP_DSP_COUNT_LOG2) || defined(TP_DSP_STANDARDIZE)
static int16_t saturate16(int32_t x)
{
    return (int16_t)(x > 32767L ? 32767L : (x < -32768L ? -32768L : x));
}
#endif


/* round(sum * 2^FRAC / count) of count >= 1 values x[0], x[2], ..., halves away from zero,
 * saturated to int16. */
static int16_t depth_mean(const int16_t *x, uint16_t count)
{
#if defined(TP_DSP_COUNT_LOG2) && TP_DSP_COUNT_LOG2 <= TP_DSP_Q15_FRAC
    /* a power of two no larger than 2^FRAC: the mean is exact */
    return saturate16(sum_times(x, count, 2, 1 << (TP_DSP_Q15_FRAC - TP_DSP_COUNT_LOG2)));
#elif defined(TP_DSP_COUNT_LOG2)
    const int32_t s = sum_times(x, count, 2, 1);
    const uint32_t a = s < 0 ? 0u - (uint32_t)s : (uint32_t)s;
    const uint32_t q = (a + (1uL << (TP_DSP_COUNT_LOG2 - TP_DSP_Q15_FRAC - 1)))
                       >> (TP_DSP_COUNT_LOG2 - TP_DSP_Q15_FRAC);
    return saturate16(s < 0 ? -(int32_t)q : (int32_t)q);
#else
    /* q = (|s| * 2^FRAC + count / 2) / count by 15 steps of restoring division: quotients of
     * 2^15 and more saturate anyway. */
    const int32_t s = sum_times(x, count, 2, 1 << TP_DSP_Q15_FRAC);
    uint32_t a = (s < 0 ? 0u - (uint32_t)s : (uint32_t)s) + (count >> 1);
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
    const uint16_t hi = (uint16_t)(ar >> 16) | (uint16_t)(ai >> 16);
    if (hi < TP_DSP_LOG_HI_ZERO) {
        return 0;
    }
    if (hi >= TP_DSP_LOG_HI_FULL) {
        return 32767;
    }
    /* Shift both right by s = bitlen(hi) + 1 (a product with 2^(16-s)), so the larger lies in
     * [2^14, 2^15). */
    const uint16_t top = high_byte(hi);
    const uint16_t bl = top != 0u ? (uint16_t)(8u + tp_dsp_bitlen8[top]) : tp_dsp_bitlen8[hi];
    uint16_t xr;
    uint16_t xi;
    normalize(ar, ai, tp_dsp_norm_q[bl], &xr, &xi);
    /* The power in [2^28, 2^31): its leading bit e and the 13 bits below it (t). Then
     * log2(|X|^2) in Q12 = (e + 2 s) * 4096 + mant with mant from the table, and the output is
     * u - U0 (see sdk/radar/dsp_tables.py). */
    const uint32_t power = usquares(xr, xi);
    const uint16_t ph = (uint16_t)(power >> 16);
    uint16_t t;
    uint16_t u = tp_dsp_log_base[bl];
    if (ph >= 0x4000u) { /* e = 30 */
        t = (uint16_t)(ph >> 1);
        u = (uint16_t)(u + 2u * TP_DSP_GAIN_LOG2);
    } else if (ph >= 0x2000u) { /* e = 29 */
        t = ph;
        u = (uint16_t)(u + TP_DSP_GAIN_LOG2);
    } else { /* e = 28: power < 2^29, so doubling it stays below 2^30 */
        t = (uint16_t)((uint32_t)add32((int32_t)power, (int32_t)power) >> 16);
    }
    const uint16_t *seg = &tp_dsp_log2_q12[high_byte(t) - (1u << TP_DSP_LOG2_TABLE_BITS)];
    /* linear interpolation: (step * frac) >> 8 is the high word of step * (frac << 8) */
    const uint16_t mant = (uint16_t)(seg[0] + umul_hi((uint16_t)(seg[1] - seg[0]), (uint16_t)(t << 8)));
    u = (uint16_t)(u + umul_hi((uint16_t)(mant + TP_DSP_LOG_R1), 16u * TP_DSP_GAIN_LOG2));
    if (u <= TP_DSP_LOG_U0) {
        return 0;
    }
    u = (uint16_t)(u - TP_DSP_LOG_U0);
    return (int16_t)(u >= 32767u ? 32767u : u);
}

/* ---- standardization (step 6) ---------------------------------------------------------- */

#ifdef TP_DSP_STANDARDIZE
/* Depth row b in place: (v - MEAN[b]) * GAIN[b] >> STD_SHIFT, saturated. Input q15 in [0, 1);
 * output q15 of the standardized value / TP_DSP_STD_CLIP (sdk/radar/dsp_tables.py). */
static void standardize(int16_t *row, uint16_t b)
{
    const int16_t mean = tp_dsp_row_mean_q15[b];
    const int16_t gain = tp_dsp_row_gain_q[b];
    for (uint16_t c = 0; c < TP_DSP_N; ++c) {
        const int16_t d = (int16_t)(row[c] - mean); /* both in [0, 32767]: no overflow */
        /* +-TP_DSP_STD_CLIP is the output's full scale: saturation is step 6's clip */
        row[c] = saturate16(smul32(d, gain) >> TP_DSP_STD_SHIFT);
    }
}
#endif

/* ---- the transform --------------------------------------------------------------------- */

#ifndef TP_DSP_DIRECT_DFT
/* Five-point DFT (one of four) of the prime-factor 4 x 5 FFT: x are its inputs (ring values),
 * k its constants (tp_dsp_pfa_q14: rows dc, p1, p2, q1, q2 of 5), y its five outputs >> SHIFT. */
static void five_point(const int16_t *k, const int16_t (*x)[2], int32_t (*y)[2])
{
    y[0][0] = shift_down(DOT5(k, x, 0));
    y[0][1] = shift_down(DOT5(k, x, 1));
    for (int j = 1; j <= 2; ++j) { /* outputs j and 5 - j */
        const int16_t *kp = k + 5 * j, *kq = k + 5 * (j + 2);
        const int32_t pr = DOT5(kp, x, 0);
        const int32_t qi = DOT4(kq, x, 1);
        y[j][0] = shift_down(add32(pr, qi));
        y[5 - j][0] = shift_down(sub32(pr, qi));
        const int32_t pi = DOT5(kp, x, 1);
        const int32_t qr = DOT4(kq, x, 0);
        y[j][1] = shift_down(sub32(pi, qr));
        y[5 - j][1] = shift_down(add32(pi, qr));
    }
}

/* Four-point DFT (adds only) of u0..u3 = y[n1][k2] in place: output k1 at u_k1. */
static void four_point(int32_t *u0, int32_t *u1, int32_t *u2, int32_t *u3)
{
    const int32_t s02r = add32(u0[0], u2[0]), d02r = sub32(u0[0], u2[0]);
    const int32_t s13r = add32(u1[0], u3[0]), d13r = sub32(u1[0], u3[0]);
    u0[0] = add32(s02r, s13r);
    u2[0] = sub32(s02r, s13r);
    const int32_t s02i = add32(u0[1], u2[1]), d02i = sub32(u0[1], u2[1]);
    const int32_t s13i = add32(u1[1], u3[1]), d13i = sub32(u1[1], u3[1]);
    u0[1] = add32(s02i, s13i);
    u2[1] = sub32(s02i, s13i);
    u1[0] = add32(d02r, d13i);
    u3[0] = sub32(d02r, d13i);
    u1[1] = sub32(d02i, d13r);
    u3[1] = add32(d02i, d13r);
}
#endif

/* ---- the push ------------------------------------------------------------------------- */

int tp_dsp_q15_push(tp_dsp_q15_state *state, const int16_t *iq, int16_t frame[TP_DSP_BINS][TP_DSP_N])
{
    int16_t *slot = &state->ring[0][0][0] + (uint16_t)(state->head * (2u * TP_DSP_BINS));
    for (uint16_t b = 0; b < TP_DSP_BINS; ++b) {
        const uint16_t first = tp_dsp_edges[b];
        const uint16_t count = (uint16_t)(tp_dsp_edges[b + 1u] - first);
        slot[0] = depth_mean(&iq[2u * first], count);
        slot[1] = depth_mean(&iq[2u * first + 1u], count);
        slot += 2;
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

    /* The window's sweeps (ring rows), oldest first (direct DFT) or in the FFT's input order,
     * at the current depth bin. */
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
     * board's 512 B stack reserve. So the q15 push is not reentrant: one preprocessing
     * instance runs at a time, as on the device. */
    static int16_t u[TP_DSP_N][2]; /* one depth bin's window, copied from the ring (FRAM) */
#ifndef TP_DSP_DIRECT_DFT
    static int32_t x[TP_DSP_N][2];
#endif
    int16_t *out = &frame[0][0];
    for (uint16_t b = 0; b < TP_DSP_BINS; ++b) {
        const int16_t **row = rows;
        for (int16_t *to = &u[0][0]; to != &u[0][0] + 2 * TP_DSP_N; to += 2, ++row) {
            const int16_t *from = *row;
            to[0] = from[0];
            to[1] = from[1];
            *row = from + 2;
        }
#ifdef TP_DSP_DIRECT_DFT
        /* re = sum C y_re + S y_im, im = sum C y_im - S y_re (window and mean removal folded
         * into C), in chunks of five sweeps. */
        const int16_t *c = tp_dsp_dft_cos_q12;
        const int16_t *s = tp_dsp_dft_sin_q12;
        for (uint16_t f = 0; f < TP_DSP_N; ++f) {
            int32_t re = 0;
            int32_t im = 0;
            for (const int16_t(*v)[2] = u; v != u + TP_DSP_N; v += 5, c += 5, s += 5) {
                re = add32(re, add32(DOT5(c, v, 0), DOT5(s, v, 1)));
                im = add32(im, sub32(DOT5(c, v, 1), DOT5(s, v, 0)));
            }
            out[tp_dsp_shift_col[f]] = scale(re, im);
        }
#else
        /* Prime-factor 20 = 4 x 5 FFT: four five-point DFTs, then five four-point DFTs. */
        const int16_t *k = tp_dsp_pfa_q14;
        const int16_t(*v)[2] = u;
        for (int32_t(*y)[2] = x; y != x + TP_DSP_N; y += 5, v += 5, k += 25) {
            five_point(k, v, y);
        }
        for (int32_t(*y)[2] = x; y != x + 5; ++y) {
            four_point(y[0], y[5], y[10], y[15]);
        }
        /* Mean removal after the transform, exactly: subtracting the mean before windowing
         * changes only the bins where the periodic Hann's own DFT is non-zero (0 and +-1), by
         * sum * W[k] / N, an integer multiple of the sum here (MEAN_CORR0 = -2 MEAN_CORR1).
         * Rounding the mean before the transform instead would leak its rounding error into
         * those bins. */
        for (uint16_t part = 0; part < 2u; ++part) {
            const int32_t c1 = window_sum_times(&u[0][part], TP_DSP_MEAN_CORR1);
            x[0][part] = sub32(sub32(x[0][part], c1), c1);
            x[TP_DSP_PFA_POS1][part] = add32(x[TP_DSP_PFA_POS1][part], c1);
            x[TP_DSP_PFA_POSM1][part] = add32(x[TP_DSP_PFA_POSM1][part], c1);
        }
        for (uint16_t i = 0; i < TP_DSP_N; ++i) {
            out[tp_dsp_pfa_col[i]] = scale(x[i][0], x[i][1]);
        }
#endif
#ifdef TP_DSP_STANDARDIZE
        standardize(out, b);
#endif
        out += TP_DSP_N;
    }
    return 1;
}
