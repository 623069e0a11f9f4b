"""Elementwise ops: the sum of two computed tensors -> Add, softmax -> Softmax."""

from __future__ import annotations

from typing import Any

import torch.fx as fx

from sdk.errors import UnsupportedError
from sdk.frontends.pytorch.context import Context, Value, arg, source


def add(cx: Context, node: fx.Node) -> None:
    """Elementwise ``a + b`` of two same-shaped tensors -> Add."""
    a, b = arg(node, 0, "input"), arg(node, 1, "other")
    if arg(node, 2, "alpha", 1) != 1:
        raise UnsupportedError(f"{cx.where(node)} with alpha != 1")
    if not (isinstance(a, fx.Node) and isinstance(b, fx.Node)
            and isinstance(cx.env[a], Value) and isinstance(cx.env[b], Value)):
        raise UnsupportedError(f"{cx.where(node)}: adding a constant (only the sum "
                               "of two computed tensors)")
    if cx.shape(a) != cx.shape(b):
        raise UnsupportedError(f"{cx.where(node)}: broadcasting {list(cx.shape(a))} "
                               f"+ {list(cx.shape(b))}")
    va, vb = cx.value(node, a, allow_flat=True), cx.value(node, b, allow_flat=True)
    if va.chw != vb.chw:
        raise UnsupportedError(f"{cx.where(node)}: adding a flattened feature map to "
                               "a tensor in another order")
    cx.emit(node, "Add", [va.tensor, vb.tensor], {"activation": "none"}, chw=va.chw)


def _softmax(cx: Context, node: fx.Node, dim: Any) -> None:
    """Softmax over the channel/feature axis, which is the IR tensor's last axis."""
    dim = cx.const(node, dim)
    rank = len(cx.shape(node))
    if dim is None or dim % rank != 1:
        raise UnsupportedError(f"{cx.where(node)} over dim={dim} (only the "
                               "channel/feature dim 1, the last axis in NHWC)")
    x = cx.value(node, source(node))
    cx.emit(node, "Softmax", [x.tensor], {"beta": 1.0})


def softmax_module(cx: Context, node: fx.Node) -> None:
    """``nn.Softmax(dim)``."""
    _softmax(cx, node, cx.module(node).dim)


def softmax_call(cx: Context, node: fx.Node) -> None:
    """``F.softmax(x, dim)``, ``torch.softmax`` and ``x.softmax(dim)``."""
    _softmax(cx, node, arg(node, 1, "dim"))
