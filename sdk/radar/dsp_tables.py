"""Generate device/dsp's tables (window, FFT constants, depth groups, log scaling) from the
Python definition of the preprocessing, as a C header.

The C code (device/dsp/tp_dsp_f32.c and tp_dsp_q15.c) only implements what
:mod:`sdk.radar.preprocess` defines; every number it needs comes from here, so the two cannot
drift apart.  ``python -m sdk.radar.dsp_tables --depths 120 --out device/dsp/tp_dsp_tables.h``
regenerates the committed default.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from sdk.errors import UnsupportedError
from sdk.radar.preprocess import STD_CLIP, PreprocessConfig, depth_edges, window_table

# Fractional bits of the q15 ring: raw A111 IQ units are stored times 4, so the ring holds
# depth means up to +-8191 raw units (the shared recordings peak near 400) with 0.25 resolution.
Q15_RING_FRAC_BITS = 2
# q15 transform (tp_dsp_q15.c): every product is 16 x 16 -> 32 bits (the MSP430's multiplier),
# ring value times a constant that folds the window into the FFT's (or DFT's) constants. The
# 4 x 5 FFT's five-point sums use Q14 constants and are shifted right by 2 before the
# four-point stage, so transform results are raw * 2**(2 + 14 - 2); the direct DFT's 20-term
# sums use Q12 constants and are not shifted (same units). Overflow is excluded for every int16
# input by a bound on every intermediate sum (_check_q15_bounds).
Q15_FFT_COEF_BITS = 14
Q15_FFT_SHIFT = 2
Q15_DFT_COEF_BITS = 12
Q15_ACC_BITS = Q15_RING_FRAC_BITS + Q15_FFT_COEF_BITS - Q15_FFT_SHIFT
LOG2_TABLE_BITS = 5          # q15 log2: 32-segment table of the mantissa, linearly interpolated
LOG2_POLY_DEGREE = 5         # float log2: polynomial of the mantissa in [1, 2)
Q15_LOG_FRAC_BITS = 12       # log2 values carried in Q12
# q15 standardization (step 6): out = (v - MEAN) * GAIN >> 12 with v, MEAN in q15 and the output
# the standardized value / STD_CLIP in q15, so GAIN = 2**12 / (STD_CLIP * std): below 2**15 for
# every std >= STD_MIN, and |v - MEAN| * GAIN < 2**30.
Q15_STD_SHIFT = 12


def _c_array(ctype: str, name: str, values, fmt: str = "{}") -> str:
    body = ", ".join(fmt.format(v) for v in values)
    return f"static const {ctype} {name}[{len(values)}] = {{{body}}};\n"


def _f(value: float) -> str:
    return f"{float(value):.9e}f"


def _log2_poly() -> np.ndarray:
    # Least squares on Chebyshev nodes, pinned to be exact at m = 1 (log2(1) = 0).
    k = np.arange(200)
    x = 0.5 - 0.5 * np.cos(np.pi * (k + 0.5) / 200)          # m - 1 in [0, 1)
    basis = np.stack([x ** p for p in range(1, LOG2_POLY_DEGREE + 1)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, np.log2(1.0 + x), rcond=None)
    return coef


PFA_ROWS = ("dc", "p1", "p2", "q1", "q2")  # the five constant rows of a five-point DFT


def _pfa_constants(w: np.ndarray, in_map: list[int]) -> np.ndarray:
    """int (4, 5, 5): for five-point DFT n1, row (PFA_ROWS) and input n2, the Q14 constant that
    multiplies ring value m = in_map[5 n1 + n2]: the window times the five-point DFT's cos/sin
    (p rows: cos, q rows: sin, of 2 pi n2 k / 5 for k = 1, 2)."""
    one = 1 << Q15_FFT_COEF_BITS
    k = np.zeros((4, 5, 5), dtype=np.int64)
    for n1 in range(4):
        for n2 in range(5):
            wm = w[in_map[5 * n1 + n2]]
            a = 2.0 * math.pi * n2 / 5.0
            k[n1, :, n2] = [round(one * wm), round(one * wm * math.cos(a)),
                            round(one * wm * math.cos(2 * a)), round(one * wm * math.sin(a)),
                            round(one * wm * math.sin(2 * a))]
    return k


def _check_q15_bounds(w: np.ndarray, in_map: list[int], pfa: np.ndarray, dft_cos: np.ndarray,
                      dft_sin: np.ndarray, corr: list[int]) -> None:
    """Every sum tp_dsp_q15.c forms fits int32 for any int16 ring, and the FFT's structure
    computes the mean-removed windowed DFT (its coefficients within rounding of the exact ones).

    Each value is a linear form of the 2N ring values (index 2 m + part); its largest magnitude
    is sum |coefficient| * 2**15, plus the floor of the shift (at most 1 per value added)."""
    n = len(w)
    limit = 2 ** 31 - 64

    def check(form: np.ndarray, what: str) -> None:
        if np.abs(form).sum() * 32768 + 16 > limit:
            raise UnsupportedError(f"q15 transform: {what} could overflow int32")

    def ring(m: int, part: int) -> np.ndarray:
        v = np.zeros(2 * n)
        v[2 * m + part] = 1.0
        return v

    total = [sum((ring(m, part) for m in range(n)), np.zeros(2 * n)) for part in (0, 1)]  # window sums S
    y = np.zeros((4, 5, 2, 2 * n))  # five-point outputs after the shift: [n1][k2][part]
    for n1 in range(4):
        x = [[ring(in_map[5 * n1 + n2], part) for part in (0, 1)] for n2 in range(5)]
        chain = {}
        for r, row in enumerate(PFA_ROWS):
            for part in (0, 1):
                chain[row, part] = sum(pfa[n1, r, n2] * x[n2][part] for n2 in range(5))
                check(chain[row, part], f"five-point sum {row}")
        five = {0: (chain["dc", 0], chain["dc", 1]),
                1: (chain["p1", 0] + chain["q1", 1], chain["p1", 1] - chain["q1", 0]),
                4: (chain["p1", 0] - chain["q1", 1], chain["p1", 1] + chain["q1", 0]),
                2: (chain["p2", 0] + chain["q2", 1], chain["p2", 1] - chain["q2", 0]),
                3: (chain["p2", 0] - chain["q2", 1], chain["p2", 1] + chain["q2", 0])}
        for k2, (re, im) in five.items():
            check(re, "five-point output")
            check(im, "five-point output")
            y[n1, k2] = re / (1 << Q15_FFT_SHIFT), im / (1 << Q15_FFT_SHIFT)
    got = np.zeros((n, 2, 2 * n))
    for k2 in range(5):
        u = y[:, k2]
        s02, d02, s13, d13 = u[0] + u[2], u[0] - u[2], u[1] + u[3], u[1] - u[3]
        for v in (*s02, *d02, *s13, *d13):
            check(v, "four-point sum")
        outs = [(s02[0] + s13[0], s02[1] + s13[1]), (d02[0] + d13[1], d02[1] - d13[0]),
                (s02[0] - s13[0], s02[1] - s13[1]), (d02[0] - d13[1], d02[1] + d13[0])]
        for k1, (re, im) in enumerate(outs):
            got[(5 * k1 + 16 * k2) % n] = re, im
    # tp_dsp_q15.c subtracts sum * MEAN_CORR1 twice from bin 0 (MEAN_CORR0 = -2 MEAN_CORR1)
    for part in (0, 1):
        check(corr[1] * total[part], "window sum")
        check(got[0, part] - corr[1] * total[part], "mean removal")
    for f, c in ((0, corr[0]), (1, corr[1]), (n - 1, corr[1])):
        got[f] += c * np.stack(total)
    # The exact mean-removed DFT in the same units (raw * 2**ACC): X = sum_m (w_m e_fm - W_f/N) y_m
    m = np.arange(n)
    want = np.zeros_like(got)
    for f in range(n):
        e = np.exp(-2j * np.pi * f * m / n)
        c = (w * e - np.sum(w * e) / n) * (1 << (Q15_FFT_COEF_BITS - Q15_FFT_SHIFT))
        want[f, 0, 0::2], want[f, 0, 1::2] = c.real, -c.imag
        want[f, 1, 0::2], want[f, 1, 1::2] = c.imag, c.real
    if np.abs(got - want).max() > 1.0:
        raise UnsupportedError("q15 prime-factor FFT does not compute the DFT (internal error)")
    for f in range(n):
        check(got[f, 0], "FFT output")
        check(got[f, 1], "FFT output")
        re = np.zeros(2 * n)
        re[0::2], re[1::2] = dft_cos[f], dft_sin[f]
        check(re, "direct DFT sum")
        check(np.abs(dft_cos[f]), "direct DFT sum")
        check(np.abs(dft_sin[f]), "direct DFT sum")
        check(np.concatenate([np.abs(dft_cos[f]), np.abs(dft_sin[f])]), "direct DFT output")
        c = (dft_cos[f] - 1j * dft_sin[f]) * (1 << (Q15_ACC_BITS - Q15_RING_FRAC_BITS - Q15_DFT_COEF_BITS))
        if np.abs(c - (want[f, 0, 0::2] - 1j * want[f, 0, 1::2])).max() > 2.0:
            raise UnsupportedError("q15 direct DFT constants (internal error)")


def _q15_standardize(config: PreprocessConfig) -> str:
    """The q15 tables of step 6 (tp_dsp_q15.c's standardize)."""
    mean = [min(32767, round(32768 * m)) for m in config.row_mean]
    gain = [round((1 << Q15_STD_SHIFT) / (STD_CLIP * sd)) for sd in config.row_std]
    if max(gain) >= 1 << 15:
        raise UnsupportedError(f"q15 standardization with row_std {min(config.row_std)} (too small)")
    return "".join([f"#define TP_DSP_STD_SHIFT {Q15_STD_SHIFT}\n",
                    _c_array("int16_t", "tp_dsp_row_mean_q15", mean),
                    _c_array("int16_t", "tp_dsp_row_gain_q", gain)])


def _q15_tables(config: PreprocessConfig, w: np.ndarray, counts: np.ndarray, in_map: list[int]) -> str:
    """The TP_DSP_TABLES_Q15 part of the header (tp_dsp_q15.c)."""
    n = len(w)
    # Mean removal (docs/radar.md): bin k of the windowed DFT loses sum * W[k] / N, W being the
    # window's own DFT (non-zero at 0 and +-1 only for the periodic Hann).
    w_dft = np.fft.fft(w)
    if not np.allclose(w_dft[2:n - 1], 0.0, atol=1e-9):
        raise UnsupportedError("q15 mean removal after the transform for a window with more than 3 DFT bins")
    corr = [-w_dft[k].real / n * (1 << (Q15_ACC_BITS - Q15_RING_FRAC_BITS)) for k in (0, 1)]
    if any(abs(c - round(c)) > 1e-9 for c in corr):
        raise UnsupportedError("q15 mean removal whose correction is not an integer multiple of the sum")
    if round(corr[0]) != -2 * round(corr[1]):
        raise UnsupportedError("q15 mean removal: bin 0's correction is not -2 times that of bins +-1")
    pfa = _pfa_constants(w, in_map)
    one = 1 << Q15_DFT_COEF_BITS
    m = np.arange(n)
    dft_cos = np.array([[round(one * w[j] * math.cos(2 * math.pi * f * j / n)) for j in m] for f in range(n)])
    dft_sin = np.array([[round(one * w[j] * math.sin(2 * math.pi * f * j / n)) for j in m] for f in range(n)])
    dft_scale = 1 << (Q15_ACC_BITS - Q15_RING_FRAC_BITS - Q15_DFT_COEF_BITS)
    for f, c in ((0, corr[0]), (1, corr[1]), (n - 1, corr[1])):
        dft_cos[f] += round(c) // dft_scale
    _check_q15_bounds(w, in_map, pfa, dft_cos, dft_sin, [round(c) for c in corr])
    pos1 = [(5 * k1 + 16 * k2) % n for k1 in range(4) for k2 in range(5)].index(1)
    posm1 = [(5 * k1 + 16 * k2) % n for k1 in range(4) for k2 in range(5)].index(n - 1)

    # Depth means: a uniform power-of-two group size needs no division.
    count_log2 = ""
    if len(set(counts.tolist())) == 1 and counts[0] & (counts[0] - 1) == 0:
        count_log2 = f"#define TP_DSP_COUNT_LOG2 {int(counts[0]).bit_length() - 1}\n"
    if counts.max() >= 1 << 14:
        raise UnsupportedError(f"q15 depth groups of {counts.max()} depths (at most 16383)")

    # Log scaling: transform units are raw * 2**ACC, the power adds twice that (Q12 log2).
    range_db = config.ceil_db - config.floor_db
    db_per_log2 = 10.0 * math.log10(2.0)
    sum_db = 20.0 * math.log10(w.sum())
    log_one = 1 << Q15_LOG_FRAC_BITS
    c0 = round(log_one * (2 * Q15_ACC_BITS + (sum_db + config.floor_db) / db_per_log2))
    # out = clip(floor(d * GAIN / 4096), 0, 32767) with d = log2|X|^2 in Q12 - OFFSET and GAIN the
    # q15 steps per unit of log2 of the power; full scale from d >= D_FULL on.
    gain = round(32768 * db_per_log2 / range_db)
    if not 0 < gain < 4096:
        raise UnsupportedError(f"q15 log scaling over {range_db} dB (at least 24 dB)")
    d_full = -(-32767 * log_one // gain)
    table = [round(log_one * math.log2(1.0 + i / (1 << LOG2_TABLE_BITS)))
             for i in range((1 << LOG2_TABLE_BITS) + 1)]
    assert max(np.diff(table)) < 256  # step * frac (8 bits) is a 16-bit product in tp_dsp_q15.c
    # tp_dsp_q15.c normalizes |re| | |im| (< 2**31) by s = bitlen(its high word) + 1 bits, so the
    # larger of the two lies in [2**14, 2**15) and the power p in [2**28, 2**31); then
    # (28 + 2 s) * 4096 <= log2|X|^2 in Q12 < (31 + 2 s) * 4096. High words below HI_ZERO
    # (s <= 1 when it is 0) always give 0, from HI_FULL on always 32767 (checked here).
    bl_zero = max(bl for bl in range(16) if (33 + 2 * bl) * log_one <= c0) if 33 * log_one <= c0 else None
    if bl_zero is None:
        raise UnsupportedError(f"q15 log scaling with floor_db={config.floor_db} (too low)")
    bl_full = min((bl for bl in range(1, 16) if (30 + 2 * bl) * log_one >= c0 + d_full), default=16)
    hi_zero, hi_full = 1 << bl_zero, min(1 << (bl_full - 1), 1 << 15)
    norm = [0] + [1 << (15 - bl) for bl in range(1, 16)]
    # In between (bitlen(hi) = bl, s = bl + 1, the power's leading bit e in 28..30): with
    # OFFSET = K0 * 4096 + 4096 - R1, d = (e + 2 s - K0 - 1) * 4096 + mant + R1 where
    # mant + R1 < 8192, so floor(d * GAIN / 4096) = u - U0 with
    # u = BASE[bl] + (e - 28) GAIN + floor((mant + R1) * 16 GAIN / 65536) (a product's high word),
    # BASE[bl] = (2 bl + 31 - K0 + j) GAIN and U0 = (2 + j) GAIN, j >= 0 the smallest that keeps
    # every BASE non-negative; u must stay a 16-bit number.
    k0, r0 = divmod(c0, log_one)
    valid = range(bl_zero + 1, bl_full)
    j = max([0] + [-(2 * bl + 31 - k0) for bl in valid])
    base = [0] * 16
    for bl in valid:
        base[bl] = (2 * bl + 31 - k0 + j) * gain
        if base[bl] + 4 * gain >= 1 << 16:
            raise UnsupportedError(f"q15 log scaling over {range_db} dB (internal bound)")
    return "".join([
        f"#define TP_DSP_Q15_FRAC {Q15_RING_FRAC_BITS}\n{count_log2}",
        _q15_standardize(config) if config.standardized else "",
        "/* 4 x 5 FFT: constants [n1][dc, p1, p2, q1, q2][n2] in Q14 (window folded in); five-point\n"
        " * sums >> SHIFT. Mean removal: bin 0 (position 0 of the output order 5 k1 + k2) gains\n"
        " * sum * MEAN_CORR0, bins 1 and N-1 (positions POS1, POSM1) sum * MEAN_CORR1. */\n",
        _c_array("int16_t", "tp_dsp_pfa_q14", pfa.ravel().tolist()),
        f"#define TP_DSP_Q15_SHIFT {Q15_FFT_SHIFT}\n#define TP_DSP_MEAN_CORR0 {round(corr[0])}L\n"
        f"#define TP_DSP_MEAN_CORR1 {round(corr[1])}L\n"
        f"#define TP_DSP_PFA_POS1 {pos1}\n#define TP_DSP_PFA_POSM1 {posm1}\n",
        "#ifdef TP_DSP_DIRECT_DFT\n/* direct DFT: re = sum C y_re + S y_im, im = sum C y_im - S y_re;\n"
        " * Q12, window and mean removal folded in */\n",
        _c_array("int16_t", "tp_dsp_dft_cos_q12", dft_cos.ravel().tolist()),
        _c_array("int16_t", "tp_dsp_dft_sin_q12", dft_sin.ravel().tolist()),
        "#endif\n",
        f"#define TP_DSP_LOG2_TABLE_BITS {LOG2_TABLE_BITS}\n",
        _c_array("uint16_t", "tp_dsp_log2_q12", table),
        _c_array("uint8_t", "tp_dsp_bitlen8", [i.bit_length() for i in range(256)]),
        _c_array("uint16_t", "tp_dsp_norm_q", norm),
        _c_array("uint16_t", "tp_dsp_log_base", base),
        "/* d = log2(|X|^2) in Q12 - OFFSET; out = clip(floor(d * GAIN / 4096), 0, 32767); high words of\n"
        " * |re| | |im| below HI_ZERO give 0, from HI_FULL on 32767; in between see tp_dsp_q15.c */\n",
        f"#define TP_DSP_LOG_FRAC {Q15_LOG_FRAC_BITS}\n#define TP_DSP_OFFSET_Q12 {c0}L\n"
        f"#define TP_DSP_LOG_R1 {log_one - r0}u\n#define TP_DSP_GAIN_LOG2 {gain}u\n"
        f"#define TP_DSP_LOG_U0 {(2 + j) * gain}u\n"
        f"#define TP_DSP_LOG_HI_ZERO {hi_zero}u\n#define TP_DSP_LOG_HI_FULL {hi_full}u\n",
    ])


def render_header(config: PreprocessConfig, depths_in: int) -> str:
    """The C header for sweeps of ``depths_in`` depths preprocessed as ``config`` says."""
    n, bins = config.window_sweeps, config.depth_bins
    if n > 64:
        raise UnsupportedError(f"C preprocessing with window_sweeps={n} (device/dsp: at most 64)")
    if config.window != "hann_periodic":
        raise UnsupportedError(f"C preprocessing with window '{config.window}' (device/dsp implements "
                               "hann_periodic)")
    edges = depth_edges(depths_in, bins)
    counts = np.diff(edges)
    w = window_table(n, config.window)
    range_db = config.ceil_db - config.floor_db
    db_per_log2 = 10.0 * math.log10(2.0)
    sum_db = 20.0 * math.log10(w.sum())
    theta = 2.0 * math.pi / 5.0
    in_map = [(5 * n1 + 4 * n2) % n for n1 in range(4) for n2 in range(5)]
    out_col = [((5 * k1 + 16 * k2) % n + n // 2) % n for k1 in range(4) for k2 in range(5)]
    shift_col = [(f + n // 2) % n for f in range(n)]
    try:
        if n != 20:
            raise UnsupportedError(f"q15 preprocessing with window_sweeps={n} (tp_dsp_q15.c "
                                   "implements N = 20 = 4 x 5)")
        q15 = _q15_tables(config, w, counts, in_map)
    except UnsupportedError as err:  # the float path stays usable; a q15 build stops here
        q15 = f'#error "{err}"\n'
    # The 4 x 5 prime-factor FFT is N = 20's; any other N takes the float direct DFT.
    transform = ("" if n == 20 else "/* N is not 20 = 4 x 5: the direct DFT */\n"
                 "#ifndef TP_DSP_DIRECT_DFT\n#define TP_DSP_DIRECT_DFT\n#endif\n")
    lines = [
        "/* Generated by sdk/radar/dsp_tables.py from sdk/radar/preprocess.py. Do not edit:\n"
        f" * python -m sdk.radar.dsp_tables --depths {depths_in} --out <this file>\n"
        f" * config: {config.to_dict()} */\n",
        "#ifndef TP_DSP_TABLES_H\n#define TP_DSP_TABLES_H\n\n#include <stdint.h>\n\n",
        f"#define TP_DSP_N {n}\n#define TP_DSP_BINS {bins}\n#define TP_DSP_DEPTHS_IN {depths_in}\n",
        f"#define TP_DSP_HOP {config.hop}\n{transform}",
        "#define TP_DSP_STANDARDIZE\n" if config.standardized else "", "\n",
        _c_array("uint16_t", "tp_dsp_edges", edges.tolist()),
        *([_c_array("uint8_t", "tp_dsp_pfa_in", in_map),
           _c_array("uint8_t", "tp_dsp_pfa_col", out_col)] if n == 20 else []),
        _c_array("uint8_t", "tp_dsp_shift_col", shift_col),
        "\n#ifdef TP_DSP_TABLES_F32\n",
        _c_array("float", "tp_dsp_inv_count_f32", (1.0 / counts).tolist(), "{:.9e}f"),
        _c_array("float", "tp_dsp_window_f32", w.tolist(), "{:.9e}f"),
        f"#define TP_DSP_C1_F32 {_f(math.cos(theta))}\n#define TP_DSP_C2_F32 {_f(math.cos(2 * theta))}\n"
        f"#define TP_DSP_S1_F32 {_f(math.sin(theta))}\n#define TP_DSP_S2_F32 {_f(math.sin(2 * theta))}\n",
        _c_array("float", "tp_dsp_cos_f32", np.cos(2 * np.pi * np.arange(n) / n).tolist(), "{:.9e}f"),
        _c_array("float", "tp_dsp_sin_f32", np.sin(2 * np.pi * np.arange(n) / n).tolist(), "{:.9e}f"),
        _c_array("float", "tp_dsp_log2_poly_f32", _log2_poly().tolist(), "{:.9e}f"),
        "/* out = clip(GAIN * log2(|X|^2) + OFFSET, 0, 1) */\n"
        f"#define TP_DSP_GAIN_F32 {_f(db_per_log2 / range_db)}\n"
        f"#define TP_DSP_OFFSET_F32 {_f(-(sum_db + config.floor_db) / range_db)}\n",
        *([f"/* step 6: clip((out - MEAN) * INV_STD, -CLIP, CLIP) */\n#define TP_DSP_STD_CLIP_F32 "
           f"{_f(STD_CLIP)}\n",
           _c_array("float", "tp_dsp_row_mean_f32", list(config.row_mean), "{:.9e}f"),
           _c_array("float", "tp_dsp_row_inv_std_f32", [1.0 / v for v in config.row_std],
                    "{:.9e}f")] if config.standardized else []),
        "#endif /* TP_DSP_TABLES_F32 */\n\n#ifdef TP_DSP_TABLES_Q15\n",
        q15,
        "#endif /* TP_DSP_TABLES_Q15 */\n\n#endif /* TP_DSP_TABLES_H */\n",
    ]
    return "".join(lines)


def write_header(path: str | Path, config: PreprocessConfig, depths_in: int) -> Path:
    """Write :func:`render_header` to ``path`` and return it."""
    path = Path(path)
    path.write_text(render_header(config, depths_in))
    return path


def main() -> None:
    """Command-line entry: regenerate a tables header for the default preprocessing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, required=True, help="depths per input sweep")
    parser.add_argument("--out", required=True, help="header to write")
    args = parser.parse_args()
    write_header(args.out, PreprocessConfig(), args.depths)


if __name__ == "__main__":
    main()
