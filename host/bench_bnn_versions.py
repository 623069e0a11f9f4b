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

from pathlib import Path

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
    from sdk.frontends.pytorch import from_torch
    from sdk.zoo import get

    entry = get(name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        twin = entry.factory(float_twin=True)
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
    it does not link, ``{"fits": False, "build_error": message}`` when it does not compile
    (an array over the MSP430's 16-bit size limit)."""
    from host.build import DoesNotFit
    from host.device_run import is_quantized, run_on_board
    from sdk.errors import BuildError

    try:
        result = run_on_board(graph, board, x, work / graph.name, timeout_s=600)
    except DoesNotFit as err:
        return {"fits": False, "over": {o.region: o.over_bytes for o in err.overflows}}
    except BuildError as err:  # the compiler refused it: keep its message, not the paths
        return {"fits": False, "build_error": str(err).rpartition("error: ")[2]}
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
