"""int8 reference executor: quantized graphs computed exactly as TFLite Micro's reference kernels.

Each op runs its kernel family's reference (:mod:`sdk.kernels.families`): integer kernels
accumulate in integers (int64 arrays holding what TFLite Micro keeps in int32), then requantize
with the multipliers :mod:`sdk.quant.layer_params` derives from the IR's scales at run time.
It matches the pinned ``tflite-micro`` interpreter bit for bit; that is what the generated C is
checked against. Where TFLite Micro and LiteRT disagree, TFLite Micro wins. Families of other
dtypes (registered elsewhere) run the same way, on int64 values of their integer tensors.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sdk.errors import ShapeError
from sdk.ir.graph import Graph, Op
from sdk.ir.tensor import DTYPES
from sdk.kernels.registry import family_for
from sdk.reference.common import bind_inputs
from sdk.reference.context import RefContext


def _as_stored(graph: Graph, name: str, value: np.ndarray) -> np.ndarray:
    """The value cast to its tensor's dtype (computation runs in int64 / float)."""
    return np.asarray(value).astype(DTYPES[graph.tensors[name].dtype])


def _prepare_inputs(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray
                    ) -> dict[str, np.ndarray]:
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
             on_op: Callable[[Op, np.ndarray], None] | None = None,
             after_op: Callable[[Op, np.ndarray], np.ndarray] | None = None
             ) -> dict[str, np.ndarray]:
    values = _prepare_inputs(graph, inputs)
    for t in graph.tensors.values():
        if t.data is not None:
            values[t.name] = t.data.astype(np.int64) if t.dtype != "float32" else t.data
    for op in graph.ops:
        family = family_for(graph, op, "the int8 reference executor")
        out = op.outputs[0]
        result = family.reference(RefContext(graph, op), [values[i] for i in op.inputs])
        if after_op is not None:
            result = after_op(op, result)
        values[out] = result
        if on_op is not None:
            on_op(op, _as_stored(graph, out, result))
    return values


def run_int8(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray,
             keep_intermediates: bool = False,
             after_op: Callable[[Op, np.ndarray], np.ndarray] | None = None
             ) -> dict[str, np.ndarray]:
    """Execute a quantized graph; returns the graph outputs (or every tensor) in their dtypes.

    ``inputs`` maps input names to arrays (int8 values for int8 inputs, floats for float
    inputs that a Quantize op consumes), or is one array for a single-input graph.
    ``after_op(op, output)`` (optional) replaces each op's output before the next op reads it
    (bit errors in activations: :mod:`sdk.bnn.bit_errors`).
    """
    values = _execute(graph, inputs, after_op=after_op)
    keep = values.keys() if keep_intermediates else graph.outputs
    return {k: _as_stored(graph, k, values[k]) for k in keep}


def trace_int8(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray
               ) -> list[tuple[str, str, np.ndarray]]:
    """Every op's output in execution order, as ``(op name, output tensor, array)``.

    Meant for locating the first layer where a C kernel departs from the reference.
    """
    trace: list[tuple[str, str, np.ndarray]] = []
    _execute(graph, inputs, lambda op, value: trace.append((op.name, op.outputs[0], value)))
    return trace
