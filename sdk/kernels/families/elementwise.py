"""Elementwise families: Add (float32, int8; may run in place over either input) and Reshape
(any dtype: an alias, the output is a new view of the input's bytes, no call)."""

from __future__ import annotations

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Op
from sdk.kernels.families.conv2d import S8_HEADERS, f32_activation
from sdk.kernels.program import KernelCall, LowerContext, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import Int, struct
from sdk.quant import layer_params as lp
from sdk.quant.arith import multiply_by_quantized_multiplier
from sdk.reference.context import RefContext, activate

ADD_F32 = CKernel("tp_add_f32", in_place_inputs=(0, 1))
ADD_S8 = CKernel("tp_add_s8", S8_HEADERS, in_place_inputs=(0, 1))


def add_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """a + b, then the activation."""
    return activate(args[0] + args[1], ctx.attrs.get("activation", "none"))


def add_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """TFLite Micro's int8 add: both inputs offset, shifted left, scaled to a common scale,
    added, and the sum scaled to the output."""
    p = lp.add_params(ctx.per_tensor(ctx.op.inputs[0]), ctx.per_tensor(ctx.op.inputs[1]),
                      ctx.per_tensor(ctx.out), ctx.attrs.get("activation", "none"))
    scaled1 = multiply_by_quantized_multiplier((args[0] + p.input1_offset) << p.left_shift,
                                               p.input1_multiplier, p.input1_shift)
    scaled2 = multiply_by_quantized_multiplier((args[1] + p.input2_offset) << p.left_shift,
                                               p.input2_multiplier, p.input2_shift)
    raw = multiply_by_quantized_multiplier(scaled1 + scaled2, p.output_multiplier, p.output_shift)
    return np.clip(raw + p.output_offset, p.activation_min, p.activation_max)


def lower_add_f32(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_add_f32(activation, a, b, elements, output)."""
    act = f32_activation(op)
    act = struct(act.ctype, "act", **dict(act.fields))
    y = ctx.graph.tensors[op.outputs[0]]
    args = (act, ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), Int(y.size),
            ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, ADD_F32, args, (act,))


def lower_add_s8(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_add_s8(params, a, b, elements, output); same shapes only."""
    g = ctx.graph
    a, b, y = (g.tensors[n] for n in (*op.inputs[:2], op.outputs[0]))
    if not (a.shape == b.shape == y.shape):
        raise UnsupportedError(f"op {op.name} (Add): broadcasting {list(a.shape)} + "
                               f"{list(b.shape)} in the int8 C engine")
    p = lp.add_params(ctx.per_tensor(op, a.name), ctx.per_tensor(op, b.name),
                      ctx.per_tensor(op, y.name), op.attrs.get("activation", "none"))
    params = struct("tp_add_params_s8", "params", input1_offset=p.input1_offset,
                    input2_offset=p.input2_offset, output_offset=p.output_offset,
                    left_shift=p.left_shift, input1_multiplier=p.input1_multiplier,
                    input1_shift=p.input1_shift, input2_multiplier=p.input2_multiplier,
                    input2_shift=p.input2_shift, output_multiplier=p.output_multiplier,
                    output_shift=p.output_shift,
                    activation=struct("tp_activation_s8", min=p.activation_min,
                                      max=p.activation_max))
    args = (params, ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), Int(y.size),
            ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, ADD_S8, args, (params,))


def reshape(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """The same values in the output's shape (NHWC order kept)."""
    return args[0].reshape(ctx.out_shape)


register_family(Family("Add", "float32", None, None, add_f32, lower_add_f32, ADD_F32))
register_family(Family("Add", "int8", None, None, add_s8, lower_add_s8, ADD_S8))
for _dtype in ("float32", "int8"):
    register_family(Family("Reshape", _dtype, None, None, reshape, None, None))
