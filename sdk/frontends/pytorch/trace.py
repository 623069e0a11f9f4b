"""Tracing: ``torch.fx`` turns the module into a graph, one zero-input run records its shapes."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.fx as fx
from torch import nn

from sdk.errors import ShapeError, UnsupportedError
from sdk.frontends.pytorch.walk import convert
from sdk.ir import Graph


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


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


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
            raise UnsupportedError(
                f"model {name!r}: torch.fx cannot trace forward() ({type(exc).__name__}: "
                f"{_first_line(exc)}); data-dependent control flow must be removed") from None
        recorder = _Recorder(traced)
        param = next(module.parameters(), None)
        dtype = param.dtype if param is not None else torch.float32
        try:
            with torch.no_grad():
                recorder.run(torch.zeros(shape, dtype=dtype))
        except RuntimeError as exc:
            raise ShapeError(f"model {name!r} does not run on an input of shape "
                             f"{list(shape)}: {_first_line(exc)}") from None
        return convert(traced, recorder.results, name, shape)
    finally:
        module.train(was_training)
