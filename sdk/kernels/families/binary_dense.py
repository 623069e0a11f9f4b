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

from sdk.errors import ShapeError
from sdk.ir.graph import Op
from sdk.ir.ops import OpSpec, register_op
from sdk.kernels.bitpack import graph_word_bits
from sdk.kernels.families.binary_conv import (
    B1_HEADERS,
    activation,
    binary_output,
    kernel_name,
    oc_call,
    threshold_tables,
    word_table,
)
from sdk.kernels.program import KernelCall, LowerContext, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import struct
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



# A binary input and output lowers to the output-channel convolution (_as_oc_conv).
DENSE_KERNELS = {name: CKernel(name, B1_HEADERS) for name in (
    "tp_binary_fully_connected_b1_s8",
    "tp_binary_fully_connected_s8in_b1", "tp_binary_fully_connected_s8in_s8")}


def lower(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_binary_fully_connected_*(params, [quant,] in dims, input, weights, thresholds /
    biases, out dims, output); a binary input and output: tp_binary_conv_b1_oc."""
    g = ctx.graph
    w = g.tensors[op.inputs[1]]
    n_out, k = w.shape
    group = group_of(op.attrs, k)
    binary_in = g.tensors[op.inputs[0]].dtype == "binary"
    out, table, quant, out_off = threshold_tables(ctx, op, k)
    if binary_in and out == "b1":
        return _as_oc_conv(ctx, op, group, table.data.astype(np.int64) + 1)
    kernel = DENSE_KERNELS[kernel_name("fully_connected", ctx, op, out)]
    din, dout = ctx.io_dims(op)
    in_off = 0 if binary_in else -int(ctx.per_tensor(op, op.inputs[0]).zero_point[0])
    params = struct("tp_binary_fc_params", "params", group=group, input_offset=in_off,
                    output_offset=out_off, activation=activation(ctx, op))
    weights = word_table(ctx, op.inputs[1], group, flat=not binary_in)
    head = (params,) if quant is None else (params, quant)
    args = (*head, din, ctx.tensor(op.inputs[0]), weights, table, dout,
            ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, kernel, args, (*head[1:], weights, table, din, dout, params))


def _as_oc_conv(ctx: LowerContext, op: Op, group: int, bound: np.ndarray) -> KernelCall:
    """A binary-to-binary dense layer as the output-channel convolution
    (tp_binary_conv_b1_oc): its K inputs are K / group pixels of one group each, packed
    exactly as a 1 x (K / group) image of ``group`` channels, and the layer is that image's
    one VALID 1 x (K / group) window."""
    g = ctx.graph
    w = g.tensors[op.inputs[1]]
    n_out, k = w.shape
    batch = g.tensors[op.inputs[0]].shape[0]
    weights = w.const_data().reshape(n_out, 1, k // group, group)
    params = struct("tp_binary_conv_params", "params", stride=struct("tp_tile", h=1, w=1),
                    padding=struct("tp_padding", top=0, left=0), input_offset=0,
                    output_offset=0, activation=activation(ctx, op))
    statics = (params, ctx.dims("in", (batch, 1, k // group, group)),
               ctx.dims("out", (batch, 1, 1, n_out)), ctx.dims("filter", weights.shape))
    return oc_call(ctx, op, weights, bound, statics, graph_word_bits(g.metadata))


for _act in ("binary", "int8"):
    register_family(Family("BinaryDense", _act, "binary", "bitpacked", reference, lower, None))
