"""Dense (fully connected) layers with sparse weights (``sparse_csr``): int8
(tp_fully_connected_sparse_s8) and float32 (tp_fully_connected_sparse_f32), one segment per
output unit. The references are the dense families' (same values, another storage)."""

from __future__ import annotations

from sdk.ir.graph import Op
from sdk.kernels.families import dense
from sdk.kernels.families.conv2d import S8_HEADERS, f32_activation
from sdk.kernels.families.conv_sparse import HEADERS, SPARSE, sparse_tables
from sdk.kernels.program import KernelCall, LowerContext, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import struct

F32_KERNEL = CKernel("tp_fully_connected_sparse_f32", HEADERS)
S8_KERNEL = CKernel("tp_fully_connected_sparse_s8", (*S8_HEADERS, *HEADERS))


def lower_f32(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_fully_connected_sparse_f32(params, in dims, input, weights, bias, out dims, output)."""
    din, dout = ctx.io_dims(op)
    tables = sparse_tables(ctx, op.inputs[1], "")
    params = struct("tp_fc_params_f32", "params", activation=f32_activation(op))
    args = (params, din, ctx.tensor(op.inputs[0]), tables, ctx.optional(op, 2), dout,
            ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, F32_KERNEL, args, (din, dout, tables, params))


def lower_s8(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_fully_connected_sparse_s8(params, quant, in dims, input, weights, folded bias, out
    dims, output); requantization as the dense family's."""
    rq, bias, per_channel = dense.dense_requantization(ctx, op)
    tables = sparse_tables(ctx, op.inputs[1], "")
    din, dout = ctx.io_dims(op)
    out_zero_point = int(ctx.per_tensor(op, op.outputs[0]).zero_point[0])
    params = struct("tp_fc_params_s8", "params", output_offset=out_zero_point,
                    per_channel=per_channel, activation=ctx.act_s8(op), fast_requant=rq.fast,
                    interleaved=0)
    args = (params, rq.quant, din, ctx.tensor(op.inputs[0]), tables, bias, dout,
            ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, S8_KERNEL, args,
                       (*rq.tables, rq.quant, bias, tables, din, dout, params))


register_family(Family("Dense", "float32", "float32", SPARSE, dense.reference_f32, lower_f32,
                       F32_KERNEL))
register_family(Family("Dense", "int8", "int8", SPARSE, dense.reference_s8, lower_s8,
                       S8_KERNEL))
