"""What every converter works with: the graph being built and what is known about each node.

A converter is a function ``(cx: Context, node: fx.Node) -> None`` that either emits an IR op
for ``node`` (:meth:`Context.emit`), folds it into the op that produced its input, or binds
``node`` to an existing value in :attr:`Context.env`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch.fx as fx

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir import Graph, Op, Tensor


@dataclass(frozen=True)
class Value:
    """The IR tensor that stands for one PyTorch tensor.

    ``chw`` is set when PyTorch flattened a (C, H, W) feature map: the IR tensor holds the same
    numbers in (H, W, C) order, so only a consumer that can permute its weights (a Linear)
    may read it.
    """

    tensor: str
    chw: tuple[int, int, int] | None = None


def pair(v: Any) -> tuple[int, int]:
    """``k`` or ``(kh, kw)`` as ``(kh, kw)``."""
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def source(node: fx.Node) -> fx.Node:
    """The node whose result ``node`` takes as its first argument (its tensor input)."""
    return cast(fx.Node, node.args[0])


def arg(node: fx.Node, index: int, key: str, default: Any = None) -> Any:
    """A call's argument given either positionally at ``index`` or by keyword ``key``."""
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(key, default)


def ir_shape(torch_shape: tuple[int, ...], where: str) -> tuple[int, ...]:
    """The IR shape of a PyTorch tensor: NCHW becomes NHWC, ``[N, features]`` stays."""
    if len(torch_shape) == 4:
        n, c, h, w = torch_shape
        return (n, h, w, c)
    if len(torch_shape) == 2:
        return tuple(torch_shape)
    raise UnsupportedError(f"{where}: tensor of shape {list(torch_shape)} (the IR holds "
                           "NHWC feature maps and [N, features] vectors only)")


def numpy_f64(t: Any) -> np.ndarray:
    """A module's parameter or buffer as a float64 numpy array."""
    return t.detach().cpu().double().numpy()


class Context:
    """One traced module being converted: its modules, recorded results and the IR so far.

    ``is_passthrough(cx, node)`` tells whether ``node`` computes nothing at inference
    (Dropout, Identity, ``contiguous``); it comes from the converter tables.
    """

    def __init__(self, traced: fx.GraphModule, results: dict[fx.Node, Any], name: str,
                 shape: tuple[int, ...],
                 is_passthrough: Callable[[Context, fx.Node], bool]) -> None:
        self.modules = dict(traced.named_modules())
        self.results = results
        self.input_shape = shape
        self.graph = Graph(name, metadata={"frontend": "pytorch",
                                           "torch_input_shape": list(shape)})
        self.env: dict[fx.Node, Any] = {}
        self._is_passthrough = is_passthrough

    # ----------------------------------------------------------------- naming and lookups
    def module(self, node: fx.Node) -> Any:
        """The leaf module a ``call_module`` node calls (its class chose the converter)."""
        return self.modules[node.target]

    def where(self, node: fx.Node) -> str:
        """``node`` as error messages name it."""
        if node.op == "call_module":
            return f"module '{node.target}' of type {type(self.modules[node.target]).__name__}"
        if node.op == "call_method":
            return f"method .{node.target}() at node '{node.name}'"
        target = getattr(node.target, "__name__", str(node.target))
        return f"function {target}() at node '{node.name}'"

    def source_name(self, node: fx.Node) -> str:
        """The name recorded in ``attrs["fused"]``: module path, or node name for functions."""
        return str(node.target) if node.op == "call_module" else node.name

    def shape(self, node: fx.Node) -> tuple[int, ...]:
        """The PyTorch shape of ``node``'s result."""
        return tuple(self.results[node].shape)

    def value(self, node: fx.Node, source: Any, allow_flat: bool = False) -> Value:
        """The IR tensor behind ``source``, an input of ``node``."""
        value = self.env.get(source) if isinstance(source, fx.Node) else None
        if not isinstance(value, Value):
            raise UnsupportedError(f"{self.where(node)}: an input that is not a tensor "
                                   f"computed by the model ({source!r})")
        if value.chw is not None and not allow_flat:
            raise UnsupportedError(
                f"{self.where(node)} reads '{self.source_name(source)}', a feature map flattened "
                "in PyTorch's (C, H, W) order; only a Linear may consume it (the IR stores it "
                "in (H, W, C) order)")
        return value

    def const(self, node: fx.Node, source: Any) -> Any:
        """A literal argument, or one computed from shapes only."""
        if isinstance(source, fx.Node):
            value = self.env[source]
            if isinstance(value, Value):
                raise UnsupportedError(f"{self.where(node)}: tensor-valued argument "
                                       f"'{source.name}' where a constant is expected")
            return value
        if isinstance(source, (tuple, list)):
            return type(source)(self.const(node, a) for a in source)
        return source

    def real_users(self, node: fx.Node) -> list[fx.Node]:
        """Consumers of ``node``'s value, looking through removed nodes (Dropout, Identity)."""
        users: list[fx.Node] = []
        for user in node.users:
            users.extend(self.real_users(user) if self._is_passthrough(self, user) else [user])
        return users

    # ----------------------------------------------------------------- emitting ops
    def emit(self, node: fx.Node, op_type: str, inputs: list[str], attrs: dict,
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
        attrs.setdefault("fused", [self.source_name(node)])
        op = self.graph.add_op(Op(name, op_type, inputs, [name], attrs))
        expected = ir_shape(self.shape(node), self.where(node))
        if self.graph.tensors[name].shape != expected:
            raise ShapeError(
                f"{self.where(node)}: the IR {op_type} gives shape "
                f"{list(self.graph.tensors[name].shape)}, PyTorch gives {list(expected)} (NHWC)")
        self.env[node] = Value(name, chw)
        return op
