"""Dense (fully connected) families: float32 (tp_fully_connected_f32) and int8 with int8
dense weights (tp_fully_connected_s8). Weights are [outputs, inputs]; the input is
[batch, inputs]."""

from __future__ import annotations

import numpy as np

from sdk.ir.graph import Op
from sdk.kernels.families.conv2d import S8_HEADERS, f32_activation
from sdk.kernels.program import KernelCall, LowerContext, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.requant import Requant, requantization
from sdk.kernels.values import ConstTable, struct
from sdk.quant import layer_params as lp
from sdk.reference.context import RefContext, activate, with_bias


def reference_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """x @ w.T + bias, then the activation."""
    return activate(with_bias(args[0] @ args[1].T, args), ctx.attrs.get("activation", "none"))


def reference_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """TFLite Micro's int8 fully connected layer, requantized per output unit."""
    x, w = ctx.centered_input(args[0]), args[1]
    wq = ctx.quant(ctx.op.inputs[1])
    acc = with_bias(x @ (w - wq.zero_point.reshape(-1, 1)).T, args)
    m, s = lp.dense_multipliers(ctx.quant(ctx.op.inputs[0]), wq, ctx.quant(ctx.out), w.shape[0])
    return ctx.requantize(acc, m, s)


F32_KERNEL = CKernel("tp_fully_connected_f32")
S8_KERNEL = CKernel("tp_fully_connected_s8", S8_HEADERS)


def lower_f32(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_fully_connected_f32(params, in dims, input, weights, bias, out dims, output)."""
    din, dout = ctx.io_dims(op)
    params = struct("tp_fc_params_f32", "params", activation=f32_activation(op))
    args = (params, din, ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]),
            ctx.optional(op, 2), dout, ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, F32_KERNEL, args, (din, dout, params))


def dense_requantization(ctx: LowerContext, op: Op) -> tuple[Requant, ConstTable, int]:
    """The int8 Dense layer's requantization, its bias with the input offset folded in, and
    1 when the units need their own multipliers and shifts (0: one pair serves them all)."""
    g = ctx.graph
    w = g.tensors[op.inputs[1]]
    inq, outq = ctx.per_tensor(op, op.inputs[0]), ctx.per_tensor(op, op.outputs[0])
    n_out = w.shape[0]
    m, shifts = lp.dense_multipliers(inq, ctx.symmetric_weights(op), outq, n_out)
    per_channel = int(bool(np.any(m != m[0]) or np.any(shifts != shifts[0])))
    if not per_channel:
        m, shifts = m[:1], shifts[:1]
    bias = (g.tensors[op.inputs[2]].const_data().astype(np.int64) if len(op.inputs) > 2
            else np.zeros(n_out, dtype=np.int64))
    rq = requantization(op, "", m, shifts, w.const_data().astype(np.int64), bias,
                        input_offset=-int(inq.zero_point[0]), input_magnitude=128)
    assert rq.bias is not None  # folded: input_offset is given
    return rq, rq.bias, per_channel


def lower_s8(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_fully_connected_s8(params, quant, in dims, input, weights, folded bias, out dims,
    output). One multiplier and shift for all units when they are all equal; weights
    interleaved in blocks of 4 outputs x 4 inputs (the order tp_s8_fc4 reads) when both
    counts are multiples of 4."""
    w = ctx.graph.tensors[op.inputs[1]]
    n_out, n_in = w.shape
    rq, bias, per_channel = dense_requantization(ctx, op)
    interleaved = int(n_out % 4 == 0 and n_in % 4 == 0)
    if interleaved:
        order = w.const_data().reshape(n_out // 4, 4, n_in // 4, 4).transpose(0, 2, 1, 3)
        weights = ConstTable("int8", order.ravel(), f"weights {list(w.shape)}, 4x4 interleaved",
                             "weights", aligned=True)
    else:
        weights = ctx.const(op.inputs[1])
    din, dout = ctx.io_dims(op)
    out_zero_point = int(ctx.per_tensor(op, op.outputs[0]).zero_point[0])
    params = struct("tp_fc_params_s8", "params", output_offset=out_zero_point,
                    per_channel=per_channel, activation=ctx.act_s8(op), fast_requant=rq.fast,
                    interleaved=interleaved)
    args = (params, rq.quant, din, ctx.tensor(op.inputs[0]), weights, bias, dout,
            ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, S8_KERNEL, args,
                       (*rq.tables, rq.quant, bias, weights, din, dout, params))


register_family(Family("Dense", "float32", "float32", "dense", reference_f32, lower_f32,
                       F32_KERNEL))
register_family(Family("Dense", "int8", "int8", "dense", reference_s8, lower_s8, S8_KERNEL))
