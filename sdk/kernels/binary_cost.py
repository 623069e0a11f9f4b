"""Cycles (MSP430) or instructions (qemu_m7) per inference of binary networks, by kernel.

A binary network lowers to a few kernels (``tp_binary_conv_*``, ``tp_binary_fully_connected_*``,
``tp_binary_max_pool_b1``, ``tp_softmax_s8`` or ``tp_softmax_table_s8``); each kernel's count on
each board is a linear model of features of its layer, fitted by least squares (relative error)
to layers measured on the board (``scripts/fit_binary_cost.py`` measures seeded random networks
of the zoo's binary shape and rewrites ``binary_cost.json`` beside this module with the coefficients and each
model's largest relative error; tests/boards/test_binary_cost.py checks fresh measurements
against it). :func:`predict_program` sums the models over a lowered program: the cost of a
candidate network before it is trained or built.

Features of a step (W = the board's word, 32 or 16 bits; a Dense layer is one pixel whose
window is its inputs): ``calls`` (1), ``pixels`` (output pixels), ``outputs`` (pixels x output
channels), ``gather`` (pixels x window units: words of a binary window, values of an int8
one), ``work`` (the inner loop: pixels x output channels x window units; the output-channel
convolution counts tiles of W channels x window bits), ``plus_work`` (an int8 input's layer:
pixels x the +1 weights, the values whose sum the Cortex-M7's dot product visits one by one),
``inputs`` (input values of a pool or softmax).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdk.ir.graph import Graph, Op

COST_FILE = Path(__file__).with_name("binary_cost.json")
FEATURES = ("calls", "pixels", "outputs", "gather", "work", "work_words", "out_words",
            "segment_work", "border", "work_triples", "plus_work", "inputs")


def _words(bits: int, word: int) -> int:
    return -(-bits // word)


def _outside(in_hw: tuple[int, ...], out_hw: tuple[int, ...], k: tuple[int, int],
             attrs: dict) -> int:
    """Window positions that fall in the padding, summed over the output pixels."""
    counts = []
    for axis in (0, 1):
        stride, before = attrs["stride"][axis], attrs["padding"][2 * axis]
        starts = np.arange(out_hw[axis]) * stride - before
        inside = np.clip(starts + k[axis], 0, in_hw[axis]) - np.clip(starts, 0, in_hw[axis])
        counts.append(inside)
    inside = np.outer(counts[0], counts[1])
    return int(k[0] * k[1] * inside.size - inside.sum())


def step_features(graph: Graph, op: Op, kernel: str, word: int) -> dict[str, int]:
    """The cost features of ``op`` lowered to ``kernel`` on a board of ``word``-bit words."""
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    feats = dict.fromkeys(FEATURES, 0)
    feats["calls"] = 1
    if op.type in ("MaxPool2D", "Softmax"):
        _, h, w, c = y.shape if len(y.shape) == 4 else (1, 1, 1, y.shape[-1])
        units = _words(c, word) if x.dtype == "binary" else c
        feats.update(pixels=h * w, outputs=h * w * units, inputs=int(np.prod(x.shape)))
        return feats
    wt = graph.tensors[op.inputs[1]]
    binary_in = x.dtype == "binary"
    if op.type == "BinaryConv2D":
        o, kh, kw, c = wt.shape
        pixels = int(np.prod(y.shape[1:3]))
        per_pixel = _words(c, word) if binary_in else c
        units = kh * kw * per_pixel
        segments = kh * kw
        feats["border"] = _outside(x.shape[1:3], y.shape[1:3], (kh, kw), op.attrs) * per_pixel
    else:
        o, k = wt.shape
        group = int(op.attrs.get("group") or k)
        pixels = 1
        units = (k // group) * _words(group, word) if binary_in else k
        segments = k // group
    lanes = _words(o, word) if kernel == "tp_binary_conv_b1_oc" else o
    if kernel == "tp_binary_conv_b1_oc":
        work, work_words = pixels * lanes * units * word, pixels * lanes * units
    else:
        work = pixels * o * units
        work_words = work if binary_in else pixels * o * _words(units, word)
        # The Cortex-M7's popcount takes words three at a time.
        feats["work_triples"] = pixels * o * -(-units // 3) if binary_in else 0
        feats["plus_work"] = 0 if binary_in else pixels * int(np.count_nonzero(np.asarray(wt.data) > 0))
    feats.update(pixels=pixels, outputs=pixels * o, gather=pixels * units, work=work,
                 work_words=work_words, out_words=pixels * _words(o, word),
                 segment_work=pixels * lanes * segments)
    return feats


@dataclass(frozen=True)
class KernelCost:
    """``count = sum(coefficient x feature)`` for one kernel on one board, and the largest
    relative error of that prediction on the layers it was fitted to."""

    coefficients: dict[str, float]
    max_rel_error: float

    def predict(self, features: dict[str, int]) -> float:
        """Predicted cycles or instructions of a step with these features."""
        return sum(c * features[f] for f, c in self.coefficients.items())


def load_costs(path: Path = COST_FILE) -> dict[tuple[str, str], KernelCost]:
    """The fitted models by (board, kernel) (empty when the file is missing)."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {(m["board"], m["kernel"]): KernelCost(m["coefficients"], m["max_rel_error"])
            for m in data["models"]}


@dataclass(frozen=True)
class CostEstimate:
    """A program's predicted count on a board, the bound that adds each step's model error
    (its largest stated relative error), and the kernels no model covers (their cost is in
    neither)."""

    count: float
    bound: float
    unmodelled: tuple[str, ...]


def predict_steps(board: str, steps: list[tuple[Graph, Op, str]], word: int) -> CostEstimate:
    """The predicted count of ``steps`` ((graph, first op, kernel) per kernel call) on
    ``board``."""
    costs = load_costs()
    total, bound, missing = 0.0, 0.0, []
    for graph, op, kernel in steps:
        model = costs.get((board, kernel))
        if model is None:
            missing.append(kernel)
            continue
        predicted = model.predict(step_features(graph, op, kernel, word))
        total += predicted
        bound += predicted * (1 + model.max_rel_error)
    return CostEstimate(total, bound, tuple(sorted(set(missing))))
