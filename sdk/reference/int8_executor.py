"""int8 reference executor: quantized graphs computed exactly as TFLite Micro's reference kernels.

Each kernel accumulates in integers (int64 arrays holding what TFLite Micro keeps in int32),
then requantizes with the multipliers :mod:`sdk.quant.layer_params` derives from the IR's scales
at run time. It matches the pinned ``tflite-micro`` interpreter bit for bit; that is what the
generated C is checked against. Where TFLite Micro and LiteRT disagree, TFLite Micro wins.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.ir.tensor import DTYPES, QuantParams
from sdk.quant import layer_params as lp
from sdk.quant.arith import (
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul as fixed_mul,
    truncating_divide,
)
from sdk.quant.fixed_point import exp_on_negative_values, get_reciprocal, rescale
from sdk.reference.common import bind_inputs, pad_nhwc, sliding_windows


class _Context:
    """What a kernel needs besides its input arrays: the graph's tensors for quant params."""

    def __init__(self, graph: Graph, op: Op) -> None:
        self.graph, self.op = graph, op

    def quant(self, name: str) -> QuantParams:
        q = self.graph.tensors[name].quant
        if q is None:
            raise ShapeError(f"op {self.op.name} ({self.op.type}): tensor {name!r} has no "
                             "quantization parameters")
        return q

    def per_tensor(self, name: str) -> QuantParams:
        q = self.quant(name)
        if q.scale.size != 1:
            raise UnsupportedError(f"per-channel quantization of activation {name!r} in op "
                                   f"{self.op.name}")
        return q

    @property
    def out(self) -> str:
        return self.op.outputs[0]

    def act_range(self) -> tuple[int, int]:
        return lp.activation_range(self.op.attrs.get("activation", "none"),
                                   self.per_tensor(self.out))


def _requantize_accumulators(ctx: _Context, acc: np.ndarray, multipliers: np.ndarray,
                             shifts: np.ndarray) -> np.ndarray:
    """Per-channel requantization of int32 accumulators into the clamped int8 output."""
    out = multiply_by_quantized_multiplier(acc, multipliers, shifts)
    lo, hi = ctx.act_range()
    return np.clip(out + int(ctx.per_tensor(ctx.out).zero_point[0]), lo, hi)


def _centered_input(ctx: _Context, x: np.ndarray) -> np.ndarray:
    """``x - input_zero_point``: padding then contributes zero, as TFLite Micro skips it."""
    return x - int(ctx.per_tensor(ctx.op.inputs[0]).zero_point[0])


def _with_bias(acc: np.ndarray, args: list[np.ndarray]) -> np.ndarray:
    return acc + args[2] if len(args) > 2 else acc


def _conv2d(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    x, w = _centered_input(ctx, args[0]), args[1]
    a = ctx.op.attrs
    win = sliding_windows(pad_nhwc(x, a["padding"]), w.shape[1], w.shape[2], a["stride"], out_shape[1:3],
                   a.get("dilation", (1, 1)))
    acc = _with_bias(np.einsum("nhwijc,oijc->nhwo", win, w), args)
    m, s = lp.conv_multipliers(ctx.quant(ctx.op.inputs[0]), ctx.quant(ctx.op.inputs[1]),
                               ctx.quant(ctx.out), w.shape[0])
    return _requantize_accumulators(ctx, acc, m, s)


def _depthwise(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    x, w = _centered_input(ctx, args[0]), args[1]
    a = ctx.op.attrs
    mult = a.get("depth_multiplier", 1)
    if mult > 1:
        x = np.repeat(x, mult, axis=3)
    win = sliding_windows(pad_nhwc(x, a["padding"]), w.shape[1], w.shape[2], a["stride"], out_shape[1:3],
                   a.get("dilation", (1, 1)))
    acc = _with_bias(np.einsum("nhwijc,ijc->nhwc", win, w[0]), args)
    m, s = lp.conv_multipliers(ctx.quant(ctx.op.inputs[0]), ctx.quant(ctx.op.inputs[1]),
                               ctx.quant(ctx.out), w.shape[3])
    return _requantize_accumulators(ctx, acc, m, s)


def _dense(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    x, w = _centered_input(ctx, args[0]), args[1]
    wq = ctx.quant(ctx.op.inputs[1])
    acc = _with_bias(x @ (w - wq.zero_point.reshape(-1, 1)).T, args)
    m, s = lp.dense_multipliers(ctx.quant(ctx.op.inputs[0]), wq, ctx.quant(ctx.out), w.shape[0])
    return _requantize_accumulators(ctx, acc, m, s)


def _pool_windows(ctx: _Context, x: np.ndarray, out_shape: tuple[int, ...],
                  fill: int) -> np.ndarray:
    kh, kw = ctx.op.attrs["kernel"]
    return sliding_windows(pad_nhwc(x, ctx.op.attrs["padding"], fill), kh, kw, ctx.op.attrs["stride"],
                    out_shape[1:3])


def _max_pool(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    # Below every int8 value, so padding never wins (TFLite Micro skips padded positions).
    lo, hi = ctx.act_range()
    return np.clip(_pool_windows(ctx, args[0], out_shape, -(1 << 16)).max(axis=(3, 4)), lo, hi)


def _avg_pool(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    """Sum of the raw int8 values inside the input over their count, rounded half away from
    zero with C's truncating division: ``(sum +/- count/2) / count``."""
    x = args[0]
    total = _pool_windows(ctx, x, out_shape, 0).sum(axis=(3, 4))
    ones = np.ones(x.shape[:3] + (1,), dtype=np.int64)
    count = _pool_windows(ctx, ones, out_shape, 0).sum(axis=(3, 4))
    half = count // 2
    avg = truncating_divide(np.where(total > 0, total + half, total - half), count)
    lo, hi = ctx.act_range()
    return np.clip(avg, lo, hi)


def _add(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    p = lp.add_params(ctx.per_tensor(ctx.op.inputs[0]), ctx.per_tensor(ctx.op.inputs[1]),
                      ctx.per_tensor(ctx.out), ctx.op.attrs.get("activation", "none"))
    scaled1 = multiply_by_quantized_multiplier((args[0] + p.input1_offset) << p.left_shift,
                                               p.input1_multiplier, p.input1_shift)
    scaled2 = multiply_by_quantized_multiplier((args[1] + p.input2_offset) << p.left_shift,
                                               p.input2_multiplier, p.input2_shift)
    raw = multiply_by_quantized_multiplier(scaled1 + scaled2, p.output_multiplier, p.output_shift)
    return np.clip(raw + p.output_offset, p.activation_min, p.activation_max)


def _softmax(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    """TFLite's int8 softmax: exp of Q5.26 differences from the row maximum, summed in Q12.19,
    multiplied by the fixed-point reciprocal of the sum; output scale 1/256, zero point -128."""
    out_q = ctx.per_tensor(ctx.out)
    if int(out_q.zero_point[0]) != -128 or np.float32(out_q.scale[0]) != np.float32(1 / 256):
        raise UnsupportedError(f"int8 softmax {ctx.op.name} with output scale "
                               f"{out_q.scale[0]} and zero point {out_q.zero_point[0]} "
                               "(TFLite requires 1/256 and -128)")
    p = lp.softmax_params(ctx.per_tensor(ctx.op.inputs[0]), ctx.op.attrs.get("beta", 1.0))
    x = args[0]
    diff = x - x.max(axis=-1, keepdims=True)
    counted = diff >= p.diff_min
    # MultiplyByQuantizedMultiplierGreaterThanOne: a left shift, then the doubling high multiply.
    scaled = fixed_mul(diff << p.input_left_shift, p.input_multiplier)
    exp = exp_on_negative_values(scaled, lp.SOFTMAX_DIFF_INTEGER_BITS)
    exp_accum = rescale(exp, 0, lp.SOFTMAX_ACCUM_INTEGER_BITS)
    sums = np.where(counted, exp_accum, 0).sum(axis=-1, keepdims=True)
    reciprocal, bits_over_unit = get_reciprocal(sums, lp.SOFTMAX_ACCUM_INTEGER_BITS)
    out = rounding_divide_by_pot(fixed_mul(reciprocal, exp), bits_over_unit + 31 - 8) - 128
    return np.where(counted, np.clip(out, lp.INT8_MIN, lp.INT8_MAX), lp.INT8_MIN)


def _quantize(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    out_q = ctx.per_tensor(ctx.out)
    src = ctx.graph.tensors[ctx.op.inputs[0]]
    if src.dtype == "float32":
        return lp.quantize_float(args[0], out_q.scale[0], out_q.zero_point[0])
    if src.dtype != "int8":
        raise UnsupportedError(f"Quantize {ctx.op.name} from {src.dtype}")
    in_q = ctx.per_tensor(src.name)
    m, s = lp.requantize_multiplier(in_q, out_q)
    out = multiply_by_quantized_multiplier(args[0] - int(in_q.zero_point[0]), m, s)
    return np.clip(out + int(out_q.zero_point[0]), lp.INT8_MIN, lp.INT8_MAX)


def _dequantize(ctx: _Context, args: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    q = ctx.per_tensor(ctx.op.inputs[0])
    # double(scale) * (q - zero_point), rounded once to float32.
    return (float(q.scale[0]) * (args[0] - int(q.zero_point[0]))).astype(np.float32)


_KERNELS: dict[str, Callable[[_Context, list[np.ndarray], tuple[int, ...]], np.ndarray]] = {
    "Conv2D": _conv2d,
    "DepthwiseConv2D": _depthwise,
    "Dense": _dense,
    "MaxPool2D": _max_pool,
    "AvgPool2D": _avg_pool,
    "Add": _add,
    "Reshape": lambda ctx, args, shape: args[0].reshape(shape),
    "Softmax": _softmax,
    "Quantize": _quantize,
    "Dequantize": _dequantize,
}


def _as_stored(graph: Graph, name: str, value: np.ndarray) -> np.ndarray:
    """The value cast to its tensor's dtype (computation runs in int64 / float)."""
    return np.asarray(value).astype(DTYPES[graph.tensors[name].dtype])


def _prepare_inputs(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for name, arr in bind_inputs(graph, inputs).items():
        t = graph.tensors[name]
        if t.dtype == "float32":
            values[name] = arr.astype(np.float32)
            continue
        info = np.iinfo(DTYPES[t.dtype])
        if not np.issubdtype(arr.dtype, np.integer) or arr.min() < info.min or arr.max() > info.max:
            raise ShapeError(f"input {name!r}: expected {t.dtype} values, got {arr.dtype} "
                             f"in [{arr.min()}, {arr.max()}]")
        values[name] = arr.astype(np.int64)
    return values


def _execute(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray,
             on_op: Callable[[Op, np.ndarray], None] | None = None) -> dict[str, np.ndarray]:
    values = _prepare_inputs(graph, inputs)
    for t in graph.tensors.values():
        if t.is_constant:
            values[t.name] = t.data.astype(np.int64) if t.dtype != "float32" else t.data
    for op in graph.ops:
        kernel = _KERNELS.get(op.type)
        if kernel is None:
            raise UnsupportedError(f"op {op.name} of type {op.type} in the int8 reference executor")
        out = op.outputs[0]
        result = kernel(_Context(graph, op), [values[i] for i in op.inputs],
                        graph.tensors[out].shape)
        values[out] = result
        if on_op is not None:
            on_op(op, _as_stored(graph, out, result))
    return values


def run_int8(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray,
             keep_intermediates: bool = False) -> dict[str, np.ndarray]:
    """Execute a quantized graph; returns the graph outputs (or every tensor) in their dtypes.

    ``inputs`` maps input names to arrays (int8 values for int8 inputs, floats for float
    inputs that a Quantize op consumes), or is one array for a single-input graph.
    """
    values = _execute(graph, inputs)
    keep = values.keys() if keep_intermediates else graph.outputs
    return {k: _as_stored(graph, k, values[k]) for k in keep}


def trace_int8(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    """Every op's output in execution order, as ``(op name, output tensor, array)``.

    Meant for locating the first layer where a C kernel departs from the reference.
    """
    trace: list[tuple[str, str, np.ndarray]] = []
    _execute(graph, inputs, lambda op, value: trace.append((op.name, op.outputs[0], value)))
    return trace
