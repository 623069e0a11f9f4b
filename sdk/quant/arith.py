"""TFLite's integer arithmetic, written once and shared by every int8 op.

These are the helpers of TFLite Micro's ``quantization_util.cc``, ``common.h`` and gemmlowp's
``fixedpoint.h``, vectorized over numpy ``int64`` arrays that hold int32 values. The pinned
``tflite-micro`` interpreter is built without ``TFLITE_SINGLE_ROUNDING``, so a quantized
multiplier is applied with *double rounding*: a saturating rounding doubling high multiply,
then a rounding right shift (tests/sdk/test_int8_reference.py shows the single-rounding form
differs from it on the MLPerf models).

Integer division in C truncates toward zero and ``>>`` of a negative int is arithmetic; the
helpers spell out both where they matter, because numpy's ``//`` floors.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def tflite_round(x: np.ndarray | float) -> np.ndarray:
    """Round half away from zero (``TfLiteRound``, i.e. C's ``round``), keeping the dtype.

    numpy's ``round`` goes half to even, which differs on every tie.
    """
    x = np.asarray(x)
    a = np.abs(x)
    whole = np.floor(a)
    # a - floor(a) is exact in binary floating point, so the tie test is exact too.
    return np.copysign(whole + (a - whole >= 0.5), x).astype(x.dtype)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """Split ``real`` into an int32 Q31 multiplier and a power-of-two shift (QuantizeMultiplier).

    ``real ~= multiplier * 2**(shift - 31)`` with ``multiplier`` in ``[2**30, 2**31)`` (or 0).
    When the mantissa rounds up to exactly ``2**31`` it is halved and the shift grows by one;
    a multiplier smaller than about ``2**-31`` flushes to ``(0, 0)``.
    """
    real = float(real)
    if real == 0.0:
        return 0, 0
    mantissa, shift = math.frexp(real)
    # mantissa * 2**31 is an exact scaling, so only the final rounding can go wrong.
    q = int(tflite_round(np.float64(mantissa * (1 << 31))))
    if q == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q, shift


def quantize_multipliers(reals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`quantize_multiplier` of each element: ``(multipliers, shifts)`` as int64 arrays."""
    pairs = [quantize_multiplier(r) for r in np.ravel(reals)]
    return (np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.int64))


def truncating_divide(x: np.ndarray, divisor: np.ndarray | int) -> np.ndarray:
    """C's integer division by a positive ``divisor``: the quotient rounded toward zero."""
    x, divisor = _i64(x), _i64(divisor)
    return np.where(x >= 0, x // divisor, -((-x) // divisor))


def saturating_rounding_doubling_high_mul(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """``round(a * b / 2**31)``, ties rounded up; ``INT32_MIN * INT32_MIN`` saturates.

    This is gemmlowp's SaturatingRoundingDoublingHighMul (ARM's ``VQRDMULH``).
    """
    a, b = _i64(a), _i64(b)
    ab = a * b  # |a|, |b| <= 2**31, so the product fits in int64
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = truncating_divide(ab + nudge, 1 << 31)
    return np.where((a == b) & (a == INT32_MIN), INT32_MAX, high)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """``x / 2**exponent`` rounded to nearest, ties away from zero (gemmlowp RoundingDivideByPOT)."""
    x, exponent = _i64(x), _i64(exponent)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def saturating_rounding_multiply_by_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    """``x * 2**exponent`` in int32: a saturating left shift, or a rounding right shift."""
    x = _i64(x)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    shifted = x << exponent
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, shifted))


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier: np.ndarray | int,
                                     shift: np.ndarray | int) -> np.ndarray:
    """``x * multiplier * 2**(shift - 31)`` as TFLite Micro requantizes (double rounding).

    ``multiplier`` and ``shift`` may be arrays that broadcast against ``x`` (per channel).
    """
    x, shift = _i64(x), _i64(shift)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x * (np.int64(1) << left), multiplier), right)


def count_leading_zeros32(x: np.ndarray) -> np.ndarray:
    """Leading zero bits of non-negative int32 values (32 for zero)."""
    x = _i64(x)
    # frexp's exponent is the bit length, exactly, for integers below 2**53.
    return 32 - np.frexp(x.astype(np.float64))[1].astype(np.int64)
