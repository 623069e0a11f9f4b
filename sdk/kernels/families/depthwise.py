"""DepthwiseConv2D families: float32 (tp_depthwise_conv_f32) and int8 with int8 dense weights
(tp_depthwise_conv_s8). Output channel ``c * M + m`` reads input channel ``c``.

The int8 kernel's ring path (stride 1, multiplier 1, kernel height <= 16) keeps kernel_h
expanded input rows in scratch, and then may run in place when the output has the input's shape.
A K x 1 window (stride 1, multiplier 1) and stride 2 along the width lower to their own kernels
instead (:mod:`sdk.kernels.families.depthwise_kx1`, :mod:`sdk.kernels.families.depthwise_s2`).
"""

from __future__ import annotations

import numpy as np

from sdk.ir.graph import Graph, Op
from sdk.kernels.families.conv2d import S8_HEADERS, f32_activation
from sdk.kernels.families.depthwise_kx1 import (
    KX1_KERNEL,
    kx1_applies,
    kx1_buffer_bytes,
    records,
    weight_pairs,
)
from sdk.kernels.families.depthwise_s2 import S2_KERNEL, s2_applies, s2_buffer_bytes, s2_pairs, s2_records
from sdk.kernels.program import KernelCall, LowerContext, geometry, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.requant import requantization, rounding_fits
from sdk.kernels.values import SCRATCH, ConstTable, Struct, struct
from sdk.quant import layer_params as lp
from sdk.reference.common import pad_nhwc, sliding_windows
from sdk.reference.context import RefContext, activate, with_bias

# Channels per group of the int8 ring path (DW_GROUP in tp_depthwise_conv_ring_s8.h).
DW_S8_GROUP = 16


def _windows(ctx: RefContext, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    mult = ctx.attrs.get("depth_multiplier", 1)
    x = np.repeat(x, mult, axis=3) if mult > 1 else x
    a = ctx.attrs
    return sliding_windows(pad_nhwc(x, a["padding"]), w.shape[1], w.shape[2], a["stride"],
                           ctx.out_shape[1:3], a.get("dilation", (1, 1)))


def reference_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """Per channel: sum over the window of x * w, plus bias, then the activation."""
    w = args[1]
    y = with_bias(np.einsum("nhwijc,ijc->nhwc", _windows(ctx, args[0], w), w[0],
                            optimize=True), args)
    return activate(y, ctx.attrs.get("activation", "none"))


def reference_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """TFLite Micro's int8 depthwise convolution, requantized per channel."""
    x, w = ctx.centered_input(args[0]), args[1]
    acc = with_bias(np.einsum("nhwijc,ijc->nhwc", _windows(ctx, x, w), w[0]), args)
    m, s = lp.conv_multipliers(ctx.quant(ctx.op.inputs[0]), ctx.quant(ctx.op.inputs[1]),
                               ctx.quant(ctx.out), w.shape[3])
    return ctx.requantize(acc, m, s)


F32_KERNEL = CKernel("tp_depthwise_conv_f32", overlapping_output=True)


def lower_f32(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_depthwise_conv_f32(params, in dims, input, filter dims, filter, bias, out dims, out)."""
    ctx.check_window(op)
    din, dout = ctx.io_dims(op)
    dfilt = ctx.dims("filter", ctx.graph.tensors[op.inputs[1]].shape)
    params = struct("tp_dw_conv_params_f32", "params", **geometry(op),
                    depth_multiplier=int(op.attrs.get("depth_multiplier", 1)),
                    activation=f32_activation(op))
    args = (params, din, ctx.tensor(op.inputs[0]), dfilt, ctx.tensor(op.inputs[1]),
            ctx.optional(op, 2), dout, ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, F32_KERNEL, args, (din, dout, dfilt, params))


def uses_ring(stride: tuple[int, int], depth_multiplier: int, kernel_h: int) -> bool:
    """True when tp_depthwise_conv_s8 takes its ring path (``uses_ring``)."""
    return tuple(stride) == (1, 1) and depth_multiplier == 1 and kernel_h <= 16


def dw_s8_buffer_bytes(stride: tuple[int, int], depth_multiplier: int, kernel_h: int,
                       kernel_w: int, out_w: int, out_c: int) -> int:
    """Twin of ``tp_depthwise_conv_s8_get_buffer_size``: a ring of kernel_h expanded rows of
    min(DW_S8_GROUP, channels) channels (int16; a row holds the output width + kernel width
    rounded up to even, and at least 6 per block of 3 output pairs + 2), four weight pairs per
    channel and window row, four requantization words per channel; nothing off the ring path."""
    if not uses_ring(stride, depth_multiplier, kernel_h):
        return 0
    group = min(DW_S8_GROUP, out_c)
    length = max((out_w + kernel_w + 1) & ~1, 6 * ((out_w + 5) // 6) + 2)
    return kernel_h * group * length * 2 + group * kernel_h * 16 + group * 16


S8_KERNEL = CKernel("tp_depthwise_conv_s8", S8_HEADERS,
                    dw_s8_buffer_bytes, in_place_inputs=(0,))


def _scratch(graph: Graph, op: Op) -> int:
    _, kh, kw, _ = graph.tensors[op.inputs[1]].shape
    _, _, ow, oc = graph.tensors[op.outputs[0]].shape
    return dw_s8_buffer_bytes(op.attrs["stride"], int(op.attrs.get("depth_multiplier", 1)),
                              kh, kw, ow, oc)


def lower_s8(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_depthwise_conv_s8(params, quant, in dims, input, filter dims, filter, bias, out dims,
    output, scratch); the kernel adds the input offset itself, so the bias stays plain and the
    fast-path bound takes |input + offset| <= 255."""
    g = ctx.graph
    ctx.check_window(op)
    din, dout = ctx.io_dims(op)
    inq, outq = ctx.per_tensor(op, op.inputs[0]), ctx.per_tensor(op, op.outputs[0])
    wq = ctx.symmetric_weights(op)
    w = g.tensors[op.inputs[1]]
    m, shifts = lp.conv_multipliers(inq, wq, outq, w.shape[3])
    mult = int(op.attrs.get("depth_multiplier", 1))
    bias = (g.tensors[op.inputs[2]].const_data().astype(np.int64) if len(op.inputs) > 2
            else np.zeros(w.shape[3], dtype=np.int64))
    rq = requantization(op, "", m, shifts, w.const_data().astype(np.int64).reshape(-1, w.shape[3]).T,
                        bias, input_offset=None, input_magnitude=255)
    dfilt = ctx.dims("filter", w.shape)
    params = struct("tp_dw_conv_params_s8", "params", **geometry(op), depth_multiplier=mult,
                    input_offset=-int(inq.zero_point[0]), output_offset=int(outq.zero_point[0]),
                    activation=ctx.act_s8(op), fast_requant=rq.fast)
    taps = w.const_data().astype(np.int64).reshape(-1, w.shape[3])
    lo, hi = lp.activation_range(op.attrs.get("activation", "none"), outq)
    folded = int(outq.zero_point[0]) if (lo, hi) == (-128, 127) else 0
    if kx1_applies(g, op) and rounding_fits(rq.bound, shifts, folded):
        return _lower_kx1(ctx, op, params, taps, records(bias, m, shifts, bool(rq.fast), folded),
                          bool(rq.fast))
    if s2_applies(g, op) and rounding_fits(rq.bound, shifts, folded):
        return _lower_s2(ctx, op, params, s2_records(bias, m, shifts, folded, bool(rq.fast)),
                         bool(rq.fast))
    args = (params, rq.quant, din, ctx.tensor(op.inputs[0]), dfilt, ctx.tensor(op.inputs[1]),
            ctx.optional(op, 2), dout, ctx.tensor(op.outputs[0]), SCRATCH)
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    in_place = uses_ring(op.attrs["stride"], mult, w.shape[1]) and x.shape == y.shape
    return simple_call(ctx, op, S8_KERNEL, args, (din, dout, *rq.tables, rq.quant, dfilt, params),
                       in_place=in_place, scratch_bytes=_scratch(g, op),
                       size_args=(params, dfilt, dout))


def _lower_kx1(ctx: LowerContext, op: Op, params: Struct, taps: np.ndarray, rec: ConstTable,
               fast: bool) -> KernelCall:
    """tp_depthwise_conv_kx1_s8(params, records, in dims, input, filter dims, pairs, out dims,
    output, scratch)."""
    g = ctx.graph
    din, dout = ctx.io_dims(op)
    dfilt = ctx.dims("filter", g.tensors[op.inputs[1]].shape)
    pairs = weight_pairs(taps, fast)
    args = (params, rec, din, ctx.tensor(op.inputs[0]), dfilt, pairs, dout,
            ctx.tensor(op.outputs[0]), SCRATCH)
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    scratch = kx1_buffer_bytes(taps.shape[0], y.shape[1], y.shape[3])
    return simple_call(ctx, op, KX1_KERNEL, args, (din, dout, rec, pairs, dfilt, params),
                       in_place=x.shape == y.shape, scratch_bytes=scratch,
                       size_args=(dfilt, dout))


def _lower_s2(ctx: LowerContext, op: Op, params: Struct, rec: ConstTable,
              fast: bool) -> KernelCall:
    """tp_depthwise_conv_s2_s8(params, records, in dims, input, filter dims, pairs, out dims,
    output, scratch)."""
    g = ctx.graph
    din, dout = ctx.io_dims(op)
    w = g.tensors[op.inputs[1]]
    dfilt = ctx.dims("filter", w.shape)
    pairs = s2_pairs(w.const_data().astype(np.int64)[0], fast)
    args = (params, rec, din, ctx.tensor(op.inputs[0]), dfilt, pairs, dout,
            ctx.tensor(op.outputs[0]), SCRATCH)
    _, kh, kw, _ = w.shape
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    return simple_call(ctx, op, S2_KERNEL, args, (din, dout, rec, pairs, dfilt, params),
                       in_place=False, scratch_bytes=s2_buffer_bytes(kh, kw, y.shape[2],
                                                                     x.shape[3]),
                       size_args=(params, dfilt, dout))


register_family(Family("DepthwiseConv2D", "float32", "float32", "dense", reference_f32,
                       lower_f32, F32_KERNEL))
register_family(Family("DepthwiseConv2D", "int8", "int8", "dense", reference_s8, lower_s8,
                       S8_KERNEL))
