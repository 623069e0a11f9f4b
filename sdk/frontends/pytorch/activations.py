"""ReLU, ReLU6 and the clamps equal to them: fused into the producing op's ``activation``."""

from __future__ import annotations

from typing import Any

import torch.fx as fx

from sdk.errors import UnsupportedError
from sdk.frontends.pytorch.context import Context, arg, source
from sdk.ir import OP_SPECS


def _compose(first: str, second: str) -> str:
    """relu and relu6 are idempotent and relu6(relu(x)) = relu(relu6(x)) = relu6(x)."""
    return "relu6" if "relu6" in (first, second) else "relu"


def _cannot_fuse(cx: Context, node: fx.Node, act: str, why: str) -> UnsupportedError:
    return UnsupportedError(f"{cx.where(node)}: cannot fuse {act}: {why}; the IR has "
                            "no standalone activation op")


def fuse(cx: Context, node: fx.Node, act: str) -> None:
    """Fuse ReLU/ReLU6 into the producer's ``activation``."""
    src = source(node)
    x = cx.value(node, src, allow_flat=True)
    op = cx.graph.producer(x.tensor)
    if op is None:
        raise _cannot_fuse(cx, node, act, "its input is the graph input")
    if "activation" not in OP_SPECS[op.type].required_attrs:
        why = f"its input comes from {op.type} '{op.name}', which takes no activation"
    elif cx.real_users(src) != [node]:
        why = f"the output of '{op.name}' is also read elsewhere"
    else:
        why = ""
    if why:
        raise _cannot_fuse(cx, node, act, why)
    prev = op.attrs["activation"]
    op.attrs["activation"] = act if prev == "none" else _compose(prev, act)
    op.attrs["fused"].append(cx.source_name(node))
    cx.env[node] = x


def _clamp(cx: Context, node: fx.Node, low: Any, high: Any) -> None:
    """clamp/hardtanh with bounds (0, none) is ReLU and (0, 6) is ReLU6."""
    low, high = cx.const(node, low), cx.const(node, high)
    if low == 0 and high is None:
        fuse(cx, node, "relu")
    elif low == 0 and high == 6:
        fuse(cx, node, "relu6")
    else:
        raise UnsupportedError(f"{cx.where(node)} with bounds ({low}, {high}); only "
                               "(0, None) = ReLU and (0, 6) = ReLU6")


def relu(cx: Context, node: fx.Node) -> None:
    """``nn.ReLU``, ``F.relu``, ``x.relu()``."""
    fuse(cx, node, "relu")


def relu6(cx: Context, node: fx.Node) -> None:
    """``nn.ReLU6``, ``F.relu6``."""
    fuse(cx, node, "relu6")


def hardtanh_module(cx: Context, node: fx.Node) -> None:
    """``nn.Hardtanh(min_val, max_val)``."""
    m = cx.module(node)
    _clamp(cx, node, m.min_val, m.max_val)


def hardtanh_call(cx: Context, node: fx.Node) -> None:
    """``F.hardtanh(x, min_val=-1, max_val=1)``."""
    _clamp(cx, node, arg(node, 1, "min_val", -1.0), arg(node, 2, "max_val", 1.0))


def clamp_call(cx: Context, node: fx.Node) -> None:
    """``torch.clamp(x, min, max)`` / ``x.clamp(min, max)`` and the ``clip`` spellings."""
    _clamp(cx, node, arg(node, 1, "min"), arg(node, 2, "max"))
