"""PyTorch frontend: an ``nn.Module`` of standard layers becomes an IR graph.

The module is traced with ``torch.fx.symbolic_trace`` and run once on a zero input to learn
every node's shape; then the traced graph is walked node by node. Each node is

- converted to an IR op (Conv2d, Linear, pools, flatten/view, ``+``, softmax),
- folded into the op that produces its input (BatchNorm with its running statistics;
  ReLU/ReLU6 into the producer's ``activation``),
- removed (Dropout in eval mode, Identity, ``contiguous``),
- or evaluated to a constant (shape arithmetic such as ``x.size(0)``);

anything else raises :class:`UnsupportedError` naming the module path and type (or the
function and node). Layouts change on the way: PyTorch is NCHW and the IR is NHWC, so
convolution weights become OHWI (``[1, kh, kw, C*M]`` for depthwise), and a Linear that
reads a flattened feature map has its weight columns permuted from PyTorch's (C, H, W)
flatten order to the IR's (H, W, C) order.

A convolution or linear layer without bias gets no bias input in the IR (the IR's bias is
optional); folding a BatchNorm into it adds one.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir import OP_SPECS, Graph, Op, Tensor, same_padding

INPUT_NAME = "input"


@dataclass(frozen=True)
class _Value:
    """The IR tensor that stands for one PyTorch tensor.

    ``chw`` is set when PyTorch flattened a (C, H, W) feature map: the IR tensor holds the same
    numbers in (H, W, C) order, so only a consumer that can permute its weights (a Linear)
    may read it.
    """

    tensor: str
    chw: tuple[int, int, int] | None = None


class _Recorder(fx.Interpreter):
    """Runs the traced module once and keeps every node's result (shapes and constants)."""

    def __init__(self, module: fx.GraphModule) -> None:
        super().__init__(module)
        self.results: dict[fx.Node, Any] = {}

    def run_node(self, n: fx.Node) -> Any:
        """Run one node and remember its result."""
        out = super().run_node(n)
        self.results[n] = out
        return out


def _pair(v: int | tuple | list) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_holds_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_tensor(v) for v in value.values())
    return isinstance(value, torch.Tensor)


def _arg(node: fx.Node, index: int, key: str, default: Any = None) -> Any:
    """A call's argument given either positionally at ``index`` or by keyword ``key``."""
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(key, default)


def _nchw(input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Normalize the user's shape: (C, H, W) gains batch 1; (N, C, H, W) and (N, F) need N=1."""
    if not all(isinstance(d, (int, np.integer)) and d > 0 for d in input_shape):
        raise ShapeError(f"input_shape {tuple(input_shape)}: expected positive integers")
    shape = tuple(int(d) for d in input_shape)
    if len(shape) == 3:
        shape = (1,) + shape
    if len(shape) not in (2, 4):
        raise ShapeError(
            f"input_shape {shape}: expected (N, C, H, W), (C, H, W) or (N, features)")
    if shape[0] != 1:
        raise ShapeError(f"input_shape {shape}: batch must be 1 (devices run one input at a time)")
    return shape


def _ir_shape(torch_shape: tuple[int, ...], where: str) -> tuple[int, ...]:
    if len(torch_shape) == 4:
        n, c, h, w = torch_shape
        return (n, h, w, c)
    if len(torch_shape) == 2:
        return tuple(torch_shape)
    raise UnsupportedError(f"{where}: tensor of shape {list(torch_shape)} (the IR holds "
                           "NHWC feature maps and [N, features] vectors only)")


def _compose_activations(first: str, second: str) -> str:
    """relu and relu6 are idempotent and relu6(relu(x)) = relu(relu6(x)) = relu6(x)."""
    return "relu6" if "relu6" in (first, second) else "relu"


class _Converter:
    """Walks one traced module and builds its IR graph."""

    def __init__(self, traced: fx.GraphModule, results: dict[fx.Node, Any], name: str,
                 shape: tuple[int, ...]) -> None:
        self.traced = traced
        self.modules = dict(traced.named_modules())
        self.results = results
        self.input_shape = shape
        self.graph = Graph(name, metadata={"frontend": "pytorch",
                                           "torch_input_shape": list(shape)})
        self.env: dict[fx.Node, Any] = {}

    # ----------------------------------------------------------------- naming and lookups
    def _where(self, node: fx.Node) -> str:
        if node.op == "call_module":
            return f"module '{node.target}' of type {type(self.modules[node.target]).__name__}"
        if node.op == "call_method":
            return f"method .{node.target}() at node '{node.name}'"
        target = getattr(node.target, "__name__", str(node.target))
        return f"function {target}() at node '{node.name}'"

    def _source_name(self, node: fx.Node) -> str:
        """The name recorded in ``attrs["fused"]``: module path, or node name for functions."""
        return str(node.target) if node.op == "call_module" else node.name

    def _shape(self, node: fx.Node) -> tuple[int, ...]:
        return tuple(self.results[node].shape)

    def _value(self, node: fx.Node, arg: Any, allow_flat: bool = False) -> _Value:
        """The IR tensor behind ``arg``, an input of ``node``."""
        value = self.env.get(arg) if isinstance(arg, fx.Node) else None
        if not isinstance(value, _Value):
            raise UnsupportedError(f"{self._where(node)}: an input that is not a tensor "
                                   f"computed by the model ({arg!r})")
        if value.chw is not None and not allow_flat:
            raise UnsupportedError(
                f"{self._where(node)} reads '{self._source_name(arg)}', a feature map flattened in "
                "PyTorch's (C, H, W) order; only a Linear may consume it (the IR stores it "
                "in (H, W, C) order)")
        return value

    def _const(self, node: fx.Node, arg: Any) -> Any:
        """A literal argument, or one computed from shapes only."""
        if isinstance(arg, fx.Node):
            value = self.env[arg]
            if isinstance(value, _Value):
                raise UnsupportedError(f"{self._where(node)}: tensor-valued argument "
                                       f"'{arg.name}' where a constant is expected")
            return value
        if isinstance(arg, (tuple, list)):
            return type(arg)(self._const(node, a) for a in arg)
        return arg

    def _real_users(self, node: fx.Node) -> list[fx.Node]:
        """Consumers of ``node``'s value, looking through removed nodes (Dropout, Identity)."""
        users: list[fx.Node] = []
        for user in node.users:
            users.extend(self._real_users(user) if self._is_passthrough(user) else [user])
        return users

    def _is_passthrough(self, node: fx.Node) -> bool:
        if node.op == "call_module":
            return isinstance(self.modules[node.target],
                              (nn.Identity, nn.modules.dropout._DropoutNd))
        if node.op == "call_method":
            return node.target == "contiguous"
        return node.op == "call_function" and node.target is F.dropout

    # ----------------------------------------------------------------- emitting ops
    def _emit(self, node: fx.Node, op_type: str, inputs: list[str], attrs: dict,
              weight: np.ndarray | None = None, bias: np.ndarray | None = None,
              chw: tuple[int, int, int] | None = None) -> Op:
        """Add one op named after ``node``; check its inferred shape against PyTorch's."""
        name = node.name
        inputs = list(inputs)
        for suffix, data in (("weight", weight), ("bias", bias)):
            if data is not None:
                tensor = self.graph.add_tensor(
                    Tensor(f"{name}_{suffix}", data.shape, data=data.astype(np.float32)))
                inputs.append(tensor.name)
        attrs.setdefault("fused", [self._source_name(node)])
        op = self.graph.add_op(Op(name, op_type, inputs, [name], attrs))
        expected = _ir_shape(self._shape(node), self._where(node))
        if self.graph.tensors[name].shape != expected:
            raise ShapeError(
                f"{self._where(node)}: the IR {op_type} gives shape "
                f"{list(self.graph.tensors[name].shape)}, PyTorch gives {list(expected)} (NHWC)")
        self.env[node] = _Value(name, chw)
        return op

    # ----------------------------------------------------------------- layers
    def conv2d(self, node: fx.Node, conv: nn.Conv2d) -> None:
        """Conv2d (groups 1) -> Conv2D; groups == in_channels -> DepthwiseConv2D."""
        where = self._where(node)
        if tuple(conv.dilation) != (1, 1):
            raise UnsupportedError(f"{where} with dilation {tuple(conv.dilation)} (only 1)")
        if conv.padding_mode != "zeros":
            raise UnsupportedError(f"{where} with padding_mode={conv.padding_mode!r}")
        x = self._value(node, node.args[0])
        w = conv.weight.detach().cpu().double().numpy()
        attrs: dict = {"stride": list(conv.stride),
                       "padding": self._conv_padding(node, conv), "activation": "none"}
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
        bias = None if conv.bias is None else conv.bias.detach().cpu().double().numpy()
        self._emit(node, op_type, [x.tensor], attrs, w_ir, bias)

    def _conv_padding(self, node: fx.Node, conv: nn.Conv2d) -> list[int]:
        if conv.padding == "valid":
            return [0, 0, 0, 0]
        if conv.padding == "same":
            # PyTorch allows "same" only at stride 1, where its split of the total padding
            # (extra row/column after) equals TensorFlow's.
            _, _, h, w = self._shape(node.args[0])
            kh, kw = conv.kernel_size
            return [*same_padding(h, kh, 1), *same_padding(w, kw, 1)]
        ph, pw = _pair(conv.padding)
        return [ph, ph, pw, pw]

    def linear(self, node: fx.Node, lin: nn.Linear) -> None:
        """Linear -> Dense; columns permuted when the input is a flattened feature map."""
        x = self._value(node, node.args[0], allow_flat=True)
        if len(self._shape(node.args[0])) != 2:
            raise UnsupportedError(f"{self._where(node)} on a tensor of shape "
                                   f"{list(self._shape(node.args[0]))} (only [N, features])")
        w = lin.weight.detach().cpu().double().numpy()
        if x.chw is not None:
            c, h, wd = x.chw
            w = w.reshape(-1, c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
        bias = None if lin.bias is None else lin.bias.detach().cpu().double().numpy()
        self._emit(node, "Dense", [x.tensor], {"activation": "none"}, w, bias)

    def batchnorm(self, node: fx.Node, bn: nn.modules.batchnorm._BatchNorm) -> None:
        """Fold eval-mode BatchNorm into the producing Conv2D/DepthwiseConv2D/Dense.

        With s = gamma / sqrt(running_var + eps): w' = w * s per output channel and
        b' = (b - running_mean) * s + beta.
        """
        where = self._where(node)
        if bn.running_mean is None or bn.running_var is None:
            raise UnsupportedError(f"{where} without running statistics "
                                   "(track_running_stats=False)")
        src = node.args[0]
        x = self._value(node, src)
        op = self.graph.producer(x.tensor)
        if op is None:
            why = "its input is the graph input"
        elif op.type not in ("Conv2D", "DepthwiseConv2D", "Dense"):
            why = f"its input comes from {op.type} '{op.name}'"
        elif op.attrs["activation"] != "none":
            why = f"'{op.name}' already applies {op.attrs['activation']} before it"
        elif self._real_users(src) != [node]:
            why = f"the output of '{op.name}' is also read elsewhere"
        else:
            why = ""
        if why:
            raise UnsupportedError(f"{where} has no foldable producer: {why} (BatchNorm must "
                                   "directly follow a Conv2d or Linear that only it reads)")
        mean = bn.running_mean.detach().cpu().double().numpy()
        var = bn.running_var.detach().cpu().double().numpy()
        gamma = (bn.weight.detach().cpu().double().numpy() if bn.affine
                 else np.ones_like(mean))
        beta = bn.bias.detach().cpu().double().numpy() if bn.affine else np.zeros_like(mean)
        scale = gamma / np.sqrt(var + bn.eps)
        w = self.graph.tensors[op.inputs[1]]
        axis = 3 if op.type == "DepthwiseConv2D" else 0
        bshape = [1] * w.data.ndim
        bshape[axis] = -1
        w.data = np.ascontiguousarray(w.data * scale.reshape(bshape), dtype=np.float32)
        if len(op.inputs) > 2:
            b = self.graph.tensors[op.inputs[2]]
            b.data = np.ascontiguousarray((b.data - mean) * scale + beta, dtype=np.float32)
        else:
            b = self.graph.add_tensor(Tensor(f"{op.name}_bias", mean.shape,
                                             data=(beta - mean * scale).astype(np.float32)))
            op.inputs.append(b.name)
        op.attrs["fused"].append(self._source_name(node))
        self.env[node] = x

    def activation(self, node: fx.Node, act: str) -> None:
        """Fuse ReLU/ReLU6 into the producer's ``activation``."""
        src = node.args[0]
        x = self._value(node, src, allow_flat=True)
        op = self.graph.producer(x.tensor)
        if op is None:
            why = "its input is the graph input"
        elif "activation" not in OP_SPECS[op.type].required_attrs:
            why = f"its input comes from {op.type} '{op.name}', which takes no activation"
        elif self._real_users(src) != [node]:
            why = f"the output of '{op.name}' is also read elsewhere"
        else:
            why = ""
        if why:
            raise UnsupportedError(f"{self._where(node)}: cannot fuse {act}: {why}; the IR has "
                                   "no standalone activation op")
        prev = op.attrs["activation"]
        op.attrs["activation"] = act if prev == "none" else _compose_activations(prev, act)
        op.attrs["fused"].append(self._source_name(node))
        self.env[node] = x

    def clamp(self, node: fx.Node, low: Any, high: Any) -> None:
        """clamp/hardtanh with bounds (0, none) is ReLU and (0, 6) is ReLU6."""
        low, high = self._const(node, low), self._const(node, high)
        if low == 0 and high is None:
            self.activation(node, "relu")
        elif low == 0 and high == 6:
            self.activation(node, "relu6")
        else:
            raise UnsupportedError(f"{self._where(node)} with bounds ({low}, {high}); only "
                                   "(0, None) = ReLU and (0, 6) = ReLU6")

    def pool(self, node: fx.Node, op_type: str, kernel: Any, stride: Any, padding: Any,
             ceil_mode: bool = False, dilation: Any = 1, return_indices: bool = False,
             count_include_pad: bool = False, divisor_override: Any = None) -> None:
        """MaxPool2d/AvgPool2d -> MaxPool2D/AvgPool2D (floor mode only)."""
        where = self._where(node)
        kernel, padding, dilation = (_pair(self._const(node, v))
                                     for v in (kernel, padding, dilation))
        stride = self._const(node, stride)
        stride = kernel if stride is None or stride == [] or stride == () else _pair(stride)
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
        x = self._value(node, node.args[0])
        ph, pw = padding
        self._emit(node, op_type, [x.tensor], {
            "kernel": list(kernel), "stride": list(stride), "padding": [ph, ph, pw, pw],
            "activation": "none"})

    def adaptive_pool(self, node: fx.Node, op_type: str, output_size: Any) -> None:
        """Adaptive pooling whose windows tile the input exactly is an ordinary pool."""
        _, _, h, w = self._shape(node.args[0])
        oh, ow = _pair(self._const(node, output_size))
        oh, ow = oh or h, ow or w
        if h % oh or w % ow:
            raise UnsupportedError(f"{self._where(node)} from {h}x{w} to {oh}x{ow} (the "
                                   "output size must divide the input size)")
        kernel = (h // oh, w // ow)
        self.pool(node, op_type, kernel, kernel, 0)

    def reshape(self, node: fx.Node) -> None:
        """Flatten/view/reshape: only [N, C, H, W] -> [N, C*H*W] (or a no-op)."""
        src = node.args[0]
        shape_in, shape_out = self._shape(src), self._shape(node)
        if shape_in == shape_out:
            self.env[node] = self.env[src]
            return
        if len(shape_in) != 4 or len(shape_out) != 2 or shape_in[0] != shape_out[0]:
            raise UnsupportedError(f"{self._where(node)} from {list(shape_in)} to "
                                   f"{list(shape_out)} (only flattening [N, C, H, W] to "
                                   "[N, C*H*W])")
        x = self._value(node, src)
        n, c, h, w = shape_in
        # When C == 1 or H*W == 1 the (C, H, W) and (H, W, C) orders coincide.
        chw = (c, h, w) if c > 1 and h * w > 1 else None
        self._emit(node, "Reshape", [x.tensor], {"shape": [n, c * h * w]}, chw=chw)

    def add(self, node: fx.Node) -> None:
        """Elementwise ``a + b`` of two same-shaped tensors -> Add."""
        a, b = _arg(node, 0, "input"), _arg(node, 1, "other")
        if _arg(node, 2, "alpha", 1) != 1:
            raise UnsupportedError(f"{self._where(node)} with alpha != 1")
        if not (isinstance(a, fx.Node) and isinstance(b, fx.Node)
                and isinstance(self.env[a], _Value) and isinstance(self.env[b], _Value)):
            raise UnsupportedError(f"{self._where(node)}: adding a constant (only the sum "
                                   "of two computed tensors)")
        if self._shape(a) != self._shape(b):
            raise UnsupportedError(f"{self._where(node)}: broadcasting {list(self._shape(a))} "
                                   f"+ {list(self._shape(b))}")
        va, vb = self._value(node, a, allow_flat=True), self._value(node, b, allow_flat=True)
        if va.chw != vb.chw:
            raise UnsupportedError(f"{self._where(node)}: adding a flattened feature map to "
                                   "a tensor in another order")
        self._emit(node, "Add", [va.tensor, vb.tensor], {"activation": "none"}, chw=va.chw)

    def softmax(self, node: fx.Node, dim: Any) -> None:
        """Softmax over the channel/feature axis, which is the IR tensor's last axis."""
        dim = self._const(node, dim)
        rank = len(self._shape(node))
        if dim is None or dim % rank != 1:
            raise UnsupportedError(f"{self._where(node)} over dim={dim} (only the "
                                   "channel/feature dim 1, the last axis in NHWC)")
        x = self._value(node, node.args[0])
        self._emit(node, "Softmax", [x.tensor], {"beta": 1.0})

    def alias(self, node: fx.Node) -> None:
        """Nodes that compute nothing at inference (Dropout in eval mode, Identity)."""
        self.env[node] = self.env[node.args[0]]

    # ----------------------------------------------------------------- dispatch
    def module(self, node: fx.Node) -> None:
        """Convert a call of a leaf ``nn.Module``."""
        m = self.modules[node.target]
        if isinstance(m, nn.Conv2d):
            self.conv2d(node, m)
        elif isinstance(m, nn.Linear):
            self.linear(node, m)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            self.batchnorm(node, m)
        elif isinstance(m, nn.ReLU):
            self.activation(node, "relu")
        elif isinstance(m, nn.ReLU6):
            self.activation(node, "relu6")
        elif isinstance(m, nn.Hardtanh):
            self.clamp(node, m.min_val, m.max_val)
        elif isinstance(m, nn.MaxPool2d):
            self.pool(node, "MaxPool2D", m.kernel_size, m.stride, m.padding, m.ceil_mode,
                      m.dilation, m.return_indices)
        elif isinstance(m, nn.AvgPool2d):
            self.pool(node, "AvgPool2D", m.kernel_size, m.stride, m.padding, m.ceil_mode,
                      count_include_pad=m.count_include_pad,
                      divisor_override=m.divisor_override)
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            self.adaptive_pool(node, "AvgPool2D", m.output_size)
        elif isinstance(m, nn.AdaptiveMaxPool2d) and not m.return_indices:
            self.adaptive_pool(node, "MaxPool2D", m.output_size)
        elif isinstance(m, nn.Flatten):
            self.reshape(node)
        elif isinstance(m, nn.Softmax):
            self.softmax(node, m.dim)
        elif self._is_passthrough(node):
            self.alias(node)
        else:
            raise UnsupportedError(self._where(node))

    def function(self, node: fx.Node) -> None:
        """Convert a call of a torch function (``F.relu``, ``torch.flatten``, ``+`` ...)."""
        t = node.target
        if t in (F.relu, torch.relu, torch.relu_):
            self.activation(node, "relu")
        elif t is F.relu6:
            self.activation(node, "relu6")
        elif t in (torch.clamp, torch.clip):
            self.clamp(node, _arg(node, 1, "min"), _arg(node, 2, "max"))
        elif t is F.hardtanh:
            self.clamp(node, _arg(node, 1, "min_val", -1.0), _arg(node, 2, "max_val", 1.0))
        elif t in (operator.add, operator.iadd, torch.add):
            self.add(node)
        elif t is torch.flatten:
            self.reshape(node)
        elif t in (F.softmax, torch.softmax):
            self.softmax(node, _arg(node, 1, "dim"))
        elif t is F.dropout:
            if self._const(node, _arg(node, 2, "training", True)):
                raise UnsupportedError(f"{self._where(node)} with training=True at inference")
            self.alias(node)
        elif t is F.max_pool2d:
            self.pool(node, "MaxPool2D", _arg(node, 1, "kernel_size"), _arg(node, 2, "stride"),
                      _arg(node, 3, "padding", 0), _arg(node, 5, "ceil_mode", False),
                      _arg(node, 4, "dilation", 1), _arg(node, 6, "return_indices", False))
        elif t is F.avg_pool2d:
            self.pool(node, "AvgPool2D", _arg(node, 1, "kernel_size"), _arg(node, 2, "stride"),
                      _arg(node, 3, "padding", 0), _arg(node, 4, "ceil_mode", False),
                      count_include_pad=_arg(node, 5, "count_include_pad", True),
                      divisor_override=_arg(node, 6, "divisor_override"))
        elif t is F.adaptive_avg_pool2d:
            self.adaptive_pool(node, "AvgPool2D", _arg(node, 1, "output_size"))
        else:
            raise UnsupportedError(self._where(node))

    def method(self, node: fx.Node) -> None:
        """Convert a tensor method call (``x.view(...)``, ``x.relu()`` ...)."""
        t = node.target
        if t in ("relu", "relu_"):
            self.activation(node, "relu")
        elif t in ("clamp", "clamp_", "clip", "clip_"):
            self.clamp(node, _arg(node, 1, "min"), _arg(node, 2, "max"))
        elif t in ("add", "add_"):
            self.add(node)
        elif t in ("view", "reshape", "flatten"):
            self.reshape(node)
        elif t == "softmax":
            self.softmax(node, _arg(node, 1, "dim"))
        elif t == "contiguous":
            self.alias(node)
        else:
            raise UnsupportedError(self._where(node))

    def _is_shape_arithmetic(self, node: fx.Node) -> bool:
        """True for nodes that only read tensor shapes, or compute on such constants."""
        if node.op == "call_method" and node.target in ("size", "dim"):
            return True
        if node.op == "call_function" and node.target is getattr:
            return node.args[1] in ("shape", "ndim")
        if node.op != "call_function":
            return False
        args: list[fx.Node] = []
        fx.node.map_arg((node.args, node.kwargs), args.append)
        return all(not isinstance(self.env[a], _Value) for a in args)

    def convert(self) -> Graph:
        """Walk every node in topological order and return the validated graph."""
        for node in self.traced.graph.nodes:
            if node.op == "placeholder":
                if self.graph.inputs:
                    raise UnsupportedError(f"a second model input '{node.name}' (one input only)")
                self.graph.add_tensor(Tensor(INPUT_NAME, _ir_shape(self.input_shape, "the input")))
                self.graph.inputs.append(INPUT_NAME)
                self.env[node] = _Value(INPUT_NAME)
            elif node.op == "get_attr":
                raise UnsupportedError(f"parameter or buffer '{node.target}' used directly in "
                                       "forward() (only nn layers' own weights are converted)")
            elif node.op == "output":
                self._outputs(node)
            elif not _holds_tensor(self.results[node]) and self._is_shape_arithmetic(node):
                self.env[node] = self.results[node]
            elif node.op == "call_module":
                self.module(node)
            elif node.op == "call_function":
                self.function(node)
            else:
                self.method(node)
        self.graph.validate()
        return self.graph

    def _outputs(self, node: fx.Node) -> None:
        result = node.args[0]
        nodes = list(result) if isinstance(result, (tuple, list)) else [result]
        for out in nodes:
            if not isinstance(out, fx.Node):
                raise UnsupportedError(f"model output {out!r} (outputs must be tensors)")
            value = self.env[out]
            if not isinstance(value, _Value):
                raise UnsupportedError(
                    f"model output '{self._source_name(out)}' that is not a tensor")
            if value.chw is not None:
                raise UnsupportedError(
                    f"model output '{self._source_name(out)}', a feature map flattened in "
                    "PyTorch's (C, H, W) order (the IR holds (H, W, C))")
            self.graph.outputs.append(value.tensor)


def from_torch(module: nn.Module, input_shape: tuple[int, ...], name: str) -> Graph:
    """Convert ``module`` (its eval-mode behaviour) to an IR graph named ``name``.

    ``input_shape`` is the input as PyTorch sees it: ``(1, C, H, W)`` or ``(C, H, W)`` for
    image models (the IR input becomes NHWC ``[1, H, W, C]``), or ``(1, features)``. The
    module is switched to eval mode while it is traced and then restored. Raises
    :class:`UnsupportedError` naming the first module or function the IR cannot express.
    """
    shape = _nchw(input_shape)
    was_training = module.training
    module.eval()
    try:
        # A bare standard layer would be traced into its own F.* call on raw parameters;
        # wrapped, it stays one module call that the converter knows.
        root = nn.Sequential(module) if fx.Tracer().is_leaf_module(module, "") else module
        try:
            traced = fx.symbolic_trace(root)
        # fx reports untraceable code with many exception types (TraceError, TypeError,
        # RuntimeError and others): any of them means "cannot trace".
        except Exception as exc:  # noqa: BLE001
            first = (str(exc).strip().splitlines() or [""])[0]
            raise UnsupportedError(
                f"model {name!r}: torch.fx cannot trace forward() ({type(exc).__name__}: "
                f"{first}); data-dependent control flow must be removed") from None
        recorder = _Recorder(traced)
        param = next(module.parameters(), None)
        dtype = param.dtype if param is not None else torch.float32
        try:
            with torch.no_grad():
                recorder.run(torch.zeros(shape, dtype=dtype))
        except RuntimeError as exc:
            first = (str(exc).strip().splitlines() or [""])[0]
            raise ShapeError(f"model {name!r} does not run on an input of shape "
                             f"{list(shape)}: {first}") from None
        return _Converter(traced, recorder.results, name, shape).convert()
    finally:
        module.train(was_training)
