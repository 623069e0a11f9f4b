"""Small seeded IR graphs for tests: a builder for one-op graphs and a multi-op residual net."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sdk.ir import Graph, Op, Tensor, same_padding


class GraphBuilder:
    """Adds ops with random float weights to a graph; each method returns the output tensor."""

    def __init__(self, name: str, input_shape: tuple[int, ...], seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.graph = Graph(name, inputs=["input"])
        self.graph.add_tensor(Tensor("input", input_shape))
        self.count = 0

    def _name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def _const(self, name: str, shape: tuple[int, ...], scale: float) -> str:
        data = self.rng.normal(scale=scale, size=shape).astype(np.float32)
        self.graph.add_tensor(Tensor(name, shape, data=data))
        return name

    def _op(self, kind: str, op_type: str, inputs: list[str], attrs: dict) -> str:
        name = self._name(kind)
        self.graph.add_op(Op(name, op_type, inputs, [name + "_out"], attrs))
        return name + "_out"

    def shape(self, tensor: str) -> tuple[int, ...]:
        """Shape of a tensor already in the graph."""
        return self.graph.tensors[tensor].shape

    def conv(self, x: str, out_ch: int, kernel: tuple[int, int] = (3, 3),
             stride: tuple[int, int] = (1, 1), padding: list[int] | str = "same",
             activation: str = "none", bias: bool = True) -> str:
        """Conv2D; ``padding`` is "same", "valid" or explicit ``[top, bottom, left, right]``."""
        _, h, w, c = self.shape(x)
        kh, kw = kernel
        pads = self._padding(padding, h, w, kernel, stride)
        name = f"conv{self.count + 1}"
        inputs = [x, self._const(name + "_w", (out_ch, kh, kw, c), (kh * kw * c) ** -0.5)]
        if bias:
            inputs.append(self._const(name + "_b", (out_ch,), 0.1))
        return self._op("conv", "Conv2D", inputs, {"stride": list(stride), "padding": pads,
                                                   "activation": activation})

    def depthwise(self, x: str, multiplier: int = 1, kernel: tuple[int, int] = (3, 3),
                  stride: tuple[int, int] = (1, 1), padding: list[int] | str = "same",
                  activation: str = "none") -> str:
        """DepthwiseConv2D with a depth multiplier."""
        _, h, w, c = self.shape(x)
        kh, kw = kernel
        pads = self._padding(padding, h, w, kernel, stride)
        name = f"dw{self.count + 1}"
        inputs = [x, self._const(name + "_w", (1, kh, kw, c * multiplier), (kh * kw) ** -0.5),
                  self._const(name + "_b", (c * multiplier,), 0.1)]
        return self._op("dw", "DepthwiseConv2D", inputs,
                        {"stride": list(stride), "padding": pads, "activation": activation,
                         "depth_multiplier": multiplier})

    def pool(self, x: str, op_type: str, kernel: tuple[int, int] = (2, 2),
             stride: tuple[int, int] | None = None, padding: list[int] | str = "valid",
             activation: str = "none") -> str:
        """MaxPool2D or AvgPool2D (stride defaults to the kernel)."""
        _, h, w, _ = self.shape(x)
        stride = stride or kernel
        pads = self._padding(padding, h, w, kernel, stride)
        return self._op("pool", op_type, [x], {"kernel": list(kernel), "stride": list(stride),
                                              "padding": pads, "activation": activation})

    def dense(self, x: str, units: int, activation: str = "none", bias: bool = True) -> str:
        """Dense on a [batch, features] tensor."""
        n_in = self.shape(x)[1]
        name = f"dense{self.count + 1}"
        inputs = [x, self._const(name + "_w", (units, n_in), n_in ** -0.5)]
        if bias:
            inputs.append(self._const(name + "_b", (units,), 0.1))
        return self._op("dense", "Dense", inputs, {"activation": activation})

    def flatten(self, x: str) -> str:
        """Reshape to [batch, features]."""
        shape = self.shape(x)
        return self._op("flatten", "Reshape", [x],
                        {"shape": [shape[0], int(np.prod(shape[1:]))]})

    def add(self, a: str, b: str, activation: str = "none") -> str:
        """Elementwise a + b."""
        return self._op("add", "Add", [a, b], {"activation": activation})

    def softmax(self, x: str, beta: float = 1.0) -> str:
        """Softmax over the last dimension."""
        return self._op("softmax", "Softmax", [x], {"beta": beta})

    def finish(self, *outputs: str) -> Graph:
        """Set the graph outputs, validate, and return the graph."""
        self.graph.outputs = list(outputs)
        self.graph.validate()
        return self.graph

    @staticmethod
    def _padding(padding: list[int] | str, h: int, w: int, kernel: tuple[int, int],
                 stride: tuple[int, int]) -> list[int]:
        if padding == "valid":
            return [0, 0, 0, 0]
        if padding == "same":
            return [*same_padding(h, kernel[0], stride[0]), *same_padding(w, kernel[1], stride[1])]
        return list(padding)


def residual_net(seed: int = 0) -> Graph:
    """conv -> maxpool -> conv(stride 2, SAME) -> depthwise -> add residual -> flatten -> dense
    -> softmax, on a 12x10x3 input: every float op kind, an alias and an in-place candidate."""
    b = GraphBuilder("residual_net", (1, 12, 10, 3), seed)
    x = b.conv("input", 8, activation="relu")
    x = b.pool(x, "MaxPool2D")
    x = b.conv(x, 12, stride=(2, 2), activation="relu6")
    y = b.depthwise(x, activation="relu")
    x = b.add(x, y)
    x = b.flatten(x)
    x = b.dense(x, 5)
    return b.finish(b.softmax(x))


def gesture_graph(seed: int = 0) -> Graph:
    """The seed's gesture CNN (66,264 parameters) with random weights, built directly in IR."""
    b = GraphBuilder("gesture_cnn", (1, 30, 20, 1), seed)
    x = "input"
    for _ in range(3):
        x = b.conv(x, 32, activation="relu")
        x = b.conv(x, 32, activation="relu")
        x = b.pool(x, "MaxPool2D")
    x = b.flatten(x)
    x = b.dense(x, 100, activation="relu")
    x = b.dense(x, 4)
    return b.finish(b.softmax(x))


def float_op_case(name: str, seed: int, *, dense_batch: tuple[int, int] | None = None,
                  dense_units: tuple[int, int] = (1, 13),
                  extra: Callable[..., tuple[GraphBuilder, str] | None] | None = None) -> Graph:
    """One small float graph per op pattern in FLOAT_OP_CASES (stride 2, asymmetric padding,
    depth multipliers, 1x1, relu6 ...); shapes are drawn from the case's seeded generator.

    The int8 suite (tests/device/test_kernels_s8_host.py) builds its cases here too, before quantizing
    them: ``dense_batch`` draws the dense input's batch from that range (None: batch 2, no
    draw, so the float cases' draws stay as they were), ``dense_units`` is dense_relu's range of
    units, and ``extra(name, seed, rng, builder, h, w)`` returns (builder, output) for the names
    this table does not know (None: unknown)."""
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(5, 11)), int(rng.integers(5, 11))
    c = int(rng.integers(1, 7))
    if name.startswith("dense"):
        batch = 2 if dense_batch is None else int(rng.integers(*dense_batch))
        b = GraphBuilder(name, (batch, int(rng.integers(3, 40))), seed)
    else:
        b = GraphBuilder(name, (1, h, w, c), seed)
    x = "input"
    if name == "conv_same_relu":
        y = b.conv(x, int(rng.integers(1, 11)), activation="relu")
    elif name == "conv_stride2_same_relu6":
        y = b.conv(x, 9, stride=(2, 2), activation="relu6")
    elif name == "conv_pad_0101":
        y = b.conv(x, 6, stride=(2, 2), padding=[0, 1, 0, 1])
    elif name == "conv_pad_1201_5x3":
        y = b.conv(x, 7, kernel=(5, 3), padding=[1, 2, 0, 1], activation="relu")
    elif name == "conv_1x1_no_bias":
        y = b.conv(x, 5, kernel=(1, 1), padding="valid", bias=False)
    elif name == "conv_valid_stride_2x1":
        y = b.conv(x, 4, kernel=(2, 3), stride=(2, 1), padding="valid", activation="relu6")
    elif name == "depthwise_same":
        y = b.depthwise(x, activation="relu")
    elif name == "depthwise_mult2_stride2":
        y = b.depthwise(x, multiplier=2, stride=(2, 2), padding=[0, 1, 0, 1])
    elif name == "depthwise_mult3_pad_1201":
        y = b.depthwise(x, multiplier=3, padding=[1, 2, 0, 1], activation="relu6")
    elif name == "maxpool_2x2":
        y = b.pool(x, "MaxPool2D")
    elif name == "maxpool_3x3_s2_same":
        y = b.pool(x, "MaxPool2D", kernel=(3, 3), stride=(2, 2), padding="same")
    elif name == "avgpool_3x3_s1_same":
        y = b.pool(x, "AvgPool2D", kernel=(3, 3), stride=(1, 1), padding="same")
    elif name == "avgpool_2x3_pad_0101_relu":
        y = b.pool(x, "AvgPool2D", kernel=(2, 3), stride=(2, 2), padding=[0, 1, 0, 1],
                   activation="relu")
    elif name == "dense_relu":
        y = b.dense(x, int(rng.integers(*dense_units)), activation="relu")
    elif name == "dense_no_bias_relu6":
        y = b.dense(x, 6, activation="relu6", bias=False)
    elif name == "add_relu":
        y = b.add(b.conv(x, 4), b.conv(x, 4), activation="relu")
    elif name == "softmax_beta":
        y = b.softmax(b.conv(x, 5), beta=0.7)
    else:
        found = extra(name, seed, rng, b, h, w) if extra is not None else None
        if found is None:
            raise AssertionError(name)
        b, y = found
    return b.finish(y)


FLOAT_OP_CASES = [
    "conv_same_relu", "conv_stride2_same_relu6", "conv_pad_0101", "conv_pad_1201_5x3",
    "conv_1x1_no_bias", "conv_valid_stride_2x1", "depthwise_same", "depthwise_mult2_stride2",
    "depthwise_mult3_pad_1201", "maxpool_2x2", "maxpool_3x3_s2_same", "avgpool_3x3_s1_same",
    "avgpool_2x3_pad_0101_relu", "dense_relu", "dense_no_bias_relu6", "add_relu", "softmax_beta",
]
