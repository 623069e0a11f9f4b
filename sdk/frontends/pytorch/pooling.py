"""Max and average pooling (plain and adaptive) -> MaxPool2D / AvgPool2D, floor mode only."""

from __future__ import annotations

from typing import Any

import torch.fx as fx

from sdk.errors import UnsupportedError
from sdk.frontends.pytorch.context import Context, arg, pair, source


def _pool(cx: Context, node: fx.Node, op_type: str, kernel: Any, stride: Any, padding: Any,
          ceil_mode: bool = False, dilation: Any = 1, return_indices: bool = False,
          count_include_pad: bool = False, divisor_override: Any = None) -> None:
    """MaxPool2d/AvgPool2d -> MaxPool2D/AvgPool2D (floor mode only)."""
    where = cx.where(node)
    kernel, padding, dilation = (pair(cx.const(node, v)) for v in (kernel, padding, dilation))
    stride = cx.const(node, stride)
    stride = kernel if stride is None or stride == [] or stride == () else pair(stride)
    for flag, what in ((ceil_mode, "ceil_mode=True"), (dilation != (1, 1), "dilation"),
                       (return_indices, "return_indices=True"),
                       (divisor_override is not None, "divisor_override")):
        if flag:
            raise UnsupportedError(f"{where} with {what}")
    if op_type == "AvgPool2D" and count_include_pad and padding != (0, 0):
        raise UnsupportedError(
            f"{where} with padding and count_include_pad=True (the IR, like TFLite, "
            "divides by the number of elements inside the input; pass "
            "count_include_pad=False)")
    x = cx.value(node, source(node))
    ph, pw = padding
    cx.emit(node, op_type, [x.tensor], {
        "kernel": list(kernel), "stride": list(stride), "padding": [ph, ph, pw, pw],
        "activation": "none"})


def _adaptive_pool(cx: Context, node: fx.Node, op_type: str, output_size: Any) -> None:
    """Adaptive pooling whose windows tile the input exactly is an ordinary pool."""
    _, _, h, w = cx.shape(source(node))
    oh, ow = pair(cx.const(node, output_size))
    oh, ow = oh or h, ow or w
    if h % oh or w % ow:
        raise UnsupportedError(f"{cx.where(node)} from {h}x{w} to {oh}x{ow} (the "
                               "output size must divide the input size)")
    kernel = (h // oh, w // ow)
    _pool(cx, node, op_type, kernel, kernel, 0)


def max_pool_module(cx: Context, node: fx.Node) -> None:
    """``nn.MaxPool2d``."""
    m = cx.module(node)
    _pool(cx, node, "MaxPool2D", m.kernel_size, m.stride, m.padding, m.ceil_mode, m.dilation,
          m.return_indices)


def avg_pool_module(cx: Context, node: fx.Node) -> None:
    """``nn.AvgPool2d``."""
    m = cx.module(node)
    _pool(cx, node, "AvgPool2D", m.kernel_size, m.stride, m.padding, m.ceil_mode,
          count_include_pad=m.count_include_pad, divisor_override=m.divisor_override)


def adaptive_avg_pool_module(cx: Context, node: fx.Node) -> None:
    """``nn.AdaptiveAvgPool2d``."""
    _adaptive_pool(cx, node, "AvgPool2D", cx.module(node).output_size)


def adaptive_max_pool_module(cx: Context, node: fx.Node) -> None:
    """``nn.AdaptiveMaxPool2d`` without ``return_indices``."""
    m = cx.module(node)
    if m.return_indices:
        raise UnsupportedError(cx.where(node))
    _adaptive_pool(cx, node, "MaxPool2D", m.output_size)


def max_pool_call(cx: Context, node: fx.Node) -> None:
    """``F.max_pool2d``."""
    _pool(cx, node, "MaxPool2D", arg(node, 1, "kernel_size"), arg(node, 2, "stride"),
          arg(node, 3, "padding", 0), arg(node, 5, "ceil_mode", False),
          arg(node, 4, "dilation", 1), arg(node, 6, "return_indices", False))


def avg_pool_call(cx: Context, node: fx.Node) -> None:
    """``F.avg_pool2d``."""
    _pool(cx, node, "AvgPool2D", arg(node, 1, "kernel_size"), arg(node, 2, "stride"),
          arg(node, 3, "padding", 0), arg(node, 4, "ceil_mode", False),
          count_include_pad=arg(node, 5, "count_include_pad", True),
          divisor_override=arg(node, 6, "divisor_override"))


def adaptive_avg_pool_call(cx: Context, node: fx.Node) -> None:
    """``F.adaptive_avg_pool2d``."""
    _adaptive_pool(cx, node, "AvgPool2D", arg(node, 1, "output_size"))
