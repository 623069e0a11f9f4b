"""Layers with weights: Conv2d and Linear become IR ops, BatchNorm folds into them."""

from __future__ import annotations

import numpy as np
import torch.fx as fx
from torch import nn

from sdk.errors import UnsupportedError
from sdk.frontends.pytorch.context import Context, numpy_f64, pair, source
from sdk.ir import Tensor, same_padding

# The IR ops a BatchNorm folds into, and the output-channel axis of the weight layout this
# frontend writes for each (OHWI, [1, kh, kw, C*M], [out, in]).
_FOLD_AXIS = {"Conv2D": 0, "DepthwiseConv2D": 3, "Dense": 0}


def conv2d(cx: Context, node: fx.Node) -> None:
    """Conv2d (groups 1) -> Conv2D; groups == in_channels -> DepthwiseConv2D."""
    conv = cx.module(node)
    where = cx.where(node)
    if tuple(conv.dilation) != (1, 1):
        raise UnsupportedError(f"{where} with dilation {tuple(conv.dilation)} (only 1)")
    if conv.padding_mode != "zeros":
        raise UnsupportedError(f"{where} with padding_mode={conv.padding_mode!r}")
    x = cx.value(node, source(node))
    w = numpy_f64(conv.weight)
    attrs: dict = {"stride": list(conv.stride),
                   "padding": _conv_padding(cx, node, conv), "activation": "none"}
    if conv.groups == 1:
        op_type, w_ir = "Conv2D", w.transpose(0, 2, 3, 1)
    elif conv.groups == conv.in_channels and conv.out_channels % conv.in_channels == 0:
        # PyTorch's group c yields output channels c*M .. c*M+M-1, the same order as
        # TFLite's depthwise channel index c*M + m.
        op_type, w_ir = "DepthwiseConv2D", w[:, 0].transpose(1, 2, 0)[None]
        attrs["depth_multiplier"] = conv.out_channels // conv.in_channels
    else:
        raise UnsupportedError(f"{where} with groups={conv.groups} (only 1, or "
                               f"in_channels={conv.in_channels} for depthwise)")
    bias = None if conv.bias is None else numpy_f64(conv.bias)
    cx.emit(node, op_type, [x.tensor], attrs, w_ir, bias)


def _conv_padding(cx: Context, node: fx.Node, conv: nn.Conv2d) -> list[int]:
    if conv.padding == "valid":
        return [0, 0, 0, 0]
    if conv.padding == "same":
        # PyTorch allows "same" only at stride 1, where its split of the total padding
        # (extra row/column after) equals TensorFlow's.
        _, _, h, w = cx.shape(source(node))
        kh, kw = conv.kernel_size
        return [*same_padding(h, kh, 1), *same_padding(w, kw, 1)]
    ph, pw = pair(conv.padding)
    return [ph, ph, pw, pw]


def linear(cx: Context, node: fx.Node) -> None:
    """Linear -> Dense; columns permuted when the input is a flattened feature map."""
    lin = cx.module(node)
    x = cx.value(node, source(node), allow_flat=True)
    if len(cx.shape(source(node))) != 2:
        raise UnsupportedError(f"{cx.where(node)} on a tensor of shape "
                               f"{list(cx.shape(source(node)))} (only [N, features])")
    w = numpy_f64(lin.weight)
    if x.chw is not None:
        c, h, wd = x.chw
        w = w.reshape(-1, c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
    bias = None if lin.bias is None else numpy_f64(lin.bias)
    cx.emit(node, "Dense", [x.tensor], {"activation": "none"}, w, bias)


def _no_foldable_producer(where: str, why: str) -> UnsupportedError:
    return UnsupportedError(f"{where} has no foldable producer: {why} (BatchNorm must "
                            "directly follow a Conv2d or Linear that only it reads)")


def batchnorm(cx: Context, node: fx.Node) -> None:
    """Fold eval-mode BatchNorm into the producing Conv2D/DepthwiseConv2D/Dense.

    With s = gamma / sqrt(running_var + eps): w' = w * s per output channel and
    b' = (b - running_mean) * s + beta.
    """
    bn = cx.module(node)
    where = cx.where(node)
    if bn.running_mean is None or bn.running_var is None:
        raise UnsupportedError(f"{where} without running statistics "
                               "(track_running_stats=False)")
    src = source(node)
    x = cx.value(node, src)
    op = cx.graph.producer(x.tensor)
    if op is None:
        raise _no_foldable_producer(where, "its input is the graph input")
    if op.type not in _FOLD_AXIS:
        why = f"its input comes from {op.type} '{op.name}'"
    elif op.attrs["activation"] != "none":
        why = f"'{op.name}' already applies {op.attrs['activation']} before it"
    elif cx.real_users(src) != [node]:
        why = f"the output of '{op.name}' is also read elsewhere"
    else:
        why = ""
    if why:
        raise _no_foldable_producer(where, why)
    mean, var = numpy_f64(bn.running_mean), numpy_f64(bn.running_var)
    gamma = numpy_f64(bn.weight) if bn.affine else np.ones_like(mean)
    beta = numpy_f64(bn.bias) if bn.affine else np.zeros_like(mean)
    scale = gamma / np.sqrt(var + bn.eps)
    w = cx.graph.tensors[op.inputs[1]]
    weights = np.asarray(w.data)
    bshape = [1] * weights.ndim
    bshape[_FOLD_AXIS[op.type]] = -1
    w.data = np.ascontiguousarray(weights * scale.reshape(bshape), dtype=np.float32)
    if len(op.inputs) > 2:
        b = cx.graph.tensors[op.inputs[2]]
        b.data = np.ascontiguousarray((np.asarray(b.data) - mean) * scale + beta,
                                      dtype=np.float32)
    else:
        b = cx.graph.add_tensor(Tensor(f"{op.name}_bias", mean.shape,
                                       data=(beta - mean * scale).astype(np.float32)))
        op.inputs.append(b.name)
    op.attrs["fused"].append(cx.source_name(node))
    cx.env[node] = x
