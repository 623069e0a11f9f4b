"""Binary kernel figures (golden group ``binary``): a binary 3x3 convolution measured alone on
``qemu_m7`` (instructions) and on the MSP430 simulator (MCLK cycles) at K = 288 (3 x 3 x 32)
and K = 576 (3 x 3 x 64), beside the int8 convolution of the same shape on ``qemu_m7``.

A binary MAC counts the unpadded K x outputs of the layer (issue 12). Each graph is an int8
input, a binary first layer (int8 input) that makes the measured layer's binary input, the
measured BinaryConv2D, and a 1x1 probe to int8 outputs that shows every bit of it; every run
must be bit-exact with the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from sdk.errors import TinypruneError
from sdk.ir import Graph, Op, Tensor
from sdk.ir.tensor import QuantParams

SEED = 12


@dataclass(frozen=True)
class BinaryCase:
    """One measured layer: ``name`` (figure key), input ``size`` x ``size`` x ``channels``,
    a 3x3 window with padding 1 and ``out_channels`` outputs."""

    name: str
    size: int
    channels: int
    out_channels: int

    @property
    def k(self) -> int:
        """Terms of one dot product."""
        return 9 * self.channels

    @property
    def macs(self) -> int:
        """Binary MACs: K x outputs."""
        return self.k * self.size * self.size * self.out_channels


QEMU_CASES = (BinaryCase("conv3x3_k288", 12, 32, 64), BinaryCase("conv3x3_k576", 8, 64, 64))
MSP430_CASES = (BinaryCase("conv3x3_k288_6x6", 6, 32, 32),)
CASE_BY_NAME = {c.name: c for c in (*QEMU_CASES, *MSP430_CASES)}
# Issue 12's targets on qemu_m7: instructions per binary MAC by K (at most), and at least this
# many times fewer instructions than the int8 convolution of the same shape.
PER_MAC_TARGET = {288: 0.30, 576: 0.25}
INT8_RATIO_TARGET = 3.3


def _q(scale: float, zero: int) -> QuantParams:
    return QuantParams(np.array([scale]), np.array([zero], np.int64))


def _signs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)


def _binary_op(g: Graph, rng: np.random.Generator, name: str, x: str, w_shape: tuple[int, ...],
               out: Tensor, attrs: dict, thresholds: np.ndarray) -> str:
    o = w_shape[0]
    g.add_tensor(Tensor(name + "_w", w_shape, "binary", _signs(rng, w_shape), storage="bitpacked",
                        quant=QuantParams(np.ones(o), np.zeros(o, np.int64), 0)))
    g.add_tensor(Tensor(name + "_t", (o,), "int32", thresholds.astype(np.int32)))
    g.add_tensor(out)
    op_type = "BinaryConv2D" if len(w_shape) == 4 else "BinaryDense"
    g.add_op(Op(name, op_type, [x, name + "_w", name + "_t"], [out.name], attrs))
    return out.name


def binary_case_graph(case: BinaryCase) -> Graph:
    """The seeded graph measuring ``case`` (its second step is the measured layer)."""
    import sdk.kernels.families  # noqa: F401  (registers the binary op types)

    rng = np.random.default_rng(SEED)
    s, c, o = case.size, case.channels, case.out_channels
    g = Graph(f"binary_{case.name}", inputs=["x"])
    g.add_tensor(Tensor("x", (1, s, s, 2), "int8", quant=_q(0.05, 3)))
    same = {"stride": [1, 1], "padding": [1, 1, 1, 1], "activation": "none"}
    a = _binary_op(g, rng, "first", "x", (c, 3, 3, 2), Tensor("a", (1, s, s, c), "binary"), same,
                   np.rint(rng.normal(0, 100, c)))
    b = _binary_op(g, rng, "layer", a, (o, 3, 3, c), Tensor("b", (1, s, s, o), "binary"), same,
                   np.rint(rng.normal(0, case.k ** 0.5, o)))
    probe = Tensor("y", (1, s, s, o), "int8", quant=_q(1.0, 0))
    _binary_op(g, rng, "probe", b, (o, 1, 1, o), probe,
               {"stride": [1, 1], "padding": [0, 0, 0, 0], "activation": "none"},
               np.zeros(o))
    g.outputs = ["y"]
    return g


# The first layer measured alone: the binary gesture network's (issue 12), an int8 30 x 20
# input, 3x3 binary weights, stride 2, padding 1, 16 channels.
FIRST_SIZE, FIRST_CHANNELS, FIRST_K = (30, 20), 16, 9
FIRST_LAYER_SHAPE = "30x20x1 int8, 3x3 stride 2, 16 out"


def first_layer_graph() -> Graph:
    """The seeded first-layer graph (its first step is the measured layer)."""
    import sdk.kernels.families  # noqa: F401  (registers the binary op types)

    rng = np.random.default_rng(SEED)
    (h, w), o = FIRST_SIZE, FIRST_CHANNELS
    oh, ow = (h - 1) // 2 + 1, (w - 1) // 2 + 1
    g = Graph("binary_first_layer", inputs=["x"])
    g.add_tensor(Tensor("x", (1, h, w, 1), "int8", quant=_q(0.05, 3)))
    a = _binary_op(g, rng, "first", "x", (o, 3, 3, 1), Tensor("a", (1, oh, ow, o), "binary"),
                   {"stride": [2, 2], "padding": [1, 1, 1, 1], "activation": "none"},
                   np.rint(rng.normal(0, 100, o)))
    _binary_op(g, rng, "probe", a, (o, 1, 1, o), Tensor("y", (1, oh, ow, o), "int8",
                                                        quant=_q(1.0, 0)),
               {"stride": [1, 1], "padding": [0, 0, 0, 0], "activation": "none"}, np.zeros(o))
    g.outputs = ["y"]
    return g


def first_layer_adds() -> int:
    """Additions of the first layer: K x outputs."""
    h, w = FIRST_SIZE
    return FIRST_K * ((h - 1) // 2 + 1) * ((w - 1) // 2 + 1) * FIRST_CHANNELS


def int8_case_graph(case: BinaryCase) -> Graph:
    """The int8 Conv2D of the same shape (random weights, TFLite-style quantization)."""
    rng = np.random.default_rng(SEED)
    s, c, o = case.size, case.channels, case.out_channels
    g = Graph(f"int8_{case.name}", inputs=["x"])
    g.add_tensor(Tensor("x", (1, s, s, c), "int8", quant=_q(0.05, 3)))
    w_scale = 0.01 * rng.uniform(0.2, 2.0, o)
    g.add_tensor(Tensor("w", (o, 3, 3, c), "int8", data=rng.integers(-127, 128, (o, 3, 3, c)),
                        quant=QuantParams(w_scale, np.zeros(o, np.int64), axis=0)))
    g.add_tensor(Tensor("bias", (o,), "int32", data=rng.integers(-3000, 3000, o),
                        quant=QuantParams(0.05 * w_scale, np.zeros(o, np.int64))))
    g.add_tensor(Tensor("y", (1, s, s, o), "int8", quant=_q(0.05 * 0.01 * 127 * case.k ** 0.5 / 40, 0)))
    g.add_op(Op("conv", "Conv2D", ["x", "w", "bias"], ["y"],
                {"stride": [1, 1], "padding": [1, 1, 1, 1], "activation": "none"}))
    g.outputs = ["y"]
    return g


def _run(graph: Graph, board: str, work: Path, step: int) -> int:
    from host.device_run import run_on_board

    x = np.random.default_rng(SEED).integers(-128, 128, graph.tensors["x"].shape)
    run = run_on_board(graph, board, x.astype(np.int8), work / graph.name, timeout_s=600)
    count = run.steps[step].instructions
    if not run.bit_exact or count is None:
        raise TinypruneError(f"binary bench {graph.name} on {board}: bit-exact "
                             f"{run.bit_exact}, count {count}")
    return count


def case_shape(case: BinaryCase) -> str:
    """The measured layer's shape as the tables print it."""
    return f"{case.size}x{case.size}x{case.channels}, 3x3, {case.out_channels} out"


def measure_binary(work: Path) -> dict:
    """The golden group ``binary``: per case on qemu_m7, K, binary MACs, the binary layer's
    instructions and the int8 convolution's of the same shape; the first layer's additions
    and instructions."""
    figures = {}
    for case in QEMU_CASES:
        figures[case.name] = {"k": case.k, "macs": case.macs,
                              "instructions": _run(binary_case_graph(case), "qemu_m7", work, 1),
                              "int8_instructions": _run(int8_case_graph(case), "qemu_m7",
                                                        work, 0)}
    figures["first_layer"] = {"adds": first_layer_adds(),
                              "instructions": _run(first_layer_graph(), "qemu_m7", work, 0)}
    return figures


def measure_binary_msp430(work: Path) -> dict:
    """The golden group ``binary_msp430``: per case, K, binary MACs and the binary layer's
    simulated MCLK cycles on msp430fr6989; the first layer's additions and cycles; the zoo
    gesture model's cycles per step."""
    figures: dict = {case.name: {"k": case.k, "macs": case.macs,
                                 "cycles": _run(binary_case_graph(case), "msp430fr6989", work, 1)}
                     for case in MSP430_CASES}
    figures["first_layer"] = {"adds": first_layer_adds(),
                              "cycles": _run(first_layer_graph(), "msp430fr6989", work, 0)}
    figures["gesture_model"] = measure_gesture_model_msp430(work)
    return figures


# Issue 12's MSP430 target: preprocessing plus binary inference per sweep at 16 MHz.
SWEEP_TARGET_CYCLES = 800_000


def gesture_model_graph(name: str = "bnn_gesture_msp430") -> Graph:
    """The zoo's binary gesture network ``name`` with seeded, untrained weights (default batch
    norms: thresholds near 0; the int8 head's range [-20, 20]): its cycles per layer do not
    depend on training, except the softmax's few data-dependent ones."""
    import torch

    from sdk.bnn.export import export_binary
    from sdk.bnn.models import GESTURE_INPUT, BinaryClassifier
    from sdk.zoo import get

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = cast(BinaryClassifier, get(name).factory())
    with torch.no_grad():
        model.head.low.fill_(-20.0)
        model.head.high.fill_(20.0)
    return export_binary(model, GESTURE_INPUT, name)


def measure_gesture_model_msp430(work: Path) -> dict:
    """Cycles per step of :func:`gesture_model_graph` on msp430fr6989 (bit-exact checked) and
    their total: the golden figure ``binary_msp430.gesture_model``."""
    from host.device_run import run_on_board

    graph = gesture_model_graph()
    shape = graph.tensors[graph.inputs[0]].shape
    x = np.random.default_rng(SEED).integers(-128, 128, shape).astype(np.int8)
    run = run_on_board(graph, "msp430fr6989", x, work / graph.name, timeout_s=600)
    counts = [s.instructions for s in run.steps]
    if not run.bit_exact or any(c is None for c in counts):
        raise TinypruneError(f"binary bench {graph.name} on msp430fr6989: bit-exact "
                             f"{run.bit_exact}, counts {counts}")
    steps = [{"name": s.name, "op": s.op, "macs": s.macs, "cycles": s.instructions}
             for s in run.steps]
    return {"cycles": sum(s["cycles"] for s in steps), "steps": steps}
