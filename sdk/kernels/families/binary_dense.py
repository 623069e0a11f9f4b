"""BinaryDense: a fully connected layer with binary (+1/-1) weights, on binary or int8 input.

Inputs ``[x, w, t]``: x [N, K] ``"binary"`` or ``"int8"``, w [O, K] binary (storage
``"bitpacked"``), t int32 [O]; the outputs as BinaryConv2D's (:mod:`binary_conv`): +1/-1 by
``dot >= t[o]``, or int8 from ``dot + t[o]``. Attribute ``group`` (default K): the number of
inputs per packing group (:mod:`sdk.kernels.bitpack`); after a Flatten of a binary NHWC tensor
with C channels it is C, so the flattened input keeps its per-pixel packing (no data moves)
and the weights are packed in the same groups.
"""

from __future__ import annotations

import numpy as np

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir.graph import Op
from sdk.ir.ops import OpSpec, register_op
from sdk.kernels.families.binary_conv import binary_output
from sdk.kernels.program import KernelCall, LowerContext
from sdk.kernels.registry import Family, register_family
from sdk.reference.context import RefContext


def _shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    x, w, t = ins
    if len(w) != 2:
        raise ShapeError(f"BinaryDense: weights must be [out, in], got {list(w)}")
    if len(x) != 2 or x[1] != w[1]:
        raise ShapeError(f"BinaryDense: input must be [batch, {w[1]}], got {list(x)}")
    if tuple(t) != (w[0],):
        raise ShapeError(f"BinaryDense: thresholds must be [{w[0]}], got {list(t)}")
    group = int(attrs.get("group", w[1]))
    if group <= 0 or w[1] % group:
        raise ShapeError(f"BinaryDense: group {group} does not divide the {w[1]} inputs")
    return (x[0], w[0])


def _macs(ins: list[tuple[int, ...]], out: tuple[int, ...], attrs: dict) -> int:
    return out[0] * out[1] * ins[1][1]


SPEC = register_op(OpSpec("BinaryDense", 3, 3, (), _shape, _macs))


def group_of(attrs: dict, inputs: int) -> int:
    """The packing group of a BinaryDense layer with ``inputs`` inputs."""
    return int(attrs.get("group", inputs))


def reference(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """x @ w.T (an int8 input centered on its zero point), then threshold or requantize."""
    x = args[0].astype(np.int64)
    if ctx.graph.tensors[ctx.op.inputs[0]].dtype == "int8":
        x = ctx.centered_input(x)
    return binary_output(ctx, x @ args[1].astype(np.int64).T, args[2].astype(np.int64))


def lower(ctx: LowerContext, op: Op) -> KernelCall:
    """Not yet in the C engine."""
    raise UnsupportedError(f"not supported: op {op.name} (BinaryDense) in the C engine")


for _act in ("binary", "int8"):
    register_family(Family("BinaryDense", _act, "binary", "bitpacked", reference, lower, None))
