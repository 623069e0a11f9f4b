"""Integer parameters of each int8 op, derived from the IR's scales as TFLite Micro's Prepare does.

The IR stores real scales (float64 holding the float32 values of the .tflite file); kernels need
int32 multipliers, shifts, offsets and clamp bounds. Each function here reproduces one TFLite
Micro Prepare step, including where it computes in float32 rather than double, because a
multiplier that differs in its last bit changes outputs. The numpy reference executor and the
C code generator both take their parameters from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.tensor import QuantParams
from sdk.quant.arith import quantize_multiplier, quantize_multipliers, tflite_round

INT8_MIN, INT8_MAX = -128, 127

# Softmax's exp() input is Q5.26, its sum Q12.19 (TFLite's kScaledDiffIntegerBits and
# kAccumulationIntegerBits).
SOFTMAX_DIFF_INTEGER_BITS = 5
SOFTMAX_ACCUM_INTEGER_BITS = 12

# ADD scales both inputs up by 2**20 before rescaling so that little precision is lost.
ADD_LEFT_SHIFT = 20


def _f32(value: np.ndarray | float) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def quantize_float(x: np.ndarray | float, scale: float, zero_point: int,
                   qmin: int = INT8_MIN, qmax: int = INT8_MAX) -> np.ndarray:
    """``round(x / scale) + zero_point`` clamped, in float32 as TFLite's AffineQuantize."""
    q = tflite_round(_f32(x) / _f32(scale)).astype(np.int64) + int(zero_point)
    return np.clip(q, qmin, qmax)


def activation_range(activation: str, out: QuantParams) -> tuple[int, int]:
    """int8 clamp bounds of a fused activation (CalculateActivationRangeQuantized)."""
    scale, zero_point = float(out.scale[0]), int(out.zero_point[0])
    if activation == "none":
        return INT8_MIN, INT8_MAX
    low = max(INT8_MIN, int(quantize_float(0.0, scale, zero_point, -2**31, 2**31 - 1)))
    if activation == "relu":
        return low, INT8_MAX
    if activation == "relu6":
        return low, min(INT8_MAX, int(quantize_float(6.0, scale, zero_point, -2**31, 2**31 - 1)))
    raise UnsupportedError(f"fused activation {activation!r} in int8 ops")


def conv_multipliers(inp: QuantParams, weights: QuantParams, out: QuantParams,
                     channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel ``(multipliers, shifts)`` of Conv2D, DepthwiseConv2D and per-channel
    Dense: ``input_scale * weight_scale[c] / output_scale`` in double.

    Per-tensor weight scales are broadcast to every channel, as TFLite Micro does.
    """
    w_scale = np.broadcast_to(weights.scale, (channels,))
    # Each float32 scale is widened to double first; the product is never rounded to float32.
    real = float(inp.scale[0]) * w_scale.astype(np.float64) / float(out.scale[0])
    return quantize_multipliers(real)


def dense_multipliers(inp: QuantParams, weights: QuantParams, out: QuantParams,
                      channels: int) -> tuple[np.ndarray, np.ndarray]:
    """``(multipliers, shifts)`` of Dense (FULLY_CONNECTED), one per output unit.

    With per-tensor weights TFLite Micro multiplies input and weight scale in *float32*
    (GetQuantizedConvolutionMultipler) before dividing by the output scale in double.
    """
    if weights.per_channel and weights.scale.size > 1:
        return conv_multipliers(inp, weights, out, channels)
    product = float(_f32(inp.scale[0]) * _f32(weights.scale[0]))
    multiplier, shift = quantize_multiplier(product / float(out.scale[0]))
    return (np.full(channels, multiplier, dtype=np.int64), np.full(channels, shift, dtype=np.int64))


@dataclass(frozen=True)
class AddParams:
    """Integer parameters of an int8 ADD (TFLite Micro's OpDataAdd)."""

    input1_offset: int
    input2_offset: int
    output_offset: int
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    activation_min: int
    activation_max: int


def add_params(in1: QuantParams, in2: QuantParams, out: QuantParams,
               activation: str) -> AddParams:
    """Rescale both inputs to twice the larger input scale, then to the output scale."""
    s1, s2, so = (float(_f32(q.scale[0])) for q in (in1, in2, out))
    twice_max_input_scale = 2.0 * max(s1, s2)
    m1, sh1 = quantize_multiplier(s1 / twice_max_input_scale)
    m2, sh2 = quantize_multiplier(s2 / twice_max_input_scale)
    mo, sho = quantize_multiplier(twice_max_input_scale / ((1 << ADD_LEFT_SHIFT) * so))
    lo, hi = activation_range(activation, out)
    return AddParams(-int(in1.zero_point[0]), -int(in2.zero_point[0]), int(out.zero_point[0]),
                     ADD_LEFT_SHIFT, m1, sh1, m2, sh2, mo, sho, lo, hi)


@dataclass(frozen=True)
class SoftmaxParams:
    """Integer parameters of an int8 softmax (TFLite's SoftmaxParams)."""

    input_multiplier: int
    input_left_shift: int
    diff_min: int


def softmax_params(inp: QuantParams, beta: float) -> SoftmaxParams:
    """Scale input differences into Q5.26 and find the smallest difference that still counts.

    (PreprocessSoftmaxScaling and CalculateInputRadius; beta is a float32 in the .tflite file.)
    """
    bits = SOFTMAX_DIFF_INTEGER_BITS
    real = min(float(_f32(beta)) * float(inp.scale[0]) * (1 << (31 - bits)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    max_input_rescaled = ((1 << bits) - 1) * (1 << (31 - bits)) / (1 << left_shift)
    return SoftmaxParams(multiplier, left_shift, -int(np.floor(max_input_rescaled)))


def requantize_multiplier(inp: QuantParams, out: QuantParams) -> tuple[int, int]:
    """``(multiplier, shift)`` of an int8 -> int8 QUANTIZE: ``input_scale / output_scale``."""
    return quantize_multiplier(float(inp.scale[0]) / float(out.scale[0]))
