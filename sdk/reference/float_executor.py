"""Float reference executor for the IR (the golden model for float graphs).

Each op is written as plainly as possible in numpy, in float64 with a final cast to float32,
so that it states the math rather than mirrors any kernel's loop order.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.reference.common import bind_inputs, pad_nhwc, sliding_windows


def _activate(x: np.ndarray, act: str) -> np.ndarray:
    if act == "relu":
        return np.maximum(x, 0.0)
    if act == "relu6":
        return np.clip(x, 0.0, 6.0)
    return x


def _conv2d(op: Op, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, out_shape) -> np.ndarray:
    win = sliding_windows(pad_nhwc(x, op.attrs["padding"]), w.shape[1], w.shape[2], op.attrs["stride"],
                   out_shape[1:3], op.attrs.get("dilation", (1, 1)))
    y = np.einsum("nhwijc,oijc->nhwo", win, w, optimize=True)
    return y + (b if b is not None else 0.0)


def _depthwise(op: Op, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
               out_shape) -> np.ndarray:
    mult = op.attrs.get("depth_multiplier", 1)
    x = np.repeat(x, mult, axis=3) if mult > 1 else x
    win = sliding_windows(pad_nhwc(x, op.attrs["padding"]), w.shape[1], w.shape[2], op.attrs["stride"],
                   out_shape[1:3], op.attrs.get("dilation", (1, 1)))
    y = np.einsum("nhwijc,ijc->nhwc", win, w[0], optimize=True)
    return y + (b if b is not None else 0.0)


def _max_pool(op: Op, x: np.ndarray, out_shape) -> np.ndarray:
    kh, kw = op.attrs["kernel"]
    win = sliding_windows(pad_nhwc(x, op.attrs["padding"], -np.inf), kh, kw, op.attrs["stride"],
                   out_shape[1:3])
    return win.max(axis=(3, 4))


def _avg_pool(op: Op, x: np.ndarray, out_shape) -> np.ndarray:
    """Average over the window's elements that lie inside the input (TFLite semantics)."""
    kh, kw = op.attrs["kernel"]
    ones = np.ones(x.shape[:3] + (1,))
    total = sliding_windows(pad_nhwc(x, op.attrs["padding"]), kh, kw, op.attrs["stride"],
                     out_shape[1:3]).sum(axis=(3, 4))
    count = sliding_windows(pad_nhwc(ones, op.attrs["padding"]), kh, kw, op.attrs["stride"],
                     out_shape[1:3]).sum(axis=(3, 4))
    return total / count


def _softmax(op: Op, x: np.ndarray) -> np.ndarray:
    z = x * op.attrs.get("beta", 1.0)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _eval(op: Op, args: list[np.ndarray | None], out_shape: tuple[int, ...]) -> np.ndarray:
    bias = args[2] if len(args) > 2 else None
    handlers: dict[str, Callable[[], np.ndarray]] = {
        "Conv2D": lambda: _conv2d(op, args[0], args[1], bias, out_shape),
        "DepthwiseConv2D": lambda: _depthwise(op, args[0], args[1], bias, out_shape),
        "MaxPool2D": lambda: _max_pool(op, args[0], out_shape),
        "AvgPool2D": lambda: _avg_pool(op, args[0], out_shape),
        "Dense": lambda: args[0] @ args[1].T + (bias if bias is not None else 0.0),
        "Reshape": lambda: args[0].reshape(out_shape),
        "Add": lambda: args[0] + args[1],
        "Softmax": lambda: _softmax(op, args[0]),
    }
    if op.type not in handlers:
        raise UnsupportedError(f"op {op.name} of type {op.type} in the float reference executor")
    return _activate(handlers[op.type](), op.attrs.get("activation", "none"))


def run_float(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray,
              keep_intermediates: bool = False) -> dict[str, np.ndarray]:
    """Execute a float graph; returns the graph outputs (or every tensor) as float32 arrays.

    ``inputs`` maps input names to arrays, or is one array for a single-input graph.
    """
    values = {name: arr.astype(np.float64) for name, arr in bind_inputs(graph, inputs).items()}
    for t in graph.tensors.values():
        if t.is_constant:
            if t.dtype != "float32":
                raise UnsupportedError(f"tensor {t.name} of dtype {t.dtype} in the float executor")
            values[t.name] = t.data.astype(np.float64)
    for op in graph.ops:
        args = [values[i] for i in op.inputs]
        values[op.outputs[0]] = _eval(op, args, graph.tensors[op.outputs[0]].shape)
    keep = values.keys() if keep_intermediates else graph.outputs
    return {k: values[k].astype(np.float32) for k in keep}
