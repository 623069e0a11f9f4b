"""Semantic checks of a graph's values, run by :meth:`Graph.validate` on every entry path
(.tpm load, .tflite import, conversion, save): what a structurally sound graph may still get
wrong. Each failure is one :class:`GraphError` naming the tensor or op, the field, what was
found and what was expected.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sdk.errors import TinypruneError, UnsupportedError
from sdk.ir.tensor import DTYPES, Tensor

if TYPE_CHECKING:
    from sdk.ir.graph import Graph, Op

# Quantization scales are float32 in every format tinyprune reads or writes.
_F32 = np.finfo(np.float32)
# quantize_multiplier gives real = m * 2**(shift - 31); the engines shift left by at most 31.
_MAX_MULTIPLIER = 2.0 ** 31
_WEIGHTED = ("Conv2D", "DepthwiseConv2D", "Dense")


class GraphValueError(TinypruneError):
    """A graph's values are out of range: a scale, zero point, stride, padding or constant."""


def check_tensors(graph: Graph) -> None:
    """Check that ``graph`` has inputs and outputs, and every tensor's shape, constant and
    quantization parameters."""
    if not graph.inputs:
        raise GraphValueError("the graph has no input")
    if not graph.outputs:
        raise GraphValueError("the graph has no output; expected at least one")
    for t in graph.tensors.values():
        _check_tensor(t)


def check_op_attrs(op: Op) -> None:
    """Check an op's window attributes (strides, dilations, kernel, padding) and Softmax beta,
    before any shape arithmetic divides by them."""
    _ints(op, "stride", 2, 1)
    _ints(op, "dilation", 2, 1)
    _ints(op, "kernel", 2, 1)
    _ints(op, "padding", 4, 0)
    if op.type == "Softmax":
        beta = op.attrs.get("beta")
        if not isinstance(beta, (int, float)) or not math.isfinite(beta) or beta <= 0:
            raise GraphValueError(f"op {op.name} (Softmax): beta {beta!r}; expected a positive "
                                  "finite number")


def check_dtypes(graph: Graph, op: Op) -> None:
    """A float op reads float weights and biases, a quantized one integer ones; Add's inputs
    share their dtype."""
    x = graph.tensors[op.inputs[0]].dtype
    if op.type in _WEIGHTED:
        for name in op.inputs[1:]:
            t = graph.tensors[name]
            if x == "float32" and t.dtype != "float32":
                raise UnsupportedError(f"op {op.name} ({op.type}) on float32 activations with "
                                       f"{t.dtype} parameter {name!r} (hybrid quantization); "
                                       "quantize the activations too, or keep float weights")
            if x != "float32" and t.dtype == "float32":
                raise GraphValueError(f"op {op.name} ({op.type}): input {op.inputs[0]!r} is {x} "
                                      f"but {name!r} is {t.dtype}; expected integer parameters")
    elif op.type == "Add" and graph.tensors[op.inputs[1]].dtype != x:
        raise GraphValueError(f"op {op.name} (Add): inputs are {x} and "
                              f"{graph.tensors[op.inputs[1]].dtype}; expected one dtype")


def check_multipliers(graph: Graph) -> None:
    """Check every quantized op's requantization multiplier."""
    for op in graph.ops:
        if op.type in _WEIGHTED or op.type in ("Quantize", "Add", "AvgPool2D", "MaxPool2D"):
            _check_multipliers(graph, op)


def _check_tensor(t: Tensor) -> None:
    if any(d < 1 for d in t.shape):
        raise GraphValueError(f"tensor {t.name!r}: shape {list(t.shape)} has a dimension below 1")
    if t.data is not None and t.data.dtype.kind == "f" and not np.all(np.isfinite(t.data)):
        bad = int(np.count_nonzero(~np.isfinite(t.data)))
        raise GraphValueError(f"tensor {t.name!r}: {bad} non-finite constant values (NaN or "
                              "infinity); expected finite weights")
    if t.mask is not None and np.shape(t.mask) != t.shape:
        raise GraphValueError(f"tensor {t.name!r}: mask shape {list(np.shape(t.mask))}, "
                              f"expected {list(t.shape)}")
    if t.mask is not None and t.data is not None and np.any(t.data[~np.asarray(t.mask, bool)]):
        bad = int(np.count_nonzero(t.data[~np.asarray(t.mask, bool)]))
        raise GraphValueError(f"tensor {t.name!r}: {bad} weights its pruning mask removes are not "
                              "zero; expected zeros wherever the mask is False")
    q = t.quant
    if q is None:
        return
    scale = q.scale
    if scale.size == 0:
        raise GraphValueError(f"tensor {t.name!r}: quantization has no scale")
    if not np.all(np.isfinite(scale)) or np.any(scale < _F32.tiny) or np.any(scale > _F32.max):
        bad = scale[~(np.isfinite(scale) & (scale >= _F32.tiny) & (scale <= _F32.max))][0]
        raise GraphValueError(f"tensor {t.name!r}: quantization scale {bad!r}; expected a "
                              f"positive finite float32 ({_F32.tiny:.3g}..{_F32.max:.3g})")
    if t.dtype != "float32":
        info = np.iinfo(DTYPES[t.dtype])
        zp = q.zero_point
        if np.any(zp < info.min) or np.any(zp > info.max):
            bad = int(zp[(zp < info.min) | (zp > info.max)][0])
            raise GraphValueError(f"tensor {t.name!r}: zero point {bad} outside {t.dtype} "
                                  f"({info.min}..{info.max})")
    if q.axis is not None:
        if not isinstance(q.axis, int) or not 0 <= q.axis < len(t.shape):
            raise GraphValueError(f"tensor {t.name!r}: quantization axis {q.axis!r}; expected "
                                  f"0..{len(t.shape) - 1}")
        if scale.size not in (1, t.shape[q.axis]):
            raise GraphValueError(f"tensor {t.name!r}: {scale.size} scales along axis {q.axis}, "
                                  f"expected {t.shape[q.axis]}")


def _ints(op: Op, key: str, count: int, least: int) -> None:
    value = op.attrs.get(key)
    if value is None:
        return
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(items) != count or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                      and v >= least for v in items):
        raise GraphValueError(f"op {op.name} ({op.type}): attribute {key!r} is {value!r}; "
                              f"expected {count} integers >= {least}")


def _check_multipliers(graph: Graph, op: Op) -> None:
    """The requantization multiplier of a quantized op must be representable as Q31 and a
    left shift of at most 31."""
    out = graph.tensors[op.outputs[0]]
    inp = graph.tensors[op.inputs[0]]
    if out.quant is None or inp.quant is None or out.dtype == "float32" or inp.dtype == "float32":
        return
    real = float(np.max(inp.quant.scale)) / float(np.min(out.quant.scale))
    if op.type in _WEIGHTED:
        w = graph.tensors[op.inputs[1]].quant
        if w is None:
            raise GraphValueError(f"op {op.name} ({op.type}): quantized input but weights "
                                  f"{op.inputs[1]!r} have no quantization parameters")
        real *= float(np.max(w.scale))
    if not math.isfinite(real) or real >= _MAX_MULTIPLIER:
        raise GraphValueError(f"op {op.name} ({op.type}): requantization multiplier {real:.3g} "
                              f"(input x weight / output scale); expected below 2**31")
