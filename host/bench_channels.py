"""The channel-pruning benchmark: the seeded gesture CNN (host.bench_models) with the lowest-L1
filters of every convolution removed in the IR (sdk.prune.ir_channels, no retraining: these
are the speed and size figures; accuracy after retraining is the pruning sweep's), quantized
to int8 like the dense one, on qemu_m7: instructions, MACs, weights, flash, arena, exactness.
The dense model's figures beside them are the golden group ``sparse``'s ``int8.dense``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sdk.ir import Graph

RATIOS = (0.5, 0.75)


def channel_pruned_gesture(ratio: float) -> tuple[Graph, np.ndarray]:
    """The seeded int8 gesture CNN with the fraction ``ratio`` of every convolution's output
    channels removed by L1 filter norm (in float, before quantization), and its input (the
    first simulated frame)."""
    from host.bench_models import GESTURE, seeded_gesture_cnn
    from sdk.compress.quantize import quantize_graph
    from sdk.prune.ir_channels import prune_graph_channels
    from sdk.radar.gestures import quantize_input

    graph, frames = seeded_gesture_cnn(0, GESTURE)
    pruned = prune_graph_channels(graph, ratio, "l1_filter")
    q = quantize_graph(pruned, frames[..., None], progress=False)
    t = q.tensors[q.inputs[0]]
    p = t.qparams()
    return q, quantize_input(frames[0], p.scale[0], p.zero_point[0]).reshape(t.shape)


def measure_channels(work: Path) -> dict:
    """The golden group ``channels``: the dense model's MACs and one point per ratio of
    :data:`RATIOS` (``points.c50``, ``points.c75``)."""
    from host.bench_models import GESTURE, seeded_gesture_cnn
    from host.device_run import run_on_board

    dense, _ = seeded_gesture_cnn(0, GESTURE)
    figures: dict = {}
    for ratio in RATIOS:
        graph, x = channel_pruned_gesture(ratio)
        name = f"c{round(100 * ratio)}"
        run = run_on_board(graph, "qemu_m7", x, work / name)
        figures[name] = {"instructions": run.instructions,
                         "macs": sum(graph.macs(op) for op in graph.ops),
                         "weights_bytes": run.build.generated.weights_bytes,
                         "flash_bytes": run.build.size.flash_bytes,
                         "ram_bytes": run.build.size.ram_bytes,
                         "arena_bytes": run.build.plan.arena_bytes,
                         "exact": bool(run.bit_exact),
                         "steps": [{"name": s.name, "instructions": s.instructions,
                                    "macs": s.macs} for s in run.steps]}
    return {"dense_macs": sum(dense.macs(op) for op in dense.ops), "points": figures}


def channels_table(f: dict) -> str:
    """docs/benchmarks.md's table of the golden group ``channels`` beside the dense int8 model
    (golden ``sparse.int8.dense``)."""
    dense = f["sparse"]["int8"]["dense"]
    points = [("none", dense, f["channels"]["dense_macs"])] + [
        (f"{name[1:]} %", p, p["macs"]) for name, p in f["channels"]["points"].items()]
    header = ["channels removed", "MACs", "instructions", "instr/MAC", "fewer instructions",
              "weights B", "flash B", "arena B", "bit-exact"]
    rows = [[label, f"{macs:,}", f"{p['instructions']:,}", f"{p['instructions'] / macs:.2f}",
             f"{dense['instructions'] / p['instructions']:.2f}x", f"{p['weights_bytes']:,}",
             f"{p['flash_bytes']:,}", f"{p['arena_bytes']:,}", "yes" if p["exact"] else "NO"]
            for label, p, macs in points]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"
