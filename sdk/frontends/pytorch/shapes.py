"""Shape ops (flatten, view, reshape) and the nodes that compute nothing at inference."""

from __future__ import annotations

import torch.fx as fx

from sdk.errors import UnsupportedError
from sdk.frontends.pytorch.context import Context, arg, source


def reshape(cx: Context, node: fx.Node) -> None:
    """Flatten/view/reshape: only [N, C, H, W] -> [N, C*H*W] (or a no-op)."""
    src = source(node)
    shape_in, shape_out = cx.shape(src), cx.shape(node)
    if shape_in == shape_out:
        cx.env[node] = cx.env[src]
        return
    if len(shape_in) != 4 or len(shape_out) != 2 or shape_in[0] != shape_out[0]:
        raise UnsupportedError(f"{cx.where(node)} from {list(shape_in)} to "
                               f"{list(shape_out)} (only flattening [N, C, H, W] to "
                               "[N, C*H*W])")
    x = cx.value(node, src)
    n, c, h, w = shape_in
    # When C == 1 or H*W == 1 the (C, H, W) and (H, W, C) orders coincide.
    chw = (c, h, w) if c > 1 and h * w > 1 else None
    cx.emit(node, "Reshape", [x.tensor], {"shape": [n, c * h * w]}, chw=chw)


def passthrough(cx: Context, node: fx.Node) -> None:
    """Nodes that compute nothing at inference (Dropout in eval mode, Identity)."""
    cx.env[node] = cx.env[source(node)]


def dropout_call(cx: Context, node: fx.Node) -> None:
    """``F.dropout``: nothing at inference, unless the model asks for ``training=True``."""
    if cx.const(node, arg(node, 2, "training", True)):
        raise UnsupportedError(f"{cx.where(node)} with training=True at inference")
    passthrough(cx, node)
