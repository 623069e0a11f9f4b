"""Small seeded int8 graphs for tests: a float graph from tests/graphs.py given random TFLite-style
quantization (per-channel symmetric int8 weights, int32 biases, per-tensor asymmetric int8
activations), so every int8 kernel can be checked against the int8 reference executor."""

from __future__ import annotations

import numpy as np

from graphs import GraphBuilder, float_op_case
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


def _int8_only_case(name: str, seed: int, rng: np.random.Generator, b: GraphBuilder, h: int,
               w: int) -> tuple[GraphBuilder, str] | None:
    """The int8 cases beyond graphs.float_op_case's table (INT8_ONLY_CASES): the channel counts
    of the DSP paths, fused and row-streamed convolutions, the depthwise ring path."""
    x = "input"
    if name == "conv_1x1_c8":
        b = GraphBuilder(name, (1, h, w, 8), seed)
        y = b.conv(x, 6, kernel=(1, 1), padding="valid", activation="relu")
    elif name == "depthwise_c8_same":
        b = GraphBuilder(name, (1, h, w, 8), seed)
        y = b.depthwise(x, activation="relu")
    elif name == "avgpool_c8_global":
        b = GraphBuilder(name, (1, h, w, 8), seed)
        y = b.pool(x, "AvgPool2D", kernel=(h, w), stride=(1, 1), padding="valid")
    elif name == "conv_conv_pool":
        # Fused and row-streamed: conv -> conv -> 2x2 max pool (odd sizes floor).
        y = b.pool(b.conv(b.conv(x, 8, activation="relu"), 8, activation="relu"), "MaxPool2D")
    elif name == "conv_pool_relu6":
        # Fused conv + pool with a clamp that is neither saturation nor ReLU (generic path).
        y = b.pool(b.conv(x, 6, activation="relu6"), "MaxPool2D")
    elif name == "conv_conv_stride2":
        # Streamed pair without pool; the second conv has stride 2 and asymmetric padding.
        y = b.conv(b.conv(x, 5, activation="relu"), 7, stride=(2, 2), padding=[0, 1, 1, 1])
    elif name == "conv_c32_chunked":
        # A 288-value window: the planner splits im2col into chunks of one window row.
        b = GraphBuilder(name, (1, h, w, 32), seed)
        y = b.conv(x, 6, activation="relu")
    elif name == "depthwise_in_place":
        # Ring path in place (stride 1, same shape), 18 channels: a group of 16 and one of 2.
        z = b.conv(x, 18, kernel=(1, 1), padding="valid")
        y = b.conv(b.depthwise(z, activation="relu"), 4, kernel=(1, 1), padding="valid")
    elif name == "depthwise_relu6_in_place":
        # ReLU6 is neither saturation nor ReLU: the C path of the ring (SMLAD on the DSP).
        z = b.conv(x, 20, kernel=(1, 1), padding="valid")
        y = b.conv(b.depthwise(z, activation="relu6"), 3, kernel=(1, 1), padding="valid")
    elif name == "depthwise_5x3_in_place":
        z = b.conv(x, 8, kernel=(1, 1), padding="valid")
        y = b.conv(b.depthwise(z, kernel=(5, 3)), 3, kernel=(1, 1), padding="valid")
    elif name == "depthwise_3x5_valid":
        b = GraphBuilder(name, (1, h, w + 2, 4), seed)
        y = b.depthwise(x, kernel=(3, 5), padding="valid", activation="relu")
    elif name == "conv_shifts_mixed":
        y = b.conv(x, 6, kernel=(1, 1), padding="valid", activation="relu")
    elif name == "depthwise_7x1_c5":
        # K x 1 windows (ring path, one weight per window row), odd channels, SAME padding.
        b = GraphBuilder(name, (1, h + 3, w + 3, 5), seed)
        y = b.depthwise(x, kernel=(7, 1), activation="relu")
    elif name == "depthwise_15x1_c3_pad":
        b = GraphBuilder(name, (1, 17, 6, 3), seed)
        y = b.depthwise(x, kernel=(15, 1), padding=[6, 8, 0, 0])
    elif name == "depthwise_3x1_c20":
        # Two channel groups (16 + 4), 9 columns: passes of four and a tail.
        b = GraphBuilder(name, (1, 5, 9, 20), seed)
        y = b.depthwise(x, kernel=(3, 1), activation="relu6")
    elif name == "depthwise_4x1_c13_generic":
        # K x 1 kernel, even K, 3 channel quads + 1, rows not a multiple of 4 (the C tail);
        # multipliers from 0.2 to 2.4 force the generic requantization.
        b = GraphBuilder(name, (1, 4 * h + 3, w, 13), seed)
        y = b.depthwise(x, kernel=(4, 1), activation="relu")
    elif name == "depthwise_8x1_c6_valid":
        b = GraphBuilder(name, (1, h + 9, w, 6), seed)
        y = b.depthwise(x, kernel=(8, 1), padding="valid")
    elif name == "depthwise_kx1_in_place":
        # K x 1 kernel in place (same shape), 18 channels (a group of 16 and one of 2), odd
        # top padding.
        z = b.conv(x, 18, kernel=(1, 1), padding="valid")
        y = b.conv(b.depthwise(z, kernel=(5, 1), padding=[3, 1, 0, 0]), 4, kernel=(1, 1),
                   padding="valid")
    elif name == "depthwise_2x1_c4_generic":
        b = GraphBuilder(name, (1, h, w, 4), seed)
        y = b.depthwise(x, kernel=(2, 1), padding=[1, 0, 0, 0])
    elif name == "conv_1x1_c5_c7":
        # tp_convolve_1x1_s8 with two groups of four inputs (the last three read past the
        # pixel), an odd output count and the last pixel from a copy.
        b = GraphBuilder(name, (1, h, w, 5), seed)
        y = b.conv(x, 7, kernel=(1, 1), padding="valid")
    elif name == "conv_1x1_c1_relu6":
        b = GraphBuilder(name, (1, h, w, 1), seed)
        y = b.conv(x, 3, kernel=(1, 1), padding="valid", activation="relu6")
    elif name == "conv_1x1_c3_relu_chain":
        # Few-channel 1x1 between other ops (its output may overlap its dying input).
        z = b.depthwise(x, activation="relu")
        y = b.pool(b.conv(z, 12, kernel=(1, 1), padding="valid", activation="relu"),
                   "AvgPool2D")
    elif name == "depthwise_s2_c13_relu":
        # tp_depthwise_conv_s2_s8: 3 channel quads + 1, odd output width (the C tail).
        b = GraphBuilder(name, (1, h + 2, 2 * w + 3, 13), seed)
        y = b.depthwise(x, stride=(2, 2), activation="relu")
    elif name == "depthwise_s2_c20_pad_odd":
        # Two channel groups (16 + 4), odd left padding, stride 1 along the height.
        b = GraphBuilder(name, (1, h, 2 * w + 1, 20), seed)
        y = b.depthwise(x, stride=(1, 2), padding=[1, 1, 1, 1])
    elif name == "depthwise_s2_5x5_m3":
        # A 5 x 5 window (the C rows) with depth multiplier 3.
        b = GraphBuilder(name, (1, h + 4, w + 4, 3), seed)
        y = b.depthwise(x, multiplier=3, kernel=(5, 5), stride=(2, 2))
    elif name == "depthwise_s2_generic_relu":
        # The generic requantization with ReLU in tp_s8_dw_s2_row3, two channel groups.
        b = GraphBuilder(name, (1, h + 2, 2 * w + 8, 18), seed)
        y = b.depthwise(x, stride=(2, 2), activation="relu")
    elif name == "depthwise_s2_m2_relu":
        # Multiplier 2 with ReLU in tp_s8_dw_s2_row3 (a channel quad + 1, a C tail column).
        b = GraphBuilder(name, (1, h + 2, 2 * w + 9, 5), seed)
        y = b.depthwise(x, multiplier=2, stride=(2, 2), activation="relu")
    elif name == "depthwise_s2_m2_relu6":
        b = GraphBuilder(name, (1, h + 4, 2 * w + 2, 6), seed)
        y = b.depthwise(x, multiplier=2, stride=(2, 2), activation="relu6")
    elif name == "conv_1x1_c6_generic":
        # Two groups of inputs, generic requantization (shifts of both signs), ReLU.
        b = GraphBuilder(name, (1, h, w, 6), seed)
        y = b.conv(x, 5, kernel=(1, 1), padding="valid", activation="relu")
    elif name == "depthwise_s2_generic":
        b = GraphBuilder(name, (1, h + 3, 2 * w + 1, 7), seed)
        y = b.depthwise(x, multiplier=2, stride=(2, 2))
    elif name in ("add_table_1001", "add_generic_forced"):
        # 13 x 11 x 7 = 1,001 elements (odd: the table kernel's tail), inputs of two scales.
        b = GraphBuilder(name, (1, 13, 11, 7), seed)
        y = b.add(b.conv(x, 7, kernel=(1, 1), padding="valid"), x,
                  activation="none" if name == "add_generic_forced" else "relu6")
    else:
        return None
    return b, y


def int8_case(name: str, seed: int):
    """graphs.float_op_case's graph (the int8 variant: dense batch 1 or 2, dense_relu with at
    least 4 units) or an INT8_ONLY_CASES graph, with random TFLite-style quantization."""
    graph = quantize_randomly(float_op_case(name, seed, dense_batch=(1, 3), dense_units=(4, 13),
                                            extra=_int8_only_case), seed)
    if name in ("conv_shifts_mixed", "depthwise_4x1_c13_generic", "depthwise_2x1_c4_generic",
                "conv_1x1_c6_generic", "depthwise_s2_generic", "depthwise_s2_generic_relu"):
        _spread_multipliers(graph, seed)
    if name == "add_generic_forced":
        _untabulable_add(graph)
    if name in NARROW_RELU6:
        _narrow_relu6(graph)
    return graph


# Cases whose last op's ReLU6 must clamp below 127 (the kernels' C path for a clamp that is
# neither saturation nor ReLU).
NARROW_RELU6 = ("depthwise_3x1_c20", "conv_1x1_c1_relu6", "depthwise_s2_m2_relu6")


def _narrow_relu6(graph) -> None:
    """An output scale of 8 / 255 with zero point -128: ReLU6 is the clamp [-128, 63]."""
    graph.tensors[graph.ops[-1].outputs[0]].quant = QuantParams(np.float32(8 / 255), -128)


def _untabulable_add(graph) -> None:
    """Scales and zero points of the Add for which no exact tables exist (found by search):
    the lowering keeps tp_add_s8."""
    add = graph.ops[-1]
    for tensor, scale, zero in zip((*add.inputs, add.outputs[0]),
                                   (0.0598660446703434, 0.5048637390136719, 0.10461306571960449),
                                   (-29, -113, 89)):
        graph.tensors[tensor].quant = QuantParams(np.float32(scale), zero)


def _spread_multipliers(graph, seed: int) -> None:
    """Weights in {-1, 0, 1}, no bias, and an output scale giving per-channel multipliers from
    about 0.2 to 2.4: shifts of both signs, so the generic requantization is taken."""
    rng = np.random.default_rng(seed)
    op = graph.ops[0]
    w = graph.tensors[op.inputs[1]]
    w.data = rng.integers(-1, 2, w.shape).astype(np.int8)
    graph.tensors[op.inputs[2]].data[:] = 0
    scale = graph.tensors[op.inputs[0]].quant.scale[0] * np.median(w.quant.scale) / 1.2
    graph.tensors[op.outputs[0]].quant.scale[:] = scale


INT8_ONLY_CASES = ["conv_1x1_c8", "depthwise_c8_same", "avgpool_c8_global", "conv_conv_pool",
                   "conv_pool_relu6", "conv_conv_stride2", "conv_c32_chunked",
                   "depthwise_in_place", "depthwise_relu6_in_place", "depthwise_5x3_in_place",
                   "depthwise_3x5_valid", "conv_shifts_mixed", "add_table_1001",
                   "add_generic_forced", "depthwise_7x1_c5", "depthwise_15x1_c3_pad",
                   "depthwise_3x1_c20", "depthwise_4x1_c13_generic", "depthwise_8x1_c6_valid",
                   "depthwise_kx1_in_place", "depthwise_2x1_c4_generic", "conv_1x1_c5_c7",
                   "conv_1x1_c1_relu6", "conv_1x1_c3_relu_chain", "depthwise_s2_c13_relu",
                   "depthwise_s2_c20_pad_odd", "depthwise_s2_5x5_m3", "depthwise_s2_m2_relu6",
                   "conv_1x1_c6_generic", "depthwise_s2_generic", "depthwise_s2_m2_relu",
                   "depthwise_s2_generic_relu"]


def random_input(graph, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1000)
    t = graph.tensors[graph.inputs[0]]
    if t.dtype == "float32":
        return rng.normal(size=t.shape).astype(np.float32)
    return rng.integers(-128, 128, t.shape).astype(np.int8)
