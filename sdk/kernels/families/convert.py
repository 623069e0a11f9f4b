"""Conversions at the boundary of quantized graphs: Quantize from float32
(tp_quantize_f32_s8), Quantize int8 -> int8 (tp_requantize_s8, may run in place) and
Dequantize to float32 (tp_dequantize_s8_f32)."""

from __future__ import annotations

import numpy as np

from sdk.ir.graph import Op
from sdk.kernels.families.conv2d import S8_HEADERS
from sdk.kernels.program import KernelCall, LowerContext, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import Float, Int, struct
from sdk.quant import layer_params as lp
from sdk.quant.arith import multiply_by_quantized_multiplier
from sdk.reference.context import RefContext

QUANTIZE = CKernel("tp_quantize_f32_s8", S8_HEADERS)
REQUANTIZE = CKernel("tp_requantize_s8", S8_HEADERS,
                     in_place_inputs=(0,))
DEQUANTIZE = CKernel("tp_dequantize_s8_f32", S8_HEADERS)


def quantize_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """round(x / scale) + zero point, saturated to int8 (sdk.quant.layer_params)."""
    q = ctx.per_tensor(ctx.out)
    return lp.quantize_float(args[0], q.scale[0], q.zero_point[0])


def requantize_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """(x - input zero point) scaled to the output's scale, plus its zero point, saturated."""
    in_q, out_q = ctx.per_tensor(ctx.op.inputs[0]), ctx.per_tensor(ctx.out)
    m, s = lp.requantize_multiplier(in_q, out_q)
    out = multiply_by_quantized_multiplier(args[0] - int(in_q.zero_point[0]), m, s)
    return np.clip(out + int(out_q.zero_point[0]), lp.INT8_MIN, lp.INT8_MAX)


def dequantize_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """double(scale) * (q - zero_point), rounded once to float32."""
    q = ctx.per_tensor(ctx.op.inputs[0])
    return (float(q.scale[0]) * (args[0] - int(q.zero_point[0]))).astype(np.float32)


def _float_params(ctx: LowerContext, op: Op, name: str):
    q = ctx.per_tensor(op, name)
    return struct("tp_quant_params_f32", "params", scale=Float(float(np.float32(q.scale[0]))),
                  zero_point=int(q.zero_point[0]))


def _unary(ctx: LowerContext, op: Op, kernel: CKernel, params) -> KernelCall:
    y = ctx.graph.tensors[op.outputs[0]]
    args = (params, ctx.tensor(op.inputs[0]), Int(y.size), ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, kernel, args, (params,))


def lower_quantize(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_quantize_f32_s8(params, input, elements, output)."""
    return _unary(ctx, op, QUANTIZE, _float_params(ctx, op, op.outputs[0]))


def lower_requantize(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_requantize_s8(params, input, elements, output)."""
    inq, outq = ctx.per_tensor(op, op.inputs[0]), ctx.per_tensor(op, op.outputs[0])
    m, s = lp.requantize_multiplier(inq, outq)
    params = struct("tp_requantize_params_s8", "params", input_offset=-int(inq.zero_point[0]),
                    output_offset=int(outq.zero_point[0]), multiplier=m, shift=s)
    return _unary(ctx, op, REQUANTIZE, params)


def lower_dequantize(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_dequantize_s8_f32(params, input, elements, output)."""
    return _unary(ctx, op, DEQUANTIZE, _float_params(ctx, op, op.inputs[0]))


register_family(Family("Quantize", "float32", None, None, quantize_f32, lower_quantize,
                       QUANTIZE))
register_family(Family("Quantize", "int8", None, None, requantize_s8, lower_requantize,
                       REQUANTIZE))
register_family(Family("Dequantize", "int8", None, None, dequantize_s8, lower_dequantize,
                       DEQUANTIZE))
