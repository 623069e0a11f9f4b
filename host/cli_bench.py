"""``tinyprune bench``: build int8 models for qemu_m7, run them on a sample input, check the
output against the int8 reference executor (bit-exact with TFLite Micro), and print our figures
beside the best existing tools (../shared/notes/anchors.md): TFLite Micro + CMSIS-NN measured on
the same emulator for the MLPerf Tiny models, X-CUBE-AI on a real Cortex-M7 for the gesture CNN.

Models by default (host/bench_models.py): the MLPerf Tiny KWS and AD models in
../shared/models/mlperf_tiny and the seed's gesture CNN in int8 with seeded random weights. The
anchors are in host/bench_anchors.py, the tables in host/bench_tables.py, the per-function
profiler in host/bench_profile.py.

Instructions are instructions retired in QEMU (-icount, exact and repeatable), not Cortex-M7
cycles. Weights count int8 weights, int32 biases (with the input offset folded in) and the
per-channel requantization tables (int32 multipliers, int8 shifts).
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import typer

from host.bench_anchors import ANCHORS, TFLM_CMSIS_NN
from host.bench_models import (
    DEFAULT_MODELS,
    GESTURE,
    GESTURE_SEED,
    MLPERF_DIR,
    gesture_cnn_int8,
    sample_input,
)
from host.bench_profile import build_profiler, profile_firmware
from host.console import emit_json, human
from sdk.errors import TinypruneError


@dataclass
class BenchResult:
    """One model's figures (the JSON entry of ``bench --json``)."""

    name: str
    path: str
    input: str
    macs: int
    instructions: int
    instructions_per_mac: float
    weights_bytes: int
    code_bytes: int
    arena_bytes: int
    flash_bytes: int
    ram_bytes: int
    bit_exact: bool
    tflm_instructions: int | None = None
    tflm_instructions_per_mac: float | None = None
    tflm_arena_bytes: int | None = None
    anchor: str | None = None
    anchor_count: int | None = None
    anchor_unit: str | None = None
    anchor_per_mac: float | None = None
    anchor_memory_bytes: int | None = None
    anchor_weights_bytes: int | None = None
    # Per kernel call: name, op (fused ops joined by "+"), macs, instructions.
    steps: list | None = None
    # With --profile: instructions per firmware function over the whole run.
    profile: list | None = None


def bench_graph(name: str, path: str, graph, x: np.ndarray, source: str,
                work_dir: Path, plugin: Path | None = None) -> BenchResult:
    """Build, run and check one graph on qemu_m7 (and profile it with ``plugin``)."""
    from host.device_run import run_on_board

    run = run_on_board(graph, "qemu_m7", x, work_dir / name)
    profile = (profile_firmware(run.build.elf, work_dir / name / "run", plugin)
               if plugin is not None else None)
    macs = sum(s.macs for s in run.steps)
    instructions = run.instructions or 0
    size = run.build.size
    tflm_count, tflm_per_mac, tflm_arena = TFLM_CMSIS_NN.get(name, (None, None, None))
    a = ANCHORS.get(name)
    steps = [{"name": st.name, "op": st.op, "macs": st.macs, "instructions": st.instructions}
             for st in run.steps]
    return BenchResult(name, path, source, macs, instructions,
                       round(instructions / macs, 3) if macs else 0.0,
                       run.build.weights_bytes, size.code_bytes, run.build.plan.arena_bytes,
                       size.flash_bytes, size.ram_bytes, run.bit_exact,
                       tflm_instructions=tflm_count, tflm_instructions_per_mac=tflm_per_mac,
                       tflm_arena_bytes=tflm_arena,
                       anchor=a.tool if a else None, anchor_count=a.count if a else None,
                       anchor_unit=a.unit if a else None, anchor_per_mac=a.per_mac if a else None,
                       anchor_memory_bytes=a.memory_bytes if a else None,
                       anchor_weights_bytes=a.weights_bytes if a else None,
                       steps=steps, profile=profile)


def bench_model(path: Path, work_dir: Path, plugin: Path | None = None) -> BenchResult:
    """Build, run and check one model file on qemu_m7."""
    from host.models import load_model_arg

    graph = load_model_arg(path)
    x, source = sample_input(path, graph)
    return bench_graph(path.stem, str(path), graph, x, source, work_dir, plugin)


def bench_gesture(work_dir: Path, plugin: Path | None = None) -> BenchResult:
    """The int8 gesture CNN (:func:`gesture_cnn_int8`) on qemu_m7."""
    graph, x, source = gesture_cnn_int8()
    return bench_graph(GESTURE, f"zoo:gesture_cnn (seed {GESTURE_SEED})", graph, x, source,
                       work_dir, plugin)


def bench(
    tflite: list[str] | None = typer.Option(
        None, "--tflite", help="A .tflite (or .tpm) model to benchmark; repeat for several. "
        "Default: the MLPerf Tiny KWS and AD models in ../shared/models/mlperf_tiny and the "
        "int8 gesture CNN."),
    gesture: bool = typer.Option(
        True, "--gesture/--no-gesture", help="Include the int8 gesture CNN (zoo model, seeded; "
        "needs torch) when no --tflite is given."),
    out: str | None = typer.Option(None, "--out", help="Work folder [a temporary one]."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    profile: bool = typer.Option(
        False, "--profile", help="Also count the instructions executed per firmware function "
        "(a QEMU plugin built with the host gcc; the whole run, start-up and I/O included)."),
) -> None:
    """Build each model for qemu_m7, run it on its sample input, check it bit-exact against the
    int8 reference, and compare instructions, memory and code with the best existing tools
    (TFLite Micro + CMSIS-NN on the same emulator; X-CUBE-AI's cycles for the gesture CNN)."""
    con = human(json_out)
    if tflite:
        paths = [Path(p) for p in tflite]
        for p in paths:
            if not p.is_file():
                raise TinypruneError(f"{p}: no such model file")
    else:
        paths = [MLPERF_DIR / name for name in DEFAULT_MODELS if (MLPERF_DIR / name).is_file()]
        if not paths:
            con.print(f"bench: {MLPERF_DIR} not found (the MLPerf Tiny models live in "
                      "../shared); pass --tflite FILE for others")
    with tempfile.TemporaryDirectory(prefix="tinyprune-bench-") as tmp:
        work = Path(out) if out else Path(tmp)
        plugin = build_profiler(work / "profiler") if profile else None
        results = [bench_model(p, work, plugin) for p in paths]
        if not tflite and gesture:
            results.append(bench_gesture(work, plugin))
    if json_out:
        emit_json({"board": "qemu_m7", "unit": "instructions retired in QEMU (not cycles)",
                   "models": [asdict(r) for r in results]})
    else:
        from host.bench_tables import anchor_table, bench_table, profile_table

        con.print(bench_table(results))
        if any(r.anchor for r in results):
            con.print(anchor_table(results))
        for r in results:
            if r.profile:
                con.print(profile_table(r))
                top = r.profile[0]
                con.print(f"{top['function']}: " + ", ".join(
                    f"{m} {c:,}" for m, c in list(top["mix"].items())[:10]))
    if any(not r.bit_exact for r in results):
        raise typer.Exit(1)
