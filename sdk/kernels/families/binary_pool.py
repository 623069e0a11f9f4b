"""MaxPool2D of a binary NHWC tensor (family key ``("MaxPool2D", "binary", None, None)``), and
Reshape/Flatten of a binary tensor (an alias: the packed bytes are reused as they are, see
:mod:`sdk.kernels.bitpack` for why a flatten moves no data).

With bit 1 = +1, the maximum of binary values is the OR of their bits, so the kernel ORs
packed words. Only VALID windows: a padded position has no binary value that leaves the max
unchanged in every window (-1 is all bits 0, but a window of padding alone would be -1)."""

from __future__ import annotations

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Op
from sdk.kernels.families.binary_conv import B1_HEADERS
from sdk.kernels.families.elementwise import reshape
from sdk.kernels.program import KernelCall, LowerContext, simple_call
from sdk.kernels.registry import CKernel, Family, register_family
from sdk.kernels.values import struct
from sdk.reference.common import sliding_windows
from sdk.reference.context import RefContext


def check_valid(op_name: str, padding: list[int]) -> None:
    """Refuse a padded binary max-pool ("not supported")."""
    if any(int(p) for p in padding):
        raise UnsupportedError(f"not supported: op {op_name} (MaxPool2D) on binary input with "
                               f"padding {list(padding)} (VALID only)")


def reference(ctx: RefContext, args: list[np.ndarray]) -> np.ndarray:
    """The window maximum of +1/-1 values (the OR of their bits)."""
    check_valid(ctx.op.name, ctx.attrs["padding"])
    kh, kw = ctx.attrs["kernel"]
    win = sliding_windows(np.ascontiguousarray(args[0]), kh, kw, ctx.attrs["stride"],
                          ctx.out_shape[1:3])
    return win.max(axis=(3, 4)).astype(np.int64)



POOL_KERNEL = CKernel("tp_binary_max_pool_b1", B1_HEADERS)


def lower(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_binary_max_pool_b1(stride, in dims, input, window, out dims, output)."""
    ctx.check_window(op)
    check_valid(op.name, op.attrs["padding"])
    din, dout = ctx.io_dims(op)
    sh, sw = op.attrs["stride"]
    kh, kw = op.attrs["kernel"]
    stride = struct("tp_tile", "stride", h=sh, w=sw)
    window = struct("tp_tile", "kernel", h=kh, w=kw)
    args = (stride, din, ctx.tensor(op.inputs[0]), window, dout, ctx.tensor(op.outputs[0]))
    return simple_call(ctx, op, POOL_KERNEL, args, (din, dout, stride, window))


register_family(Family("MaxPool2D", "binary", None, None, reference, lower, POOL_KERNEL))
register_family(Family("Reshape", "binary", None, None, reshape, None, None))
