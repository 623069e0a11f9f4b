"""Elementwise families: Add (float32, int8; may run in place over either input) and Reshape
(any dtype: an alias, the output is a new view of the input's bytes, no call).

The int8 Add lowers to tp_add_table_s8 (per-layer tables, :mod:`sdk.kernels.add_tables`) when
tables exact for every input pair exist, else to tp_add_s8 (the three requantizations)."""

from __future__ import annotations

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Op
from sdk.kernels.add_tables import add_s8_exact, add_tables
from sdk.kernels.families.conv2d import S8_HEADERS, f32_activation
from sdk.kernels.program import KernelCall, LowerContext, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import ConstTable, Int, struct
from sdk.quant import layer_params as lp
from sdk.reference.context import RefContext, activate

ADD_F32 = CKernel("tp_add_f32", in_place_inputs=(0, 1))
ADD_S8 = CKernel("tp_add_s8", S8_HEADERS, in_place_inputs=(0, 1))
ADD_TABLE_S8 = CKernel("tp_add_table_s8", S8_HEADERS, in_place_inputs=(0, 1))


def add_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """a + b, then the activation."""
    return activate(args[0] + args[1], ctx.attrs.get("activation", "none"))


def add_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """TFLite Micro's int8 add: both inputs offset, shifted left, scaled to a common scale,
    added, and the sum scaled to the output."""
    p = lp.add_params(ctx.per_tensor(ctx.op.inputs[0]), ctx.per_tensor(ctx.op.inputs[1]),
                      ctx.per_tensor(ctx.out), ctx.attrs.get("activation", "none"))
    return add_s8_exact(p, args[0].astype(np.int64), args[1].astype(np.int64))


def lower_add_f32(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_add_f32(activation, a, b, elements, output)."""
    act = f32_activation(op)
    act = struct(act.ctype, "act", **dict(act.fields))
    y = ctx.graph.tensors[op.outputs[0]]
    args = (act, ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), Int(y.size),
            ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, ADD_F32, args, (act,))


def lower_add_s8(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_add_table_s8(tables, a, b, elements, output) when exact tables exist, else
    tp_add_s8(params, a, b, elements, output); same shapes only."""
    g = ctx.graph
    a, b, y = (g.tensors[n] for n in (*op.inputs[:2], op.outputs[0]))
    if not (a.shape == b.shape == y.shape):
        raise UnsupportedError(f"op {op.name} (Add): broadcasting {list(a.shape)} + "
                               f"{list(b.shape)} in the int8 C engine")
    p = lp.add_params(ctx.per_tensor(op, a.name), ctx.per_tensor(op, b.name),
                      ctx.per_tensor(op, y.name), op.attrs.get("activation", "none"))
    io = (ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), Int(y.size),
          ctx.tensor(op.outputs[0]))
    tables = add_tables(p)
    if tables is not None:
        consts = (ConstTable("int32", tables.a, "first input's term per value + 128", "a_table",
                             aligned=True),
                  ConstTable("int32", tables.b, "second input's term per value + 128", "b_table",
                             aligned=True),
                  ConstTable("int8", tables.output, "output per sum >> shift", "output_table"))
        lut = struct("tp_add_tables_s8", "tables", a_table=consts[0], b_table=consts[1],
                     output_table=consts[2], shift=tables.shift)
        return simple_call(ctx, op, ADD_TABLE_S8, (lut, *io), (*consts, lut))
    params = struct("tp_add_params_s8", "params", input1_offset=p.input1_offset,
                    input2_offset=p.input2_offset, output_offset=p.output_offset,
                    left_shift=p.left_shift, input1_multiplier=p.input1_multiplier,
                    input1_shift=p.input1_shift, input2_multiplier=p.input2_multiplier,
                    input2_shift=p.input2_shift, output_multiplier=p.output_multiplier,
                    output_shift=p.output_shift,
                    activation=struct("tp_activation_s8", min=p.activation_min,
                                      max=p.activation_max))
    return simple_call(ctx, op, ADD_S8, (params, *io), (params,))


def reshape(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """The same values in the output's shape (NHWC order kept)."""
    return args[0].reshape(ctx.out_shape)


register_family(Family("Add", "float32", None, None, add_f32, lower_add_f32, ADD_F32))
register_family(Family("Add", "int8", None, None, add_s8, lower_add_s8, ADD_S8))
for _dtype in ("float32", "int8"):
    register_family(Family("Reshape", _dtype, None, None, reshape, None, None))
