"""The walk over a traced module's nodes, in topological order, that builds the IR graph."""

from __future__ import annotations

from typing import Any

import torch
import torch.fx as fx

from sdk.errors import UnsupportedError
from sdk.frontends.pytorch.context import Context, Value, ir_shape
from sdk.frontends.pytorch.table import converter_for, is_passthrough
from sdk.ir import Graph, Tensor

INPUT_NAME = "input"


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_holds_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_tensor(v) for v in value.values())
    return isinstance(value, torch.Tensor)


def _is_shape_arithmetic(cx: Context, node: fx.Node) -> bool:
    """True for nodes that only read tensor shapes, or compute on such constants."""
    if node.op == "call_method" and node.target in ("size", "dim"):
        return True
    if node.op == "call_function" and node.target is getattr:
        return node.args[1] in ("shape", "ndim")
    if node.op != "call_function":
        return False
    args: list[fx.Node] = []
    fx.node.map_arg((node.args, node.kwargs), args.append)
    return all(not isinstance(cx.env[a], Value) for a in args)


def _input(cx: Context, node: fx.Node) -> None:
    if cx.graph.inputs:
        raise UnsupportedError(f"a second model input '{node.name}' (one input only)")
    cx.graph.add_tensor(Tensor(INPUT_NAME, ir_shape(cx.input_shape, "the input")))
    cx.graph.inputs.append(INPUT_NAME)
    cx.env[node] = Value(INPUT_NAME)


def _outputs(cx: Context, node: fx.Node) -> None:
    result = node.args[0]
    nodes = list(result) if isinstance(result, (tuple, list)) else [result]
    for out in nodes:
        if not isinstance(out, fx.Node):
            raise UnsupportedError(f"model output {out!r} (outputs must be tensors)")
        value = cx.env[out]
        if not isinstance(value, Value):
            raise UnsupportedError(
                f"model output '{cx.source_name(out)}' that is not a tensor")
        if value.chw is not None:
            raise UnsupportedError(
                f"model output '{cx.source_name(out)}', a feature map flattened in "
                "PyTorch's (C, H, W) order (the IR holds (H, W, C))")
        cx.graph.outputs.append(value.tensor)


def convert(traced: fx.GraphModule, results: dict[fx.Node, Any], name: str,
            shape: tuple[int, ...]) -> Graph:
    """Walk every node of ``traced`` (with the ``results`` of one run on an input of PyTorch
    shape ``shape``) and return the validated IR graph ``name``."""
    cx = Context(traced, results, name, shape, is_passthrough)
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            _input(cx, node)
        elif node.op == "get_attr":
            raise UnsupportedError(f"parameter or buffer '{node.target}' used directly in "
                                   "forward() (only nn layers' own weights are converted)")
        elif node.op == "output":
            _outputs(cx, node)
        elif not _holds_tensor(results[node]) and _is_shape_arithmetic(cx, node):
            cx.env[node] = results[node]
        else:
            converter = converter_for(cx, node)
            if converter is None:
                raise UnsupportedError(cx.where(node))
            converter(cx, node)
    cx.graph.validate()
    return cx.graph
