"""The sparse-weights benchmark: the seeded gesture CNN (host.bench_models) pruned by weight
magnitude, uniformly layer by layer (every Conv2D and Dense but the first convolution and the
last layer, the default exclusions of pruning), at 90 % and 95 % in int8 and at 90 % in float,
on qemu_m7 beside the dense model: instructions per inference, weights (dense and packed),
flash, arena, exactness, and where the instructions go (per function, with the inner loop's
mix). The code generator picks each layer's storage itself (sdk.kernels.sparse_cost).

These masks only serve the speed and size figures; accuracy after pruning and retraining is
the pruning sweep's (``tinyprune prune sweep``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sdk.ir import Graph

INT8_SPARSITIES = (0.9, 0.95)
FLOAT_SPARSITIES = (0.9,)
# Mnemonics of the sparse inner loops (tp_s8_sparse_rows, tp_f32_sparse_dot8) in the profile.
MIX = ("smlabb", "smlabt", "ldrd", "ldrb", "ldrsb", "vfma", "vldmia", "sxtb16", "pkhbt")


def magnitude_prune(graph: Graph, sparsity: float) -> Graph:
    """``graph`` (float, modified in place) with the ``sparsity`` fraction of smallest-magnitude
    weights of each Conv2D and Dense set to zero, except the first and the last such layer."""
    layers = [op for op in graph.ops if op.type in ("Conv2D", "Dense")]
    for op in layers[1:-1]:
        w = graph.tensors[op.inputs[1]]
        data = np.array(w.data, copy=True)
        order = np.argsort(np.abs(data).ravel(), kind="stable")
        data.ravel()[order[:int(round(sparsity * data.size))]] = 0
        w.data = data
    return graph


def pruned_gesture(sparsity: float, dtype: str) -> tuple[Graph, np.ndarray]:
    """The seeded gesture CNN pruned at ``sparsity`` (0: dense) in ``dtype``, and its input
    (the first simulated frame), as host.bench_models builds the dense ones."""
    from host.bench_models import GESTURE, seeded_gesture_cnn

    graph, frames = seeded_gesture_cnn(0, GESTURE if dtype == "int8" else "gesture_cnn")
    magnitude_prune(graph, sparsity)
    if dtype == "float32":
        x = frames[0].reshape(graph.tensors[graph.inputs[0]].shape).astype(np.float32)
        return graph, x
    from sdk.compress.quantize import quantize_graph
    from sdk.radar.gestures import quantize_input

    q = quantize_graph(graph, frames[..., None], progress=False)
    t = q.tensors[q.inputs[0]]
    p = t.qparams()
    return q, quantize_input(frames[0], p.scale[0], p.zero_point[0]).reshape(t.shape)


def _profile(run, work: Path) -> dict:
    from host.bench_profile import build_profiler, profile_firmware

    plugin = build_profiler(work / "plugin")
    funcs = profile_firmware(run.build.elf, work / "run", plugin)
    whole = sum(f["instructions"] for f in funcs)
    return {f["function"]: {"instructions": f["instructions"],
                            **{m: f["mix"][m] for m in MIX if f["mix"].get(m)}}
            for f in funcs if 100 * f["instructions"] >= whole}


def measure_point(sparsity: float, dtype: str, work: Path, profile: bool = False) -> dict:
    """One model on qemu_m7: the figures of the golden group ``sparse``."""
    from host.device_run import run_on_board

    graph, x = pruned_gesture(sparsity, dtype)
    run = run_on_board(graph, "qemu_m7", x, work)
    gen = run.build.generated
    out = {"instructions": run.instructions, "weights_bytes": gen.weights_bytes,
           "dense_weights_bytes": gen.dense_weights_bytes,
           "flash_bytes": run.build.size.flash_bytes, "arena_bytes": run.build.plan.arena_bytes,
           "sparse_layers": sum(c.storage == "sparse_csr" for c in gen.storage),
           "exact": bool(run.bit_exact if dtype == "int8" else run.max_rel_diff <= 1e-5),
           "steps": [{"name": s.name, "instructions": s.instructions} for s in run.steps]}
    if profile:
        out["functions"] = _profile(run, work)
    return out


def measure_sparse(work: Path) -> dict:
    """The golden group ``sparse``: dense and pruned int8 and float gesture CNNs."""
    figures: dict = {}
    for dtype, sparsities in (("int8", INT8_SPARSITIES), ("float32", FLOAT_SPARSITIES)):
        points = {"dense": measure_point(0.0, dtype, work / f"{dtype}_dense")}
        for s in sparsities:
            name = f"s{round(100 * s)}"
            points[name] = measure_point(s, dtype, work / f"{dtype}_{name}",
                                         profile=dtype == "int8" and s == sparsities[0])
        figures[dtype] = points
    return figures


def sparse_table(f: dict) -> str:
    """docs/benchmarks.md's table of the golden group ``sparse``."""
    rows = []
    for dtype, points in f["sparse"].items():
        dense = points["dense"]["instructions"]
        for name, p in points.items():
            rows.append([dtype, "dense" if name == "dense" else f"{name[1:]} %",
                         f"{p['instructions']:,}", f"{dense / p['instructions']:.2f}x",
                         f"{p['dense_weights_bytes']:,}", f"{p['weights_bytes']:,}",
                         f"{p['flash_bytes']:,}", f"{p['arena_bytes']:,}",
                         str(p["sparse_layers"]), "yes" if p["exact"] else "NO"])
    header = ["model", "sparsity", "instructions", "speed-up", "weights dense B",
              "weights stored B", "flash B", "arena B", "sparse layers",
              "bit-exact / 1e-5"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"
