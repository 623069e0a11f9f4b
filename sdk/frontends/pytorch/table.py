"""Which converter handles a node: one table per kind of fx call.

Supporting another PyTorch layer, function or tensor method is one entry here (and its
converter in the module for its kind of op). Modules are looked up along their class's MRO,
so a subclass of a listed layer converts like it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from sdk.frontends.pytorch import activations, elementwise, layers, pooling, shapes
from sdk.frontends.pytorch.context import Context

Converter = Callable[[Context, fx.Node], None]

MODULES: dict[type, Converter] = {
    nn.Conv2d: layers.conv2d,
    nn.Linear: layers.linear,
    nn.BatchNorm1d: layers.batchnorm,
    nn.BatchNorm2d: layers.batchnorm,
    nn.ReLU: activations.relu,
    nn.ReLU6: activations.relu6,
    nn.Hardtanh: activations.hardtanh_module,
    nn.MaxPool2d: pooling.max_pool_module,
    nn.AvgPool2d: pooling.avg_pool_module,
    nn.AdaptiveAvgPool2d: pooling.adaptive_avg_pool_module,
    nn.AdaptiveMaxPool2d: pooling.adaptive_max_pool_module,
    nn.Flatten: shapes.reshape,
    nn.Softmax: elementwise.softmax_module,
    nn.Identity: shapes.passthrough,
    nn.modules.dropout._DropoutNd: shapes.passthrough,
}

FUNCTIONS: dict[Callable, Converter] = {
    F.relu: activations.relu,
    torch.relu: activations.relu,
    torch.relu_: activations.relu,
    F.relu6: activations.relu6,
    torch.clamp: activations.clamp_call,
    torch.clip: activations.clamp_call,
    F.hardtanh: activations.hardtanh_call,
    operator.add: elementwise.add,
    operator.iadd: elementwise.add,
    torch.add: elementwise.add,
    torch.flatten: shapes.reshape,
    F.softmax: elementwise.softmax_call,
    torch.softmax: elementwise.softmax_call,
    F.dropout: shapes.dropout_call,
    F.max_pool2d: pooling.max_pool_call,
    F.avg_pool2d: pooling.avg_pool_call,
    F.adaptive_avg_pool2d: pooling.adaptive_avg_pool_call,
}

METHODS: dict[str, Converter] = {
    "relu": activations.relu,
    "relu_": activations.relu,
    "clamp": activations.clamp_call,
    "clamp_": activations.clamp_call,
    "clip": activations.clamp_call,
    "clip_": activations.clamp_call,
    "add": elementwise.add,
    "add_": elementwise.add,
    "view": shapes.reshape,
    "reshape": shapes.reshape,
    "flatten": shapes.reshape,
    "softmax": elementwise.softmax_call,
    "contiguous": shapes.passthrough,
}

# Converters of nodes that compute nothing at inference: a fold looks through them.
_PASSTHROUGH = (shapes.passthrough, shapes.dropout_call)


def converter_for(cx: Context, node: fx.Node) -> Converter | None:
    """The converter of a ``call_module``/``call_function``/``call_method`` node, if any."""
    if node.op == "call_module":
        for cls in type(cx.module(node)).__mro__:
            if cls in MODULES:
                return MODULES[cls]
        return None
    if node.op == "call_function":
        try:
            return FUNCTIONS.get(node.target)  # type: ignore[arg-type]
        except TypeError:  # an unhashable callable is in no table
            return None
    if node.op == "call_method":
        return METHODS.get(str(node.target))
    return None


def is_passthrough(cx: Context, node: fx.Node) -> bool:
    """True for Dropout, Identity and ``contiguous`` nodes."""
    return converter_for(cx, node) in _PASSTHROUGH
