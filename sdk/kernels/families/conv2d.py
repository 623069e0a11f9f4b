"""Conv2D families: float32 (tp_convolve_f32) and int8 with int8 dense weights
(tp_convolve_s8, TFLite's quantization, im2col tiles of CONV_S8_TILE pixels).

The int8 kernel's scratch is its im2col area (:func:`conv_s8_buffer_bytes`); a window split in
chunks of one row (``chunk_rows``) needs less of it, so the call offers that as a variant.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sdk.ir.graph import Op
from sdk.kernels.program import KernelCall, LowerContext, geometry, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.requant import requantization, rounding_fits
from sdk.kernels.values import SCRATCH, Float, Struct, Value, struct
from sdk.quant import layer_params as lp
from sdk.reference.common import pad_nhwc, sliding_windows
from sdk.reference.context import RefContext, activate, with_bias

# Output pixels per tile of the int8 convolution (TILE in tp_conv_tiles_s8.h).
CONV_S8_TILE = 8
S8_HEADERS = ("tp_engine_s8.h",)


def f32_activation(op: Op) -> Struct:
    """The float clamp of the op's activation (tp_activation_f32, inline)."""
    lo, hi = {"none": (-np.inf, np.inf), "relu": (0.0, np.inf),
              "relu6": (0.0, 6.0)}[op.attrs.get("activation", "none")]
    return struct("tp_activation_f32", min=Float(lo), max=Float(hi))


def conv_windows(ctx: RefContext, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """[N, OH, OW, KH, KW, C] windows of the padded input for filter ``w``."""
    a = ctx.attrs
    return sliding_windows(pad_nhwc(x, a["padding"]), w.shape[1], w.shape[2], a["stride"],
                           ctx.out_shape[1:3], a.get("dilation", (1, 1)))


def reference_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """sum over the window and input channels of x * w, plus bias, then the activation."""
    y = with_bias(np.einsum("nhwijc,oijc->nhwo", conv_windows(ctx, args[0], args[1]), args[1],
                            optimize=True), args)
    return activate(y, ctx.attrs.get("activation", "none"))


def reference_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """TFLite Micro's int8 convolution: (x - zero point) * w summed in int32, plus bias,
    requantized per output channel."""
    x, w = ctx.centered_input(args[0]), args[1]
    acc = with_bias(np.einsum("nhwijc,oijc->nhwo", conv_windows(ctx, x, w), w), args)
    m, s = lp.conv_multipliers(ctx.quant(ctx.op.inputs[0]), ctx.quant(ctx.op.inputs[1]),
                               ctx.quant(ctx.out), w.shape[0])
    return ctx.requantize(acc, m, s)


F32_KERNEL = CKernel("tp_convolve_f32", overlapping_output=True)


def lower_f32(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_convolve_f32(params, in dims, input, filter dims, filter, bias, out dims, output)."""
    ctx.check_window(op)
    din, dout = ctx.io_dims(op)
    dfilt = ctx.dims("filter", ctx.graph.tensors[op.inputs[1]].shape)
    params = struct("tp_conv_params_f32", "params", **geometry(op), activation=f32_activation(op))
    args = (params, din, ctx.tensor(op.inputs[0]), dfilt, ctx.tensor(op.inputs[1]),
            ctx.optional(op, 2), dout, ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, F32_KERNEL, args, (din, dout, dfilt, params))


def conv_s8_chunk_rows(kernel_h: int, kernel_w: int, in_channels: int, chunk_rows: int) -> int:
    """Window rows per im2col chunk (``rows_per_chunk`` in tp_conv_tiles_s8.c)."""
    if chunk_rows <= 0 or chunk_rows >= kernel_h or (kernel_w * in_channels) % 4:
        return kernel_h
    return chunk_rows


def conv_s8_buffer_bytes(kernel_h: int, kernel_w: int, in_channels: int, out_channels: int = 0,
                         chunk_rows: int = 0) -> int:
    """Twin of ``tp_convolve_s8_get_buffer_size``: CONV_S8_TILE int16 columns of one window
    chunk (rounded up to a multiple of 4 values), one byte column, and CONV_S8_TILE int32
    partial sums per output channel when the window is split into chunks."""
    rows = conv_s8_chunk_rows(kernel_h, kernel_w, in_channels, chunk_rows)
    kc = -(-rows * kernel_w * in_channels // 4) * 4
    size = CONV_S8_TILE * kc * 2 + kc
    if rows < kernel_h:
        size += out_channels * CONV_S8_TILE * 4
    return size


S8_KERNEL = CKernel("tp_convolve_s8", S8_HEADERS,
                    conv_s8_buffer_bytes, overlapping_output=True, write_tile=CONV_S8_TILE)


def conv_s8_layer(ctx: LowerContext, op: Op, chunk_rows: int, prefix: str = ""
                  ) -> tuple[list[Value], dict[str, Value]]:
    """The statics of int8 Conv2D ``op`` (names under ``prefix``): returns the definitions in
    order and the values ``params``, ``quant``, ``in``, ``filter_dims``, ``filter``, ``bias``,
    ``out``. The filter is padded with 3 zeros when a window is not a multiple of 4 values
    (the kernel reads words)."""
    g = ctx.graph
    w = g.tensors[op.inputs[1]]
    ctx.check_window(op)
    inq, outq = ctx.per_tensor(op, op.inputs[0]), ctx.per_tensor(op, op.outputs[0])
    wq = ctx.symmetric_weights(op)
    in_off, out_off = -int(inq.zero_point[0]), int(outq.zero_point[0])
    m, shifts = lp.conv_multipliers(inq, wq, outq, w.shape[0])
    wdata = w.const_data().astype(np.int64).reshape(w.shape[0], -1)
    bias = (g.tensors[op.inputs[2]].const_data().astype(np.int64) if len(op.inputs) > 2
            else np.zeros(w.shape[0], dtype=np.int64))
    rq = requantization(op, prefix, m, shifts, wdata, bias, input_offset=in_off,
                        input_magnitude=128)
    assert rq.bias is not None  # folded: input_offset is given
    filt = ctx.const(op.inputs[1], pad=3 if wdata.shape[1] % 4 else 0)
    din, dout = ctx.io_dims(op)
    din, dout = (Struct(d.ctype, d.fields, prefix + d.name) for d in (din, dout))
    dfilt = ctx.dims(f"{prefix}filter", w.shape)
    params = struct("tp_conv_params_s8", f"{prefix}params", **geometry(op), input_offset=in_off,
                    output_offset=out_off, activation=ctx.act_s8(op), fast_requant=rq.fast,
                    chunk_rows=chunk_rows)
    defs: list[Value] = [*rq.tables, rq.quant, rq.bias, filt, din, dout, dfilt, params]
    return defs, {"params": params, "quant": rq.quant, "in": din, "filter_dims": dfilt,
                  "filter": filt, "bias": rq.bias, "out": dout}


def _s8_call(ctx: LowerContext, op: Op, chunk_rows: int) -> KernelCall:
    defs, v = conv_s8_layer(ctx, op, chunk_rows)
    co, kh, kw, ci = ctx.graph.tensors[op.inputs[1]].shape
    args = (v["params"], v["quant"], v["in"], ctx.tensor(op.inputs[0]), v["filter_dims"],
            v["filter"], v["bias"], v["out"], ctx.tensor(op.outputs[0]), SCRATCH)
    return simple_call(ctx, op, S8_KERNEL, args, tuple(defs),
                       scratch_bytes=conv_s8_buffer_bytes(kh, kw, ci, co, chunk_rows),
                       size_args=(v["params"], v["filter_dims"], v["out"]))


def _c1_call(ctx: LowerContext, op: Op) -> KernelCall | None:
    """tp_convolve_1x1_s8(params, records, in dims, input, out dims, output) when the op is a
    few-channel 1x1 convolution whose rounding (output offset folded) is proved not to
    overflow."""
    from sdk.kernels.families.conv1x1_s8 import C1_KERNEL, c1_applies, c1_records

    g = ctx.graph
    if not c1_applies(g, op):
        return None
    w = g.tensors[op.inputs[1]]
    inq, outq = ctx.per_tensor(op, op.inputs[0]), ctx.per_tensor(op, op.outputs[0])
    m, shifts = lp.conv_multipliers(inq, ctx.symmetric_weights(op), outq, w.shape[0])
    wdata = w.const_data().astype(np.int64).reshape(w.shape[0], -1)
    bias = (g.tensors[op.inputs[2]].const_data().astype(np.int64) if len(op.inputs) > 2
            else np.zeros(w.shape[0], dtype=np.int64))
    in_off = -int(inq.zero_point[0])
    rq = requantization(op, "", m, shifts, wdata, bias, input_offset=in_off,
                        input_magnitude=128)
    lo, hi = lp.activation_range(op.attrs.get("activation", "none"), outq)
    folded = int(outq.zero_point[0]) if (lo, hi) == (-128, 127) else 0
    if rq.bias is None or not rounding_fits(rq.bound, shifts, folded):
        return None
    rec = c1_records(wdata, rq.bias.data.astype(np.int64), m, shifts, folded, bool(rq.fast))
    din, dout = ctx.io_dims(op)
    params = struct("tp_conv_params_s8", "params", **geometry(op), input_offset=in_off,
                    output_offset=int(outq.zero_point[0]), activation=ctx.act_s8(op),
                    fast_requant=rq.fast, chunk_rows=0)
    args = (params, rec, din, ctx.tensor(op.inputs[0]), dout, ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, C1_KERNEL, args, (rec, din, dout, params))


def lower_s8(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_convolve_s8(params, quant, in dims, input, filter dims, filter, folded bias, out dims,
    output, scratch); variant: im2col chunks of one window row. A few-channel 1x1 convolution
    lowers to tp_convolve_1x1_s8 instead (:mod:`sdk.kernels.families.conv1x1_s8`)."""
    c1 = _c1_call(ctx, op)
    if c1 is not None:
        return c1
    call = _s8_call(ctx, op, 0)
    if ctx.graph.tensors[op.inputs[1]].shape[1] > 1:
        call = replace(call, variants=((1, _s8_call(ctx, op, 1)),))
    return call


register_family(Family("Conv2D", "float32", "float32", "dense", reference_f32, lower_f32,
                       F32_KERNEL))
register_family(Family("Conv2D", "int8", "int8", "dense", reference_s8, lower_s8, S8_KERNEL))
