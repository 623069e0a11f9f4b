"""BinaryConv2D: a convolution with binary (+1/-1) weights, on binary or int8 input.

Inputs ``[x, w, t]``: x NHWC ``"binary"`` (or ``"int8"``, a first layer: additions and
subtractions of the centered input ``x_q - zero_point`` only), w OHWI binary (storage
``"bitpacked"``, :mod:`sdk.kernels.bitpack`), t int32 per output channel. The window's
``dot = sum x * w``; a padded position of a binary input is -1 (counted, it adds -sum(w)), of an
int8 input the zero point (it adds 0).

- binary output: ``+1`` iff ``dot >= t[o]`` (batch norm and sign folded into the threshold;
  a negative batch-norm scale has its channel's weights and threshold negated at export);
- int8 output: ``t`` is a bias, the real output ``s[o] * (dot + t[o])`` with ``s`` the weights'
  per-channel scale (times the int8 input's scale), requantized as int8 convolutions are
  (TFLite rounding), then the ``activation``.
"""

from __future__ import annotations

import numpy as np

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir.graph import Op
from sdk.ir.ops import OpSpec, register_op, window_output
from sdk.ir.tensor import QuantParams
from sdk.kernels.program import KernelCall, LowerContext
from sdk.kernels.registry import Family, register_family
from sdk.quant import layer_params as lp
from sdk.reference.common import pad_nhwc, sliding_windows
from sdk.reference.context import RefContext

# The real value of a padded binary input position (all its bits 0).
BINARY_PAD = -1


def _shape(ins: list[tuple[int, ...]], attrs: dict) -> tuple[int, ...]:
    x, w, t = ins
    if len(x) != 4:
        raise ShapeError(f"BinaryConv2D: expected an NHWC input of rank 4, got {list(x)}")
    if len(w) != 4 or w[3] != x[3]:
        raise ShapeError(f"BinaryConv2D: weights must be OHWI with {x[3]} input channels, "
                         f"got {list(w)}")
    if tuple(t) != (w[0],):
        raise ShapeError(f"BinaryConv2D: thresholds must be [{w[0]}], got {list(t)}")
    sh, sw = attrs["stride"]
    pt, pb, pl, pr = attrs["padding"]
    if min(sh, sw) < 1 or min(pt, pb, pl, pr) < 0:
        raise ShapeError(f"BinaryConv2D: stride {[sh, sw]} must be at least 1 and padding "
                         f"{[pt, pb, pl, pr]} not negative")
    oh = window_output(x[1], w[1], sh, pt, pb)
    ow = window_output(x[2], w[2], sw, pl, pr)
    if oh <= 0 or ow <= 0:
        raise ShapeError(f"BinaryConv2D: window {w[1]}x{w[2]} does not fit input {list(x)}")
    return (x[0], oh, ow, w[0])


def _macs(ins: list[tuple[int, ...]], out: tuple[int, ...], attrs: dict) -> int:
    w = ins[1]
    return out[0] * out[1] * out[2] * out[3] * w[1] * w[2] * w[3]


SPEC = register_op(OpSpec("BinaryConv2D", 3, 3, ("stride", "padding"), _shape, _macs))


def binary_output(ctx: RefContext, dot: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The op's output from its dot products: +1/-1 by threshold (binary output) or the
    requantized ``dot + bias`` (int8 output)."""
    if ctx.graph.tensors[ctx.out].dtype == "binary":
        return np.where(dot >= t, 1, -1).astype(np.int64)
    return ctx.requantize(dot + t, *int8_multipliers(ctx, t.shape[0]))


def int8_multipliers(ctx: RefContext, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(multipliers, shifts)`` of the int8 output: input scale (1 for a binary
    input) times the weights' scale over the output scale."""
    x = ctx.graph.tensors[ctx.op.inputs[0]]
    inq = ctx.per_tensor(x.name) if x.dtype == "int8" else QuantParams(np.ones(1), np.zeros(1))
    return lp.conv_multipliers(inq, ctx.quant(ctx.op.inputs[1]), ctx.per_tensor(ctx.out),
                               channels)


def centered(ctx: RefContext, x: np.ndarray) -> tuple[np.ndarray, int]:
    """The input as the dot product sees it and the value of a padded position: binary as
    is (-1), int8 minus its zero point (0)."""
    if ctx.graph.tensors[ctx.op.inputs[0]].dtype == "binary":
        return x.astype(np.int64), BINARY_PAD
    return ctx.centered_input(x).astype(np.int64), 0


def conv_dot(ctx: RefContext, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """[N, OH, OW, O] dot products of the padded input's windows with filter ``w``."""
    xc, fill = centered(ctx, x)
    win = sliding_windows(pad_nhwc(xc, ctx.attrs["padding"], fill), w.shape[1], w.shape[2],
                          ctx.attrs["stride"], ctx.out_shape[1:3])
    return np.einsum("nhwijc,oijc->nhwo", win, w.astype(np.int64))


def reference(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """Window dot products of x and the binary filter, then threshold or requantize."""
    return binary_output(ctx, conv_dot(ctx, args[0], args[1]), args[2].astype(np.int64))


def lower(ctx: LowerContext, op: Op) -> KernelCall:
    """Not yet in the C engine."""
    raise UnsupportedError(f"not supported: op {op.name} (BinaryConv2D) in the C engine")


for _act in ("binary", "int8"):
    register_family(Family("BinaryConv2D", _act, "binary", "bitpacked", reference, lower, None))
