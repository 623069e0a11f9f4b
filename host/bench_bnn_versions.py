"""Float, int8 and binary versions of the binary zoo gesture networks side by side (golden group
``bnn_versions``, issue 12's benchmark): the same architecture as its float twin (ReLU, float
weights; sdk.bnn.fit.plain_float_twin), that twin quantized by the int8 path
(sdk.compress.quantize on the 20 simulated frames the int8 gesture CNN uses), and the binary
export (sdk.bnn.export, host.bench_binary.gesture_model_graph), each on ``qemu_m7``
(instructions) and ``msp430fr6989`` (simulated MCLK cycles), per step, with the linked sizes.

Weights are seeded and untrained (``torch.manual_seed(SEED)``): counts follow the shapes and
kernel paths, not the values, except the float kernels' and the softmax's few data-dependent
branches, which belong to these weights and the fixed input (the first simulated swipe frame).
A version that does not link on a board reports its overflow per memory region (or the
compiler's refusal), as the table prints it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import numpy as np

from sdk.errors import TinypruneError
from sdk.ir import Graph

SEED = 12
MODELS = ("bnn_gesture_msp430", "bnn_gesture_cnn")
VERSIONS = ("float", "int8", "binary")
BOARDS = ("qemu_m7", "msp430fr6989")


def float_twin_graph(name: str) -> Graph:
    """Zoo network ``name``'s float twin, seeded and untrained (eval-mode batch norms), as a
    float IR graph."""
    import torch

    from sdk.bnn.fit import plain_float_twin
    from sdk.bnn.models import BinaryClassifier
    from sdk.frontends.pytorch import from_torch
    from sdk.zoo import get

    entry = get(name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        twin = cast(BinaryClassifier, entry.factory(float_twin=True))
    return from_torch(plain_float_twin(twin.eval()), entry.input_shape, name + "_float")


def version_graphs(name: str) -> dict[str, tuple[Graph, np.ndarray]]:
    """Each version of ``name`` with its input (the first simulated swipe frame, quantized
    with the graph's input parameters where the input is int8)."""
    from host.bench_binary import gesture_model_graph
    from host.bench_models import simulated_frames
    from sdk.compress.quantize import quantize_graph
    from sdk.compress.report import quantize_input

    frames = simulated_frames()[..., None].astype(np.float32)
    graph = float_twin_graph(name)
    q = quantize_graph(graph, frames, progress=False)
    binary = gesture_model_graph(name)
    return {"float": (graph, frames[:1]), "int8": (q, quantize_input(q, frames[:1])),
            "binary": (binary, quantize_input(binary, frames[:1]))}


def _sizes(build) -> dict:
    s = build.size
    return {"flash_bytes": s.flash_bytes, "ram_bytes": s.ram_bytes, "code_bytes": s.code_bytes,
            "weights_bytes": build.weights_bytes, "arena_bytes": build.plan.arena_bytes,
            "arena_in_fram": build.plan.layout is not None and build.plan.layout.arena == "FRAM"}


def measure_version(graph: Graph, x: np.ndarray, board: str, work: Path) -> dict:
    """One version on one board: per-step counts (instructions on qemu_m7, MCLK cycles on the
    MSP430), whether the output matches the reference (bit-exact for int8 and binary, within
    1e-5 relative for float) and the sizes; ``{"fits": False, "over": {region: bytes}}`` when
    it does not link, ``{"fits": False, "too_large_array_elements": n}`` when clang refuses
    an array over the MSP430's 16-bit size limit (before the link could measure)."""
    from host.build import DoesNotFit
    from host.device_run import is_quantized, run_on_board
    from sdk.errors import BuildError

    try:
        result = run_on_board(graph, board, x, work / graph.name, timeout_s=600)
    except DoesNotFit as err:
        return {"fits": False, "over": {o.region: o.over_bytes for o in err.overflows}}
    except BuildError as err:
        too_large = re.search(r"array is too large \((\d+) elements\)", str(err))
        if too_large is None:
            raise
        return {"fits": False, "too_large_array_elements": int(too_large.group(1))}
    counts = [s.instructions for s in result.steps]
    exact = result.bit_exact if is_quantized(graph) else result.max_rel_diff <= 1e-5
    if not exact or any(c is None for c in counts):
        raise TinypruneError(f"bnn versions: {graph.name} on {board}: output "
                             f"{'matches' if exact else 'differs from'} the reference, "
                             f"counts {counts}")
    return {"fits": True, "count": sum(c for c in counts if c is not None),
            "exact": exact, **_sizes(result.build),
            "steps": [{"name": s.name, "op": s.op, "macs": s.macs, "count": s.instructions}
                      for s in result.steps]}


def measure_bnn_versions(work: Path) -> dict:
    """The golden group ``bnn_versions``: per model, version and board, :func:`measure_version`."""
    figures: dict = {}
    for name in MODELS:
        graphs = version_graphs(name)
        figures[name] = {
            version: {board: measure_version(graph, x, board, work / board) for board in BOARDS}
            for version, (graph, x) in graphs.items()}
    return figures


# Test accuracy of each version (not golden figures: they need training), 200 recordings per
# class (`tinyprune data synth --per-class 200 --seed 0`, 600 test frames). Binary and float
# twin of bnn_gesture_msp430: `tinyprune train --binary --float-twin ... --epochs 30`, seeds
# 0 1 2 (docs/benchmarks.md "Binary networks: accuracy"); binary bnn_gesture_cnn: 15 epochs,
# seed 0 ("Pruning binary networks to a size"); float twins and int8:
# scripts/bnn_twin_int8.py (the twin quantized with 256 training frames).
ACCURACY = {
    ("bnn_gesture_msp430", "float"): "0.9222 (seeds 0 1 2: 0.9183 0.9117 0.9367)",
    ("bnn_gesture_msp430", "int8"): "0.9222 (seeds 0 1 2: 0.9183 0.9100 0.9383)",
    ("bnn_gesture_msp430", "binary"): "0.9106 (seeds 0 1 2: 0.8833 0.9283 0.9200)",
    ("bnn_gesture_cnn", "float"): "0.9900 (seed 0, 15 epochs)",
    ("bnn_gesture_cnn", "int8"): "0.9900 (seed 0, 15 epochs)",
    ("bnn_gesture_cnn", "binary"): "0.9283 (seed 0, 15 epochs)",
}
COUNT_UNIT = {"qemu_m7": "instructions", "msp430fr6989": "MCLK cycles"}


def segments(steps: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """``(first, middle, last)``: the first layer (the first step with MACs and the steps
    without MACs after it, its pool), the last (the last step with MACs, the head, and the
    softmax after it) and the layers between (the binary layers of the binary version)."""
    with_macs = [i for i, s in enumerate(steps) if s["macs"]]
    second, last = with_macs[1], with_macs[-1]
    return steps[:second], steps[second:last], steps[last:]


def _n(value: int) -> str:
    return f"{value:,}"


def _counts(m: dict) -> list[str]:
    first, middle, last = (sum(s["count"] for s in part) for part in segments(m["steps"]))
    # The int8 engine runs two convolutions and their pool as one step where it can: the
    # first step then holds the second layer as well.
    fused = " (with layer 2: one step)" if m["steps"][0]["op"].count("Conv2D") > 1 else ""
    return [_n(first) + fused, _n(middle), _n(last), _n(m["count"])]


def _absent(m: dict) -> str:
    if "too_large_array_elements" in m:
        return (f"not supported: an array of {_n(m['too_large_array_elements'])} elements is "
                "beyond the 16-bit address space (clang refuses it)")
    return "does not fit: " + ", ".join(f"{r} {_n(b)} B over" for r, b in m["over"].items())


def versions_table(f: dict) -> str:
    """The ``bnn_versions`` figures as one table: per network, version and board, the counts
    of the first layer, the layers between, the last layer (with the softmax) and the whole
    inference, the bytes, and the test accuracy (:data:`ACCURACY`)."""
    header = ["network", "version", "board (count)", "first layer", "layers between",
              "last layer + softmax", "whole inference", "flash / FRAM B",
              "RAM / SRAM B", "weights B", "arena B", "test accuracy"]
    rows = []
    for name, versions in f["bnn_versions"].items():
        for version, boards in versions.items():
            for board, m in boards.items():
                where = [f"`{name}`", version, f"{board} ({COUNT_UNIT[board]})"]
                acc = ACCURACY.get((name, version), "")
                if not m["fits"]:
                    rows.append([*where, _absent(m), "", "", "", "", "", "", "", acc])
                    continue
                arena = _n(m["arena_bytes"]) + (" (FRAM)" if m["arena_in_fram"] else "")
                rows.append([*where, *_counts(m), _n(m["flash_bytes"]), _n(m["ram_bytes"]),
                             _n(m["weights_bytes"]), arena, acc])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"
