"""What a family's reference needs besides its input arrays: the op, its graph (quantization
parameters), the output shape, and the int8 requantization every integer kernel ends with."""

from __future__ import annotations

import numpy as np

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.ir.tensor import QuantParams
from sdk.quant import layer_params as lp
from sdk.quant.arith import multiply_by_quantized_multiplier


class RefContext:
    """One op being executed by a reference: ``graph``, ``op``, ``out_shape``."""

    def __init__(self, graph: Graph, op: Op) -> None:
        self.graph, self.op = graph, op
        self.out_shape: tuple[int, ...] = graph.tensors[op.outputs[0]].shape

    @property
    def attrs(self) -> dict:
        """The op's attributes."""
        return self.op.attrs

    @property
    def out(self) -> str:
        """The op's output tensor name."""
        return self.op.outputs[0]

    def quant(self, name: str) -> QuantParams:
        """Quantization parameters of tensor ``name`` (ShapeError when it has none)."""
        q = self.graph.tensors[name].quant
        if q is None:
            raise ShapeError(f"op {self.op.name} ({self.op.type}): tensor {name!r} has no "
                             "quantization parameters")
        return q

    def per_tensor(self, name: str) -> QuantParams:
        """Per-tensor parameters of activation ``name``."""
        q = self.quant(name)
        if q.scale.size != 1:
            raise UnsupportedError(f"per-channel quantization of activation {name!r} in op "
                                   f"{self.op.name}")
        return q

    def act_range(self) -> tuple[int, int]:
        """The int8 clamp of the op's activation on its output's scale."""
        return lp.activation_range(self.op.attrs.get("activation", "none"),
                                   self.per_tensor(self.out))

    def centered_input(self, x: np.ndarray) -> np.ndarray:
        """``x - input_zero_point``: padding then contributes zero, as TFLite Micro skips it."""
        return x - int(self.per_tensor(self.op.inputs[0]).zero_point[0])

    def requantize(self, acc: np.ndarray, multipliers: np.ndarray,
                   shifts: np.ndarray) -> np.ndarray:
        """Per-channel requantization of int32 accumulators into the clamped int8 output."""
        out = multiply_by_quantized_multiplier(acc, multipliers, shifts)
        lo, hi = self.act_range()
        return np.clip(out + int(self.per_tensor(self.out).zero_point[0]), lo, hi)


def with_bias(acc: np.ndarray, args: list[np.ndarray]) -> np.ndarray:
    """``acc + args[2]`` when the op has a bias input."""
    return acc + args[2] if len(args) > 2 else acc


def activate(x: np.ndarray, act: str) -> np.ndarray:
    """A float activation (none, relu, relu6)."""
    if act == "relu":
        return np.maximum(x, 0.0)
    if act == "relu6":
        return np.clip(x, 0.0, 6.0)
    return x
