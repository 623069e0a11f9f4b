"""gemmlowp's fixed-point transcendental functions, as TFLite's int8 softmax uses them.

A value is an int32 "raw" integer with a number of integer bits ``m``; it stands for
``raw / 2**(31 - m)``. Products are :func:`~sdk.quant.arith.saturating_rounding_doubling_high_mul`
of the raws (the integer bits add up); :func:`rescale` changes the integer bits. The polynomial
and the barrel-shifter constants are gemmlowp's, so the results match TFLite bit for bit.
"""

from __future__ import annotations

import numpy as np

from sdk.quant.arith import (
    INT32_MAX,
    count_leading_zeros32,
    saturating_rounding_multiply_by_pot,
    truncating_divide,
)
from sdk.quant.arith import (
    saturating_rounding_doubling_high_mul as fixed_mul,
)

# exp(-2**k) as Q0.31, for k = -2 .. 4: the barrel shifter of exp_on_negative_values.
_EXP_OF_MINUS_POT = {-2: 1672461947, -1: 1302514674, 0: 790015084, 1: 290630308,
                     2: 39332535, 3: 720401, 4: 242}
_EXP_MINUS_ONE_EIGHTH = 1895147668  # exp(-1/8) in Q0.31
_ONE_THIRD = 715827883  # 1/3 in Q0.31
_FORTY_EIGHT_OVER_17 = 1515870810  # Q2.29
_MINUS_32_OVER_17 = -1010580540  # Q2.29


def rescale(raw: np.ndarray, src_integer_bits: int, dst_integer_bits: int) -> np.ndarray:
    """Change the number of integer bits of a fixed-point value (saturating, rounding)."""
    return saturating_rounding_multiply_by_pot(raw, src_integer_bits - dst_integer_bits)


def rounding_half_sum(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """``(a + b) / 2`` rounded away from zero (ARM's ``VRHADD``)."""
    total = np.asarray(a, np.int64) + np.asarray(b, np.int64)
    return truncating_divide(total + np.where(total >= 0, 1, -1), 2)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: np.ndarray) -> np.ndarray:
    """exp(a) for Q0.31 ``a`` in [-1/4, 0): a 4th-order Taylor expansion around -1/8."""
    x = a + (1 << 28)
    x2 = fixed_mul(x, x)
    x3 = fixed_mul(x2, x)
    x4 = fixed_mul(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2)
    poly = saturating_rounding_multiply_by_pot(fixed_mul(x4_over_4 + x3, _ONE_THIRD) + x2, -1)
    return _EXP_MINUS_ONE_EIGHTH + fixed_mul(_EXP_MINUS_ONE_EIGHTH, x + poly)


def exp_on_negative_values(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """exp(a) as Q0.31 for ``a <= 0`` given with ``integer_bits`` integer bits."""
    a = np.asarray(a, np.int64)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = a_mod_quarter_minus_one_quarter - a
    for exponent, multiplier in _EXP_OF_MINUS_POT.items():
        if integer_bits > exponent:
            bit = np.int64(1) << (fractional_bits + exponent)
            result = np.where(remainder & bit, fixed_mul(result, multiplier), result)
    if integer_bits > 5:
        # Below -32 the result is zero in Q0.31.
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def one_over_one_plus_x_for_x_in_0_1(a: np.ndarray) -> np.ndarray:
    """1 / (1 + a) as Q0.31 for Q0.31 ``a`` in [0, 1): three Newton-Raphson steps."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    x = _FORTY_EIGHT_OVER_17 + fixed_mul(half_denominator, _MINUS_32_OVER_17)  # Q2.29
    one_q2 = 1 << 29
    for _ in range(3):
        one_minus_half_denominator_times_x = one_q2 - fixed_mul(half_denominator, x)
        x = x + rescale(fixed_mul(x, one_minus_half_denominator_times_x), 4, 2)
    # x / 2 reinterpreted with one integer bit, then brought back to Q0.31.
    return rescale(x, 1, 0)


def get_reciprocal(x: np.ndarray, x_integer_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``1 / x`` for positive fixed-point ``x`` as TFLite's GetReciprocal.

    Returns ``(raw, num_bits_over_unit)``: the reciprocal of ``x`` normalized into [1, 2) as
    Q0.31, and how many bits ``x`` had above 1.0, so ``1/x = raw * 2**-(31 + bits_over_unit)``.
    """
    x = np.asarray(x, np.int64)
    headroom_plus_one = count_leading_zeros32(x)
    num_bits_over_unit = x_integer_bits - headroom_plus_one
    shifted_minus_one = ((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31)
    return one_over_one_plus_x_for_x_in_0_1(shifted_minus_one), num_bits_over_unit
