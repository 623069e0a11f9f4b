"""Seeded random binary graphs for tests: BinaryConv2D (int8 or binary input), binary
MaxPool2D, Flatten and BinaryDense, with thresholds that include negative, extreme and
never/always-firing channels, and int8 or binary outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import sdk.kernels.families  # noqa: F401  (registers the binary op types)
from sdk.ir import Graph, Op, Tensor
from sdk.ir.tensor import QuantParams

INT32_MIN, INT32_MAX = -2**31, 2**31 - 1


class BinaryGraphBuilder:
    """Adds binary ops with random +1/-1 weights; each method returns the output tensor."""

    def __init__(self, name: str, input_shape: tuple[int, ...], input_dtype: str = "binary",
                 seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.graph = Graph(name, inputs=["input"])
        quant = QuantParams(0.05, int(self.rng.integers(-20, 20))) if input_dtype == "int8" else None
        self.graph.add_tensor(Tensor("input", input_shape, input_dtype, quant=quant))
        self.count = 0

    def _name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def _weights(self, name: str, shape: tuple[int, ...], group: int | None = None) -> str:
        data = self.rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)
        out = shape[0]
        meta = {} if group is None else {"bitpack_group": group}
        self.graph.add_tensor(Tensor(name, shape, "binary", data, storage="bitpacked", meta=meta,
                                     quant=QuantParams(self.rng.uniform(0.01, 0.05, out),
                                                       np.zeros(out, dtype=np.int64), 0)))
        return name

    def _thresholds(self, name: str, out: int, spread: float, binary_out: bool) -> str:
        """Thresholds spread like the dot products (a few channels constant: INT32_MIN always
        fires, INT32_MAX never); as int8 biases, a quarter of that spread."""
        t = np.rint(self.rng.normal(scale=spread if binary_out else spread / 4, size=out))
        if binary_out:
            t[self.rng.random(out) < 0.1] = INT32_MIN
            t[self.rng.random(out) < 0.1] = INT32_MAX
        self.graph.add_tensor(Tensor(name, (out,), "int32", t.astype(np.int64).astype(np.int32)))
        return name

    def _spread(self, x: str, terms: int) -> tuple[float, float]:
        """The dot products' typical size for input ``x`` and its real scale."""
        t = self.graph.tensors[x]
        if t.dtype == "int8":
            return terms ** 0.5 * 70, float(t.qparams().scale[0])
        return terms ** 0.5, 1.0

    def _output(self, name: str, shape: tuple[int, ...], dtype: str, scale: float) -> None:
        quant = QuantParams(scale, int(self.rng.integers(-10, 10))) if dtype == "int8" else None
        self.graph.add_tensor(Tensor(name, shape, dtype, quant=quant))

    def conv(self, x: str, out_ch: int, kernel: tuple[int, int] = (3, 3),
             stride: tuple[int, int] = (1, 1), padding: tuple[int, int, int, int] = (1, 1, 1, 1),
             out_dtype: str = "binary", activation: str = "none") -> str:
        """BinaryConv2D (the input's dtype decides binary or int8 input)."""
        n, h, w, c = self.graph.tensors[x].shape
        kh, kw = kernel
        name = self._name("bconv")
        spread, in_scale = self._spread(x, kh * kw * c)
        inputs = [x, self._weights(name + "_w", (out_ch, kh, kw, c)),
                  self._thresholds(name + "_t", out_ch, spread, out_dtype == "binary")]
        oh = (h + padding[0] + padding[1] - kh) // stride[0] + 1
        ow = (w + padding[2] + padding[3] - kw) // stride[1] + 1
        self._output(name + "_out", (n, oh, ow, out_ch), out_dtype, spread * in_scale * 0.03 / 40)
        self.graph.add_op(Op(name, "BinaryConv2D", inputs, [name + "_out"],
                             {"stride": list(stride), "padding": list(padding),
                              "activation": activation}))
        return name + "_out"

    def maxpool(self, x: str, kernel: tuple[int, int] = (2, 2),
                stride: tuple[int, int] = (2, 2)) -> str:
        """Binary MaxPool2D, VALID."""
        name = self._name("bpool")
        self.graph.add_op(Op(name, "MaxPool2D", [x], [name + "_out"],
                             {"kernel": list(kernel), "stride": list(stride),
                              "padding": [0, 0, 0, 0], "activation": "none"}))
        return name + "_out"

    def flatten(self, x: str) -> str:
        """Reshape of an NHWC tensor to [N, H*W*C]."""
        shape = self.graph.tensors[x].shape
        name = self._name("flatten")
        self.graph.add_tensor(Tensor(name + "_out", (shape[0], int(np.prod(shape[1:]))),
                                     self.graph.tensors[x].dtype,
                                     quant=self.graph.tensors[x].quant))
        self.graph.add_op(Op(name, "Reshape", [x], [name + "_out"],
                             {"shape": [shape[0], int(np.prod(shape[1:]))]}))
        return name + "_out"

    def dense(self, x: str, units: int, group: int | None = None, out_dtype: str = "binary",
              activation: str = "none") -> str:
        """BinaryDense with packing ``group`` (default: all inputs)."""
        n, k = self.graph.tensors[x].shape
        name = self._name("bdense")
        spread, in_scale = self._spread(x, k)
        inputs = [x, self._weights(name + "_w", (units, k), group),
                  self._thresholds(name + "_t", units, spread, out_dtype == "binary")]
        self._output(name + "_out", (n, units), out_dtype, spread * in_scale * 0.03 / 40)
        attrs: dict = {"activation": activation}
        if group is not None:
            attrs["group"] = group
        self.graph.add_op(Op(name, "BinaryDense", inputs, [name + "_out"], attrs))
        return name + "_out"

    def probe(self, x: str) -> str:
        """An int8 view of binary tensor ``x`` that shows every bit: a 1x1 BinaryConv2D (or a
        BinaryDense for [N, C]) with C outputs, weight and output scale 1 and no bias, so each
        output is exactly one dot product of x's C values (at most 127 channels)."""
        shape = self.graph.tensors[x].shape
        c = shape[-1]
        name = self._name("probe")
        w_shape = (c, 1, 1, c) if len(shape) == 4 else (c, c)
        data = self.rng.choice(np.array([-1, 1], dtype=np.int8), size=w_shape)
        self.graph.add_tensor(Tensor(name + "_w", w_shape, "binary", data, storage="bitpacked",
                                     quant=QuantParams(np.ones(c), np.zeros(c, np.int64), 0)))
        self.graph.add_tensor(Tensor(name + "_t", (c,), "int32", np.zeros(c, np.int32)))
        self.graph.add_tensor(Tensor(name + "_out", shape, "int8", quant=QuantParams(1.0, 0)))
        attrs: dict = {"activation": "none"}
        if len(shape) == 4:
            attrs.update(stride=[1, 1], padding=[0, 0, 0, 0])
        self.graph.add_op(Op(name, "BinaryConv2D" if len(shape) == 4 else "BinaryDense",
                             [x, name + "_w", name + "_t"], [name + "_out"], attrs))
        return name + "_out"

    def finish(self, *outputs: str) -> Graph:
        """The graph with ``outputs``."""
        self.graph.outputs = list(outputs)
        return self.graph


def random_input(graph: Graph, seed: int = 0) -> np.ndarray:
    """A seeded input: +1/-1 for a binary input, int8 values otherwise."""
    t = graph.tensors[graph.inputs[0]]
    rng = np.random.default_rng(seed)
    if t.dtype == "binary":
        return rng.choice(np.array([-1, 1], dtype=np.int8), size=t.shape)
    return rng.integers(-128, 128, size=t.shape).astype(np.int8)


def probed_net(seed: int = 0, input_shape: tuple[int, ...] = (1, 9, 8, 3),
               channels: tuple[int, int, int] = (21, 37, 13), outputs: slice = slice(None)
               ) -> Graph:
    """Every binary kernel once, each binary tensor probed (:meth:`BinaryGraphBuilder.probe`):
    int8 input -> BinaryConv2D stride 2 (int8 input) -> BinaryConv2D (padding top/left only)
    -> MaxPool2D 2x2 -> BinaryConv2D stride (2, 1) -> Flatten -> BinaryDense (grouped) ->
    BinaryDense to int8, plus an int8-output BinaryConv2D, int8-input BinaryDense layers (binary
    and int8 outputs) and an int8-input, int8-output BinaryConv2D. ``outputs``: which of the
    ten outputs the graph keeps (the MSP430 simulator's mailbox holds 8 files)."""
    b = BinaryGraphBuilder(f"probed{seed}", input_shape, "int8", seed)
    a = b.conv("input", channels[0], stride=(2, 2), padding=(1, 1, 1, 1))
    c = b.conv(a, channels[1], padding=(1, 0, 1, 0))
    p = b.maxpool(c)
    d = b.conv(p, channels[2], kernel=(2, 3), stride=(2, 1), padding=(1, 1, 1, 1))
    c8 = b.conv(c, 6, kernel=(1, 2), padding=(0, 0, 0, 1), out_dtype="int8", activation="relu")
    f = b.flatten(d)
    e = b.dense(f, 19, group=channels[2])
    first = b.flatten("input")
    e8 = b.dense(first, 11, out_dtype="binary")
    last = b.dense(e, 5, out_dtype="int8")
    first8 = b.conv("input", 7, kernel=(2, 2), padding=(0, 1, 1, 0), out_dtype="int8")
    dense8 = b.dense(first, 6, out_dtype="int8", activation="relu")
    return b.finish(*[b.probe(a), b.probe(c), b.probe(p), b.probe(d), c8, b.probe(e),
                      b.probe(e8), last, first8, dense8][outputs])


def binary_net(seed: int = 0, channels: tuple[int, int] = (20, 37), word_in: int = 8,
               input_shape: tuple[int, ...] = (1, 10, 9, 3), out_dtype: str = "int8") -> Graph:
    """int8 input -> BinaryConv2D stride 2 -> BinaryConv2D -> MaxPool2D -> Flatten ->
    BinaryDense (grouped) -> BinaryDense to int8 (or binary) outputs."""
    b = BinaryGraphBuilder(f"bnet{seed}", input_shape, "int8", seed)
    x = b.conv("input", channels[0], stride=(2, 2), padding=(1, 1, 1, 1))
    x = b.conv(x, channels[1], padding=(1, 0, 1, 0))
    x = b.maxpool(x)
    c = b.graph.tensors[x].shape[3]
    x = b.flatten(x)
    x = b.dense(x, word_in + 5, group=c)
    return b.finish(b.dense(x, 4, out_dtype=out_dtype))


def run_all_outputs(graph: Graph, board: str, x: np.ndarray, work: Path
                    ) -> tuple[list[np.ndarray], list[str]]:
    """Build ``graph`` for ``board`` (host, qemu_m7 or msp430fr6989), run it on ``x`` and
    return every output and the kernels of its steps."""
    from host.build import build_firmware
    from host.run_files import read_outputs, run_native, write_inputs

    build = build_firmware(graph, board, work / "build")
    kernels = [s.kernel for s in build.steps]
    if board == "host":
        return run_native(build.elf, graph, [x]), kernels
    run = work / "run"
    run.mkdir()
    write_inputs(graph, run, [x])
    if board == "qemu_m7":
        from host.qemu import run_qemu

        assert run_qemu(build.elf, run).exit_code == 0
    else:
        from host.mspdebug import run_mspdebug

        inputs = {p.name: p.read_bytes() for p in sorted(run.glob("input*.bin"))}
        sim = run_mspdebug(build.elf, inputs, max_counter_calls=len(build.steps) + 3,
                           timeout_s=300)
        assert sim.exit_code == 0, sim.console
        for name, content in sim.files.items():
            if not name.startswith("input"):
                (run / name).write_bytes(content)
    return read_outputs(graph, run), kernels
