"""TFLite's integer arithmetic (sdk.quant) against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sdk.ir import QuantParams
from sdk.quant import layer_params as lp
from sdk.quant.arith import (
    INT32_MAX,
    INT32_MIN,
    count_leading_zeros32,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    saturating_rounding_multiply_by_pot,
    tflite_round,
)
from sdk.quant.fixed_point import (
    exp_on_negative_values,
    get_reciprocal,
    one_over_one_plus_x_for_x_in_0_1,
)


@pytest.mark.parametrize("real, expected", [
    (0.5, (1 << 30, 0)),                 # exact power of two: mantissa 0.5
    (1.0, (1 << 30, 1)),
    (0.25, (1 << 30, -1)),
    (2.0 ** -31, (1 << 30, -30)),        # smallest exponent that survives
    (0.75, (3 << 29, 0)),
    (0.1, (1717986918, -3)),             # 0.8 * 2**31 = 1717986918.4 rounds down
    (3e5, (1228800000, 19)),             # huge: 0.57220458984375 * 2**19
    (-0.5, (-(1 << 30), 0)),             # negative multipliers keep their sign
    (0.0, (0, 0)),
])
def test_quantize_multiplier_hand_computed(real, expected):
    assert quantize_multiplier(real) == expected
    q, shift = quantize_multiplier(real)
    assert q * 2.0 ** (shift - 31) == pytest.approx(real, rel=2 ** -30)


def test_quantize_multiplier_mantissa_rounding_up_to_2_pow_31_carries_into_shift():
    # frexp gives 1 - 2**-40, which rounds to exactly 2**31 in Q31: halve it, shift + 1.
    assert quantize_multiplier(1.0 - 2.0 ** -40) == (1 << 30, 1)
    assert quantize_multiplier(0.5 - 2.0 ** -41) == (1 << 30, 0)


def test_quantize_multiplier_tiny_flushes_to_zero():
    assert quantize_multiplier(2.0 ** -40) == (0, 0)
    assert quantize_multiplier(2.0 ** -33) == (0, 0)  # frexp exponent -32 < -31
    assert quantize_multiplier(2.0 ** -32) == (1 << 30, -31)  # the last one kept


def test_quantize_multiplier_rounds_ties_away_from_zero():
    # mantissa * 2**31 = 2**30 + 0.5 exactly: a tie, rounded up (round-half-even would not).
    assert quantize_multiplier((2 ** 30 + 0.5) / 2 ** 31) == (2 ** 30 + 1, 0)
    assert quantize_multiplier((2 ** 30 + 2.5) / 2 ** 31) == (2 ** 30 + 3, 0)


def test_tflite_round_is_half_away_from_zero_and_keeps_dtype():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997, -1.4], dtype=np.float32)
    r = tflite_round(x)
    assert r.dtype == np.float32
    assert r.tolist() == [1, 2, 3, -1, -3, 0, -1]


@pytest.mark.parametrize("a, b, expected", [
    (1 << 30, 1 << 30, 1 << 29),          # 0.5 * 0.5 = 0.25
    (3, 1 << 30, 2),                      # 1.5 -> 2
    (-3, 1 << 30, -1),                    # -1.5 -> -1: ties go up (gemmlowp's nudge)
    (5, 1 << 30, 3),
    (-5, 1 << 30, -2),
    (1, 1 << 30, 1),                      # 0.5 -> 1
    (-1, 1 << 30, 0),                     # -0.5 -> 0
    (-7, 3 << 29, -5),                    # -5.25 -> -5
    (INT32_MAX, INT32_MAX, INT32_MAX - 1),
    (INT32_MIN, INT32_MIN, INT32_MAX),    # the one overflowing product saturates
    (INT32_MIN, INT32_MAX, INT32_MIN + 1),
])
def test_saturating_rounding_doubling_high_mul(a, b, expected):
    assert int(saturating_rounding_doubling_high_mul(a, b)) == expected


def test_rounding_divide_by_pot_ties_and_negatives():
    x = np.array([5, -5, 6, -6, 7, -7, 4, -4, 0])
    assert rounding_divide_by_pot(x, 1).tolist() == [3, -3, 3, -3, 4, -4, 2, -2, 0]
    assert rounding_divide_by_pot([5, -5, 6, -6, 3], 2).tolist() == [1, -1, 2, -2, 1]
    assert rounding_divide_by_pot([123, -123], 0).tolist() == [123, -123]
    # Per-element exponents, as per-channel shifts use it.
    assert rounding_divide_by_pot([100, 100, 100], [0, 3, 31]).tolist() == [100, 13, 0]


def test_saturating_rounding_multiply_by_pot():
    assert saturating_rounding_multiply_by_pot([3, -3], 2).tolist() == [12, -12]
    assert saturating_rounding_multiply_by_pot([1 << 29, -(1 << 29)], 2).tolist() == [
        INT32_MAX, INT32_MIN]
    assert saturating_rounding_multiply_by_pot([6, -6], -2).tolist() == [2, -2]


def test_multiply_by_quantized_multiplier_hand_computed():
    half = 1 << 30
    assert multiply_by_quantized_multiplier(100, half, -1).tolist() == 25
    assert multiply_by_quantized_multiplier(100, half, 2).tolist() == 200  # left shift first
    assert multiply_by_quantized_multiplier(-3, half, 0).tolist() == -1  # -1.5 -> -1
    # Double rounding, as the pinned TFLite Micro: 3 * 0.5 = 1.5 -> 2, then 2 / 4 = 0.5 -> 1.
    # A single rounding of 3 * 0.5 / 4 = 0.375 would give 0.
    assert multiply_by_quantized_multiplier(3, half, -2).tolist() == 1


def test_multiply_by_quantized_multiplier_broadcasts_per_channel():
    acc = np.array([[1000, 1000, 1000], [-1000, -1000, -1000]])
    mult = np.array([1 << 30, 3 << 29, 1 << 30])
    shift = np.array([0, -1, -3])
    assert multiply_by_quantized_multiplier(acc, mult, shift).tolist() == [
        [500, 375, 63], [-500, -375, -63]]


def test_count_leading_zeros32():
    assert count_leading_zeros32([0, 1, 2, 3, 1 << 30, INT32_MAX]).tolist() == [
        32, 31, 30, 30, 1, 1]


def _q(scale, zero_point=0):
    return QuantParams(np.atleast_1d(scale), np.atleast_1d(zero_point))


def test_activation_range():
    out = _q(0.05, -10)
    assert lp.activation_range("none", out) == (-128, 127)
    assert lp.activation_range("relu", out) == (-10, 127)
    assert lp.activation_range("relu6", out) == (-10, 110)  # -10 + 6 / 0.05
    assert lp.activation_range("relu6", _q(0.01, -128)) == (-128, 127)  # clamped to int8


def test_dense_per_tensor_multiplier_uses_float32_scale_product():
    # TFLite Micro multiplies input and weight scales in float32 for per-tensor FULLY_CONNECTED;
    # for these float32 scales that changes the multiplier against an all-double computation.
    s_in, s_w, s_out = 0.12775537371635437, 0.014219548553228378, 0.030077027156949043
    m, s = lp.dense_multipliers(_q(s_in), _q(s_w), _q(s_out), 4)
    assert (m.tolist(), s.tolist()) == ([2075295397] * 4, [-4] * 4)
    assert quantize_multiplier(s_in * s_w / s_out) == (2075295410, -4)
    # Convolutions compute the same ratio in double.
    cm, cs = lp.conv_multipliers(_q(s_in), _q(s_w), _q(s_out), 2)
    assert (cm.tolist(), cs.tolist()) == ([2075295410] * 2, [-4] * 2)


def test_conv_multipliers_per_channel():
    w = QuantParams(np.array([0.5, 0.25]), np.array([0, 0]), axis=0)
    m, s = lp.conv_multipliers(_q(0.5), w, _q(0.25), 2)  # ratios 1.0 and 0.5
    assert m.tolist() == [1 << 30, 1 << 30]
    assert s.tolist() == [1, 0]


def test_add_params_hand_computed():
    p = lp.add_params(_q(0.5, 1), _q(0.25, -2), _q(1.0, 3), "none")
    # Inputs rescaled to 2 * max scale = 1.0: multipliers 0.5 and 0.25; output 1 / 2**20.
    assert (p.input1_offset, p.input2_offset, p.output_offset, p.left_shift) == (-1, 2, 3, 20)
    assert (p.input1_multiplier, p.input1_shift) == (1 << 30, 0)
    assert (p.input2_multiplier, p.input2_shift) == (1 << 30, -1)
    assert (p.output_multiplier, p.output_shift) == (1 << 30, -19)


def test_softmax_params_hand_computed():
    # KWS's softmax input scale: beta * scale * 2**26 = 9710477.6..., in [2**23, 2**24): shift 24.
    p = lp.softmax_params(_q(0.14469251036643982, 14), 1.0)
    assert p.input_left_shift == 24
    assert p.input_multiplier == quantize_multiplier(0.14469251036643982 * 2 ** 26)[0]
    # Radius: floor(31 * 2**26 / 2**24) = 124.
    assert p.diff_min == -124


def test_quantize_float_rounds_in_float32_half_away():
    q = lp.quantize_float(np.array([0.25, -0.25, 0.75, 100.0, -100.0]), 0.5, 1)
    assert q.tolist() == [2, 0, 3, 127, -128]  # 0.5 -> 1, -0.5 -> -1, 1.5 -> 2


def test_fixed_point_exp_reciprocal():
    q26 = 1 << 26  # Q5.26 one
    assert int(exp_on_negative_values(0, 5)) == INT32_MAX
    for x in (-1, -0.25, -3.5, -10.0):
        got = int(exp_on_negative_values(int(x * q26), 5)) / 2 ** 31
        assert got == pytest.approx(math.exp(x), rel=1e-6, abs=1e-8)
    assert int(one_over_one_plus_x_for_x_in_0_1(1 << 30)) / 2 ** 31 == pytest.approx(2 / 3, abs=1e-8)
    raw, bits = get_reciprocal(np.array([3 << 19]), 12)  # 3.0 in Q12.19
    assert int(bits[0]) == 1  # 3 = 1.5 * 2**1
    assert int(raw[0]) / 2 ** 31 == pytest.approx(2 / 3, abs=1e-8)  # 1 / 1.5
    assert int(raw[0]) / 2 ** 31 * 2.0 ** -int(bits[0]) == pytest.approx(1 / 3, abs=1e-8)
