"""Measure binary networks on the boards and fit the per-kernel cost models of
sdk/kernels/binary_cost.json (MSP430 cycles in mspdebug, qemu_m7 instructions).

Each measurement is one seeded random architecture of the search space
(:mod:`sdk.nas.space`: an int8-input convolution or dense layer, binary convolutions with
max pools, binary dense layers, an int8 head and a softmax) with random weights, built and run
on the board; every step's count is one case of its kernel's model, its features those of
sdk.kernels.binary_cost. :func:`fit` solves, per (board, kernel), the least-squares
coefficients (weighted by 1 / measured, so the relative error is what is minimized) and
records the largest relative error, and the firmware's bytes beside the weights (the largest
seen). ``scripts/fit_binary_cost.py`` runs it all and rewrites the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdk.kernels.binary_cost import COST_FILE, step_features

BOARDS = ("qemu_m7", "msp430fr6989")
# Features of each (board, kernel) model: the smallest set, of those tried, whose largest
# error was lowest on the fit's and a fresh set's cases. A kernel without a model (the int8
# input straight into the head, rare in random architectures) makes a candidate's cost
# unknown, and the budget rejects it.
KERNEL_FEATURES = {
    ("msp430fr6989", "tp_binary_conv_s8in_b1"): ("calls", "outputs", "gather", "work"),
    ("msp430fr6989", "tp_binary_conv_b1_oc"): ("calls", "pixels", "outputs", "gather", "work",
                                               "out_words"),
    ("msp430fr6989", "tp_binary_max_pool_b1"): ("calls", "pixels", "outputs"),
    ("msp430fr6989", "tp_binary_fully_connected_s8in_b1"): ("calls", "work"),
    ("msp430fr6989", "tp_binary_fully_connected_b1_s8"): ("calls", "outputs", "work"),
    ("msp430fr6989", "tp_softmax_table_s8"): ("calls", "outputs"),
    # Its dot product visits the +1 weights one by one: plus_work, not the window's size.
    ("qemu_m7", "tp_binary_conv_s8in_b1"): ("calls", "pixels", "outputs", "plus_work", "gather",
                                            "border"),
    ("qemu_m7", "tp_binary_conv_b1_oc"): ("calls", "pixels", "gather", "work", "out_words",
                                          "border"),
    ("qemu_m7", "tp_binary_max_pool_b1"): ("calls", "pixels", "outputs", "inputs"),
    ("qemu_m7", "tp_binary_fully_connected_s8in_b1"): ("work", "out_words"),
    ("qemu_m7", "tp_binary_fully_connected_b1_s8"): ("calls", "outputs", "work", "work_triples"),
    ("qemu_m7", "tp_softmax_s8"): ("calls", "outputs"),
}
# The MSP430 keeps packed weights in 48 kB of FRAM beside the firmware: measured layers stay
# well inside it.
MAX_WEIGHT_BITS = 160_000


@dataclass(frozen=True)
class Case:
    """One measured step: board, kernel, features and count."""

    board: str
    kernel: str
    features: dict[str, int]
    count: int

    def to_json(self) -> dict:
        """The case as kept beside a fit."""
        return {"board": self.board, "kernel": self.kernel, "features": self.features,
                "count": self.count}


def random_arch(rng: np.random.Generator) -> dict:
    """A seeded architecture of the search space's kind, small enough for the MSP430."""
    while True:
        h, w = int(rng.integers(8, 29)), int(rng.integers(8, 25))
        convs = []
        for i in range(int(rng.integers(0, 4))):
            kernel = int(rng.choice([1, 3, 5])) if i else int(rng.choice([3, 5]))
            convs.append([int(rng.choice([4, 8, 12, 16, 24, 32, 40, 48])), kernel,
                          int(rng.choice([1, 2])) if i == 0 else 1, int(rng.random() < 0.5)])
        dense = [int(rng.integers(8, 160)) for _ in range(int(rng.integers(0, 3)))]
        arch = {"input": [1, h, w], "convs": convs, "dense": dense,
                "classes": int(rng.integers(2, 11))}
        if _fits(arch):
            return arch


def _fits(arch: dict) -> bool:
    """Every layer has output pixels and the weights' bits stay under MAX_WEIGHT_BITS."""
    c, h, w = arch["input"]
    bits = 0
    for channels, kernel, stride, pool in arch["convs"]:
        bits += channels * kernel * kernel * c
        h, w = (h + 2 * (kernel // 2) - kernel) // stride + 1, (w + 2 * (kernel // 2) - kernel) // stride + 1
        if pool:
            h, w = h // 2, w // 2
        if h < 1 or w < 1:
            return False
        c = channels
    width = c * h * w
    for units in [*arch["dense"], arch["classes"]]:
        bits += width * units
        width = units
    return bits <= MAX_WEIGHT_BITS


def measure(arch: dict, board: str, work: Path, seed: int = 0) -> tuple[list[Case], int]:
    """Run ``arch`` (seeded weights and input) on ``board``: every step as a case, and the
    firmware's flash bytes beside the packed weights."""
    from host.device_run import run_on_board
    from sdk.kernels.bitpack import graph_word_bits
    from sdk.nas.space import arch_graph

    graph = arch_graph(arch, seed)
    x = np.random.default_rng(seed).integers(-128, 128, graph.tensors[graph.inputs[0]].shape)
    run = run_on_board(graph, board, x.astype(np.int8), work, timeout_s=600)
    if not run.bit_exact:
        raise RuntimeError(f"binary cost: {arch} on {board} differs from the reference")
    word = graph_word_bits({"binary_word": 16 if board.startswith("msp430") else 32})
    ops = {op.name: op for op in graph.ops}
    found = []
    for step, prof in zip(run.build.steps, run.steps):
        if prof.instructions is None:
            raise RuntimeError(f"binary cost: no count for {step.name} on {board}")
        op = ops[step.name]
        found.append(Case(board, step.kernel, step_features(graph, op, step.kernel, word),
                          prof.instructions))
    size = run.build.size
    return found, (size.flash_bytes - run.build.generated.weights_bytes) if size else 0


def cases(work: Path, per_board: int, seed: int = 0,
          progress: Callable[[str], None] | None = None) -> tuple[list[Case], dict[str, int]]:
    """``per_board`` random architectures measured on every board of BOARDS: the cases and
    the largest firmware bytes beside the weights per board."""
    found: list[Case] = []
    firmware: dict[str, int] = {}
    for board in BOARDS:
        rng = np.random.default_rng(seed)
        for n in range(per_board):
            arch = random_arch(rng)
            if progress:
                progress(f"{board} {n + 1}/{per_board}: {arch}")
            got, fw = measure(arch, board, work / f"{board}_{n}", seed=n)
            found += got
            firmware[board] = max(firmware.get(board, 0), fw)
    return found, firmware


def fit(found: list[Case], firmware: dict[str, int]) -> dict:
    """The cost file's contents: per (board, kernel) the coefficients and the largest
    relative error on its cases; per board the firmware bytes beside the weights."""
    models = []
    for board, kernel in sorted({(c.board, c.kernel) for c in found} & set(KERNEL_FEATURES)):
        mine = [c for c in found if (c.board, c.kernel) == (board, kernel)]
        names = KERNEL_FEATURES[(board, kernel)]
        a = np.array([[c.features[f] for f in names] for c in mine], dtype=np.float64)
        y = np.array([c.count for c in mine], dtype=np.float64)
        coef, *_ = np.linalg.lstsq(a / y[:, None], np.ones_like(y), rcond=None)
        err = float(np.max(np.abs(a @ coef - y) / y))
        models.append({"board": board, "kernel": kernel,
                       "coefficients": {f: round(float(v), 6) for f, v in zip(names, coef)},
                       "max_rel_error": round(err, 4), "cases": len(mine)})
    return {"about": "cycles (msp430fr6989) or instructions (qemu_m7) of a step = "
                     "sum(coefficient x feature); features in sdk/kernels/binary_cost.py, "
                     "fitting in host/binary_cost_fit.py; re-measure with "
                     "scripts/fit_binary_cost.py",
            "firmware_bytes": dict(sorted(firmware.items())), "models": models}


def check(found: list[Case], path: Path = COST_FILE) -> list[dict]:
    """Fresh cases against the fitted models: per (board, kernel) the cases and the largest
    relative error of the prediction."""
    from sdk.kernels.binary_cost import load_costs

    costs = load_costs(path)
    rows = []
    for board, kernel in sorted({(c.board, c.kernel) for c in found}):
        mine = [c for c in found if (c.board, c.kernel) == (board, kernel)]
        model = costs.get((board, kernel))
        errors = [abs(model.predict(c.features) - c.count) / c.count for c in mine] if model else []
        rows.append({"board": board, "kernel": kernel, "cases": len(mine),
                     "fit_error": model.max_rel_error if model else None,
                     "fresh_error": round(max(errors), 4) if errors else None})
    return rows


def save_cases(found: list[Case], firmware: dict[str, int], path: Path) -> Path:
    """Keep measured cases (and firmware bytes) in a JSON file."""
    path.write_text(json.dumps({"firmware_bytes": firmware,
                                "cases": [c.to_json() for c in found]}) + "\n")
    return path


def load_cases(path: Path) -> tuple[list[Case], dict[str, int]]:
    """Cases kept by :func:`save_cases`."""
    doc = json.loads(path.read_text())
    return [Case(**c) for c in doc["cases"]], doc["firmware_bytes"]


def write(data: dict, path: Path = COST_FILE) -> Path:
    """Write the cost file."""
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path
