"""MaxPool2D and AvgPool2D families, float32 and int8 (tp_max_pool_*, tp_avg_pool_*).
Padded positions are skipped, as in TFLite: the max or average is over the window's elements
inside the input."""

from __future__ import annotations

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Op
from sdk.kernels.families.conv2d import S8_HEADERS, f32_activation
from sdk.kernels.program import KernelCall, LowerContext, geometry, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import struct
from sdk.quant.arith import truncating_divide
from sdk.reference.common import pad_nhwc, sliding_windows
from sdk.reference.context import RefContext, activate


def _windows(ctx: RefContext, x: np.ndarray, fill: float) -> np.ndarray:
    kh, kw = ctx.attrs["kernel"]
    return sliding_windows(pad_nhwc(x, ctx.attrs["padding"], fill), kh, kw, ctx.attrs["stride"],
                           ctx.out_shape[1:3])


def max_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """The window maximum, then the activation."""
    return activate(_windows(ctx, args[0], -np.inf).max(axis=(3, 4)),
                    ctx.attrs.get("activation", "none"))


def avg_f32(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """The average over the window's elements inside the input, then the activation."""
    x = args[0]
    total = _windows(ctx, x, 0.0).sum(axis=(3, 4))
    count = _windows(ctx, np.ones(x.shape[:3] + (1,)), 0.0).sum(axis=(3, 4))
    return activate(total / count, ctx.attrs.get("activation", "none"))


def max_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """The window maximum clamped to the activation range (the fill is below every int8 value,
    so padding never wins)."""
    lo, hi = ctx.act_range()
    return np.clip(_windows(ctx, args[0], -(1 << 16)).max(axis=(3, 4)), lo, hi)


def avg_s8(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """Sum of the raw int8 values inside the input over their count, rounded half away from
    zero with C's truncating division: ``(sum +/- count/2) / count``."""
    x = args[0]
    total = _windows(ctx, x, 0).sum(axis=(3, 4))
    count = _windows(ctx, np.ones(x.shape[:3] + (1,), dtype=np.int64), 0).sum(axis=(3, 4))
    half = count // 2
    avg = truncating_divide(np.where(total > 0, total + half, total - half), count)
    lo, hi = ctx.act_range()
    return np.clip(avg, lo, hi)


def _lower(kernel: CKernel, params_type: str, activation):
    def lower(ctx: LowerContext, op: Op) -> KernelCall:
        """tp_*_pool_*(params, in dims, input, window, out dims, output); refuses padding at
        least as large as the window (a window with no input has no max or average)."""
        ctx.check_window(op)
        din, dout = ctx.io_dims(op)
        kh, kw = op.attrs["kernel"]
        pt, pb, pl, pr = op.attrs["padding"]
        if max(pt, pb) >= kh or max(pl, pr) >= kw:
            raise UnsupportedError(f"op {op.name} ({op.type}): padding "
                                   f"{list(op.attrs['padding'])} leaves windows with no "
                                   f"input for kernel {[kh, kw]}")
        window = struct("tp_tile", "kernel", h=kh, w=kw)
        params = struct(params_type, "params", **geometry(op), activation=activation(ctx, op))
        args = (params, din, ctx.tensor(op.inputs[0]), window, dout, ctx.tensor(op.outputs[0]))
        return simple_call(ctx, op, kernel, args, (din, dout, window, params))
    return lower


def _f32_act(ctx: LowerContext, op: Op):
    return f32_activation(op)


def _s8_act(ctx: LowerContext, op: Op):
    return ctx.act_s8(op)


for _op, _name, _f32, _s8 in (("MaxPool2D", "max_pool", max_f32, max_s8),
                              ("AvgPool2D", "avg_pool", avg_f32, avg_s8)):
    _kf = CKernel(f"tp_{_name}_f32", overlapping_output=True)
    _ks = CKernel(f"tp_{_name}_s8", S8_HEADERS,
                  overlapping_output=True)
    register_family(Family(_op, "float32", None, None, _f32,
                           _lower(_kf, "tp_pool_params_f32", _f32_act), _kf))
    register_family(Family(_op, "int8", None, None, _s8,
                           _lower(_ks, "tp_pool_params_s8", _s8_act), _ks))
