"""``tinyprune bench``: build int8 models for qemu_m7, run them on a sample input, check the
output against the int8 reference executor (bit-exact with TFLite Micro), and print our figures
beside TFLite Micro + CMSIS-NN measured on the same emulator (../shared/notes/anchors.md).

Instructions are instructions retired in QEMU (-icount, exact and repeatable), not Cortex-M7
cycles. Weights count int8 weights, int32 biases (with the input offset folded in) and the
per-channel requantization tables (int32 multipliers, int8 shifts).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import typer
from rich.table import Table

from host.console import emit_json, human
from sdk.errors import TinypruneError
from sdk.paths import SHARED_DIR

MLPERF_DIR = SHARED_DIR / "models" / "mlperf_tiny"
DEFAULT_MODELS = ("kws_ref_model.tflite", "ad01_int8.tflite")

# TFLite Micro + CMSIS-NN, arm-none-eabi-gcc -O2, on QEMU mps2-an500 (anchors.md, 2026-11-22):
# (instructions per inference, instructions per MAC, arena bytes).
TFLM_CMSIS_NN = {
    "kws_ref_model": (7_642_962, 2.88, 22_812),
    "ad01_int8": (583_125, 2.21, 3_012),
}


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


def sample_input(path: Path, graph) -> tuple[np.ndarray, str]:
    """The MLPerf Tiny sample input of a known model, else a seeded random one."""
    t = graph.tensors[graph.inputs[0]]
    inputs = path.parent / "inputs"
    if path.name == "kws_ref_model.tflite" and (inputs / "kws_input_data.cc").is_file():
        text = (inputs / "kws_input_data.cc").read_text()
        body = text[text.index("{", text.index("g_kws_inputs")):]
        values = np.array([int(v) for v in re.findall(r"-?\d+", body)], dtype=np.int8)
        return values[:t.size].reshape(t.shape), "inputs/kws_input_data.cc (first sample)"
    ad_file = inputs / "normal_id_01_00000000_hist_librosa.bin"
    if path.name == "ad01_int8.tflite" and ad_file.is_file():
        from sdk.quant.layer_params import quantize_float

        features = np.fromfile(ad_file, dtype="<f4")[:t.size]
        q = t.quant
        x = quantize_float(features, q.scale[0], q.zero_point[0]).astype(np.int8)
        return x.reshape(t.shape), f"inputs/{ad_file.name} (first window, quantized)"
    rng = np.random.default_rng(0)
    if t.dtype == "int8":
        return rng.integers(-128, 128, t.shape).astype(np.int8), "random int8 (seed 0)"
    return rng.normal(size=t.shape).astype(np.float32), "random normal (seed 0)"


def bench_model(path: Path, work_dir: Path) -> BenchResult:
    """Build, run and check one model on qemu_m7."""
    from host.device_run import run_on_board
    from host.models import load_model_arg

    graph = load_model_arg(path)
    x, source = sample_input(path, graph)
    run = run_on_board(graph, "qemu_m7", x, work_dir / path.stem)
    macs = sum(s.macs for s in run.steps)
    instructions = run.instructions or 0
    size = run.build.size
    anchor = TFLM_CMSIS_NN.get(path.stem, (None, None, None))
    return BenchResult(path.stem, str(path), source, macs, instructions,
                       round(instructions / macs, 3) if macs else 0.0,
                       run.build.weights_bytes, size.code_bytes, run.build.plan.arena_bytes,
                       size.flash_bytes, size.ram_bytes, run.bit_exact, *anchor)


def bench(
    tflite: Optional[list[str]] = typer.Option(
        None, "--tflite", help="A .tflite (or .tpm) model to benchmark; repeat for several. "
        "Default: the MLPerf Tiny KWS and AD models in ../shared/models/mlperf_tiny."),
    out: Optional[str] = typer.Option(None, "--out", help="Work folder [a temporary one]."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
) -> None:
    """Build each model for qemu_m7, run it on its sample input, check it bit-exact against the
    int8 reference, and compare instructions, memory and code with TFLite Micro + CMSIS-NN."""
    con = human(json_out)
    if tflite:
        paths = [Path(p) for p in tflite]
        for p in paths:
            if not p.is_file():
                raise TinypruneError(f"{p}: no such model file")
    else:
        paths = [MLPERF_DIR / name for name in DEFAULT_MODELS if (MLPERF_DIR / name).is_file()]
        if not paths:
            con.print(f"bench: no models given and {MLPERF_DIR} not found (the MLPerf Tiny "
                      "models live in ../shared); pass --tflite FILE")
    with tempfile.TemporaryDirectory(prefix="tinyprune-bench-") as tmp:
        work = Path(out) if out else Path(tmp)
        results = [bench_model(p, work) for p in paths]
    if json_out:
        emit_json({"board": "qemu_m7", "unit": "instructions retired in QEMU (not cycles)",
                   "models": [asdict(r) for r in results]})
    else:
        con.print(bench_table(results))
    if any(not r.bit_exact for r in results):
        raise typer.Exit(1)


def _opt(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def bench_table(results: list[BenchResult]) -> Table:
    """Our figures beside TFLite Micro + CMSIS-NN on the same emulator."""
    table = Table(title="int8 on qemu_m7 (tinyprune vs TFLite Micro + CMSIS-NN)",
                  caption="instructions retired in QEMU (-icount, exact), not Cortex-M7 cycles; "
                  "weights = int8 weights + int32 biases + per-channel multiplier/shift tables")
    for col in ("model", "MACs", "instructions", "instr/MAC", "weights B", "code B", "arena B",
                "flash B", "RAM B", "bit-exact", "TFLM instr", "TFLM instr/MAC",
                "TFLM arena B"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in results:
        table.add_row(r.name, f"{r.macs:,}", f"{r.instructions:,}",
                      f"{r.instructions_per_mac:.2f}", f"{r.weights_bytes:,}",
                      f"{r.code_bytes:,}", f"{r.arena_bytes:,}", f"{r.flash_bytes:,}",
                      f"{r.ram_bytes:,}", "[green]yes[/]" if r.bit_exact else "[red]NO[/]",
                      _opt(r.tflm_instructions, ","), _opt(r.tflm_instructions_per_mac, ".2f"),
                      _opt(r.tflm_arena_bytes, ","))
    return table
