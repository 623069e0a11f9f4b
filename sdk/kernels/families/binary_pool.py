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
from sdk.kernels.families.elementwise import reshape
from sdk.kernels.program import KernelCall, LowerContext
from sdk.kernels.registry import Family, register_family
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


def lower(ctx: LowerContext, op: Op) -> KernelCall:
    """Not yet in the C engine."""
    raise UnsupportedError(f"not supported: op {op.name} (binary MaxPool2D) in the C engine")


register_family(Family("MaxPool2D", "binary", None, None, reference, lower, None))
register_family(Family("Reshape", "binary", None, None, reshape, None, None))
