"""Small seeded int8 graphs for tests: a float graph from tests/graphs.py given random TFLite-style
quantization (per-channel symmetric int8 weights, int32 biases, per-tensor asymmetric int8
activations), so every int8 kernel can be checked against the int8 reference executor."""

from __future__ import annotations

import numpy as np

from graphs import GraphBuilder
from sdk.ir import Graph, Op, Tensor
from sdk.ir.tensor import QuantParams

# Ops whose output keeps its input's quantization (TFLite requires it for pooling and reshape).
_SAME_QUANT = ("MaxPool2D", "AvgPool2D", "Reshape")


def quantize_randomly(graph: Graph, seed: int) -> Graph:
    """Turn a float graph into an int8 graph with random but sensible quantization.

    Output scales follow a rough estimate of each accumulator's spread, so outputs use a good
    part of the int8 range instead of saturating.
    """
    rng = np.random.default_rng(seed)
    for name in graph.inputs:
        t = graph.tensors[name]
        t.dtype = "int8"
        t.quant = QuantParams(rng.uniform(0.02, 0.08), int(rng.integers(-30, 30)))
    for op in graph.ops:
        x = graph.tensors[op.inputs[0]]
        y = graph.tensors[op.outputs[0]]
        y.dtype = "int8"
        in_scale = float(x.quant.scale[0])
        if op.type in _SAME_QUANT:
            y.quant = QuantParams(x.quant.scale.copy(), x.quant.zero_point.copy())
            continue
        if op.type == "Softmax":
            y.quant = QuantParams(1 / 256, -128)
            continue
        if any(c.type == "Softmax" for c in graph.consumers(y.name)):
            # Logits within about +-4, so that the softmax is not one-hot.
            y.quant = QuantParams(4 / 128, int(rng.integers(-20, 20)))
            taps = graph.tensors[op.inputs[1]].size // graph.tensors[op.inputs[1]].shape[0]
            _quantize_weights(graph, op, in_scale, rng,
                              scale=2.0 / (in_scale * 70 * np.sqrt(taps) * 40))
            continue
        if op.type in ("Conv2D", "DepthwiseConv2D", "Dense"):
            w = graph.tensors[op.inputs[1]]
            w_scale, channels = _quantize_weights(graph, op, in_scale, rng)
            taps = w.size // channels
            spread = in_scale * float(np.mean(w_scale)) * 70 * np.sqrt(taps) * 30
            y.quant = QuantParams(spread / 100, int(rng.integers(-20, 20)))
        else:  # Add
            y.quant = QuantParams(in_scale * rng.uniform(1.2, 2.0), int(rng.integers(-20, 20)))
    graph.validate()
    return graph


def _quantize_weights(graph: Graph, op: Op, in_scale: float, rng,
                      scale: float = 0.01) -> tuple[np.ndarray, int]:
    """Random int8 weights (per-channel scales) and int32 biases of a Conv2D / Dense op."""
    if op.type not in ("Conv2D", "DepthwiseConv2D", "Dense"):
        return np.ones(1), 1
    w = graph.tensors[op.inputs[1]]
    axis = 3 if op.type == "DepthwiseConv2D" else 0
    channels = w.shape[axis]
    w_scale = scale * rng.uniform(0.2, 2.0, channels)
    w.data = rng.integers(-127, 128, w.shape).astype(np.int8)
    w.dtype = "int8"
    w.quant = QuantParams(w_scale, np.zeros(channels, np.int64), axis=axis)
    if len(op.inputs) > 2:
        b = graph.tensors[op.inputs[2]]
        b.data = rng.integers(-3000, 3000, b.shape).astype(np.int32)
        b.dtype = "int32"
        b.quant = QuantParams(in_scale * w_scale, np.zeros(channels, np.int64))
    return w_scale, channels


def boundary_graph(seed: int) -> Graph:
    """float32 input -> Quantize -> Conv2D -> Quantize (int8 rescale) -> Dequantize -> float32."""
    rng = np.random.default_rng(seed)
    g = Graph("boundary", inputs=["x"])
    g.add_tensor(Tensor("x", (1, 6, 5, 3)))
    g.add_tensor(Tensor("q", (1, 6, 5, 3), "int8",
                        quant=QuantParams(np.float32(0.03), int(rng.integers(-10, 10)))))
    g.add_op(Op("quantize", "Quantize", ["x"], ["q"]))
    g.add_tensor(Tensor("w", (4, 3, 3, 3), "int8", data=rng.integers(-127, 128, (4, 3, 3, 3)),
                        quant=QuantParams(rng.uniform(0.005, 0.02, 4), np.zeros(4), axis=0)))
    g.add_tensor(Tensor("c", (1, 6, 5, 4), "int8", quant=QuantParams(0.25, 3)))
    g.add_op(Op("conv", "Conv2D", ["q", "w"], ["c"],
                {"stride": [1, 1], "padding": [1, 1, 1, 1], "activation": "none"}))
    # Scales are float32 values, as in every .tflite file (DEQUANTIZE multiplies in float32).
    g.add_tensor(Tensor("r", (1, 6, 5, 4), "int8", quant=QuantParams(np.float32(0.4), -7)))
    g.add_op(Op("requantize", "Quantize", ["c"], ["r"]))
    g.add_tensor(Tensor("y", (1, 6, 5, 4)))
    g.add_op(Op("dequantize", "Dequantize", ["r"], ["y"]))
    g.outputs = ["y"]
    g.validate()
    return g


def int8_residual_net(seed: int = 0) -> Graph:
    """conv(stride 2, SAME) -> depthwise -> residual add -> avgpool -> flatten -> dense ->
    softmax: a DAG of int8 ops."""
    b = GraphBuilder("int8_residual", (1, 11, 9, 3), seed)
    x = b.conv("input", 8, stride=(2, 2), activation="relu")
    y = b.depthwise(x, activation="relu6")
    x = b.add(x, y, activation="relu")
    x = b.pool(x, "AvgPool2D", kernel=(2, 2), stride=(2, 2), padding="same")
    x = b.flatten(x)
    x = b.dense(x, 6)
    return quantize_randomly(b.finish(b.softmax(x)), seed)
