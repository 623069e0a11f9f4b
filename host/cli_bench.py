"""``tinyprune bench``: build int8 models for qemu_m7, run them on a sample input, check the
output against the int8 reference executor (bit-exact with TFLite Micro), and print our figures
beside the best existing tools (../shared/notes/anchors.md): TFLite Micro + CMSIS-NN measured on
the same emulator for the MLPerf Tiny models, X-CUBE-AI on a real Cortex-M7 for the gesture CNN.

Models by default: the MLPerf Tiny KWS and AD models in ../shared/models/mlperf_tiny and the
seed's gesture CNN in int8 (:func:`gesture_cnn_int8`: the zoo model with seeded random weights,
quantized on seeded simulated radar frames; needs torch, from the ``train`` extra).

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
GESTURE = "gesture_cnn_int8"
GESTURE_SEED = 0


@dataclass(frozen=True)
class Anchor:
    """The best existing figure for a model (../shared/notes/anchors.md)."""

    tool: str
    count: int  # per inference
    unit: str  # "instructions" (same emulator) or "cycles" (a real Cortex-M7)
    per_mac: float
    memory_bytes: int  # TFLM: arena used; X-CUBE-AI: RAM
    weights_bytes: int | None = None


# TFLite Micro + CMSIS-NN, arm-none-eabi-gcc -O2, on QEMU mps2-an500 (anchors.md, 2026-11-22);
# X-CUBE-AI 5.0 int8 on a Cortex-M7 at 216 MHz (the seed's tables 5.4, A.2-A.4): cycles, its
# 67.15 kB are weights + biases (65,968 + 1,184 B), its 22.78 kB RAM.
ANCHORS = {
    "kws_ref_model": Anchor("TFLM+CMSIS-NN", 7_642_962, "instructions", 2.88, 22_812),
    "ad01_int8": Anchor("TFLM+CMSIS-NN", 583_125, "instructions", 2.21, 3_012),
    GESTURE: Anchor("X-CUBE-AI 5.0 int8", 19_439_494, "cycles", 2.13, 22_780, 67_152),
}
# The earlier name of the TFLM columns: (instructions, per MAC, arena bytes).
TFLM_CMSIS_NN = {k: (a.count, a.per_mac, a.memory_bytes) for k, a in ANCHORS.items()
                 if a.tool == "TFLM+CMSIS-NN"}


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


# A QEMU TCG plugin (QEMU 7.2 plugin API, version 1; Debian ships plugin support but no header,
# so the few functions used are declared here): executed instructions per translation block,
# written as "start_address n_instructions executions" lines to the file given as out=PATH.
_PROFILER_C = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb)(unsigned int, void *);
typedef void (*atexit_cb)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, udata_cb,
                                          enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, atexit_cb, void *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
typedef struct { uint64_t pc, n, count; } entry;
static entry *table;
static size_t used, capacity;
static char out_path[4096] = "profile.txt";
static void on_exec(unsigned int vcpu, void *e) { (void)vcpu; ((entry *)e)->count++; }
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    entry *e;
    (void)id;
    if (used == capacity) {
        return;
    }
    e = &table[used++];
    e->pc = qemu_plugin_tb_vaddr(tb);
    e->n = qemu_plugin_tb_n_insns(tb);
    e->count = 0;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, QEMU_PLUGIN_CB_NO_REGS, e);
}
static void write_counts(qemu_plugin_id_t id, void *u)
{
    FILE *f = fopen(out_path, "w");
    size_t i;
    (void)id;
    (void)u;
    if (f == NULL) {
        return;
    }
    for (i = 0; i < used; i++) {
        if (table[i].count) {
            fprintf(f, "%llx %llu %llu\n", (unsigned long long)table[i].pc,
                    (unsigned long long)table[i].n, (unsigned long long)table[i].count);
        }
    }
    fprintf(f, "end %llu\n", (unsigned long long)(used == capacity));
    fclose(f);
}
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t *info,
                                                               int argc, char **argv)
{
    int i;
    (void)info;
    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            strncpy(out_path, argv[i] + 4, sizeof(out_path) - 1);
        }
    }
    capacity = (size_t)1 << 20;
    table = calloc(capacity, sizeof(entry));
    if (table == NULL) {
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_counts, NULL);
    return 0;
}
"""


def build_profiler(work_dir: Path) -> Path:
    """Compile the instruction-profiling QEMU plugin with the host's gcc into ``work_dir``."""
    import shutil
    import subprocess

    gcc = shutil.which("gcc")
    if gcc is None:
        raise TinypruneError("bench --profile: needs the host gcc to build its QEMU plugin")
    work_dir.mkdir(parents=True, exist_ok=True)
    src, lib = work_dir / "tp_profile_plugin.c", work_dir / "tp_profile_plugin.so"
    src.write_text(_PROFILER_C)
    proc = subprocess.run([gcc, "-shared", "-fPIC", "-O2", "-o", str(lib), str(src)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinypruneError(f"bench --profile: building the QEMU plugin failed: "
                             f"{proc.stderr.strip()[:300]}")
    return lib


def profile_firmware(elf: Path, run_dir: Path, plugin: Path) -> list[dict]:
    """Instructions executed per function of ``elf`` over one whole run in QEMU (the inputs
    already in ``run_dir``), from the plugin's per-block counts and the ELF's symbols, with
    each function's mix (executions per mnemonic, ``.w``/``.n`` suffixes dropped) from the
    disassembly. The whole run includes start-up, file I/O and the profiling marks besides
    the inference."""
    import bisect
    import shutil
    import subprocess

    from host.qemu import run_qemu

    out = run_dir / "profile.txt"
    result = run_qemu(elf, run_dir, extra_args=["-plugin", f"{plugin},out={out.resolve()}"])
    if result.exit_code != 0 or not out.is_file():
        raise TinypruneError(f"bench --profile: the profiled run of {elf.name} failed")
    nm = shutil.which("arm-none-eabi-nm")
    if nm is None:
        raise TinypruneError("bench --profile: arm-none-eabi-nm not found")
    symbols = []
    for line in subprocess.run([nm, "-n", "-S", str(elf)], capture_output=True,
                               text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW":
            symbols.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    symbols.sort()
    starts = [sym[0] for sym in symbols]
    # Every instruction of the firmware, in address order, with its mnemonic.
    objdump = shutil.which("arm-none-eabi-objdump")
    insns: list[tuple[int, str]] = []
    if objdump is not None:
        for line in subprocess.run([objdump, "-d", "--no-show-raw-insn", str(elf)],
                                   capture_output=True, text=True).stdout.splitlines():
            fields = line.split("\t")
            if len(fields) >= 2 and fields[0].strip().endswith(":"):
                try:
                    insns.append((int(fields[0].strip()[:-1], 16), fields[1].split()[0]))
                except (ValueError, IndexError):
                    continue
    where = {address: k for k, (address, _) in enumerate(insns)}
    totals: dict[str, int] = {}
    mixes: dict[str, dict[str, int]] = {}
    for line in out.read_text().splitlines():
        if line.startswith("end "):
            if line.split()[1] != "0":
                raise TinypruneError("bench --profile: the plugin's block table overflowed")
            continue
        pc, n, count = (int(v, 16) if k == 0 else int(v) for k, v in enumerate(line.split()))
        address = pc & ~1
        k = bisect.bisect_right(starts, address) - 1
        name = (symbols[k][2] if k >= 0 and address < symbols[k][0] + max(symbols[k][1], 1)
                else f"0x{address:x}")
        totals[name] = totals.get(name, 0) + n * count
        first = where.get(address)
        if first is not None:  # a block is n consecutive instructions from its start
            mix = mixes.setdefault(name, {})
            for _, mnemonic in insns[first:first + n]:
                mnemonic = mnemonic.split(".")[0]
                mix[mnemonic] = mix.get(mnemonic, 0) + count
    return [{"function": name, "instructions": total,
             "mix": dict(sorted(mixes.get(name, {}).items(), key=lambda kv: -kv[1]))}
            for name, total in sorted(totals.items(), key=lambda kv: -kv[1])]


def gesture_cnn_int8(seed: int = GESTURE_SEED):
    """The seed's gesture CNN in int8, deterministic: the zoo model (sdk.zoo gesture_cnn) with
    PyTorch's default initialization under ``torch.manual_seed(seed)``, imported with
    sdk.frontends.pytorch.from_torch and quantized by sdk.compress.quantize.quantize_graph on 20
    simulated radar frames (sdk.radar.simulator: one session seeded (seed, 0), one 24-sweep
    recording per class, 5 frames each). Untrained: instruction counts do not depend on the
    weights' values. Returns (int8 graph, the first frame quantized, a description of both)."""
    try:
        import torch
    except ImportError:
        raise TinypruneError("bench: the gesture CNN needs torch (pip install -e '.[train]', "
                             "or ./setup.sh)") from None
    from sdk.compress.quantize import quantize_graph
    from sdk.frontends.pytorch import from_torch
    from sdk.radar import preprocess as prep
    from sdk.radar.gestures import quantize_input
    from sdk.radar.simulator import CLASSES, SimConfig, new_session, simulate
    from sdk.zoo import get

    torch.manual_seed(seed)
    entry = get("gesture_cnn")
    graph = from_torch(entry.factory().eval(), entry.input_shape, GESTURE)
    sim = SimConfig()
    rng = np.random.default_rng([seed, 0])
    session = new_session(sim, rng, 0)
    frames = np.concatenate([prep.frames(simulate(g, session, sim, rng)[1]) for g in CLASSES])
    q = quantize_graph(graph, frames[..., None], progress=False)
    t = q.tensors[q.inputs[0]]
    x = quantize_input(frames[0], t.quant.scale[0], t.quant.zero_point[0]).reshape(t.shape)
    source = (f"simulated swipe frame; weights torch.manual_seed({seed}), PTQ on "
              f"{len(frames)} simulated frames")
    return q, x, source


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
    tflm = TFLM_CMSIS_NN.get(name, (None, None, None))
    a = ANCHORS.get(name)
    anchor = ((a.tool, a.count, a.unit, a.per_mac, a.memory_bytes, a.weights_bytes) if a
              else (None,) * 6)
    steps = [{"name": st.name, "op": st.op, "macs": st.macs, "instructions": st.instructions}
             for st in run.steps]
    return BenchResult(name, path, source, macs, instructions,
                       round(instructions / macs, 3) if macs else 0.0,
                       run.build.weights_bytes, size.code_bytes, run.build.plan.arena_bytes,
                       size.flash_bytes, size.ram_bytes, run.bit_exact, *tflm, *anchor, steps,
                       profile)


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
    tflite: Optional[list[str]] = typer.Option(
        None, "--tflite", help="A .tflite (or .tpm) model to benchmark; repeat for several. "
        "Default: the MLPerf Tiny KWS and AD models in ../shared/models/mlperf_tiny and the "
        "int8 gesture CNN."),
    gesture: bool = typer.Option(
        True, "--gesture/--no-gesture", help="Include the int8 gesture CNN (zoo model, seeded; "
        "needs torch) when no --tflite is given."),
    out: Optional[str] = typer.Option(None, "--out", help="Work folder [a temporary one]."),
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


def _opt(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def bench_table(results: list[BenchResult]) -> Table:
    """Our figures (the anchors are in :func:`anchor_table`)."""
    table = Table(title="tinyprune int8 on qemu_m7",
                  caption="instructions retired in QEMU (-icount, exact), not Cortex-M7 cycles; "
                  "weights = int8 weights + int32 biases + per-channel multiplier/shift tables")
    for col in ("model", "MACs", "instructions", "instr/MAC", "weights B", "code B", "arena B",
                "flash B", "RAM B", "bit-exact"):
        table.add_column(col, justify="left" if col == "model" else "right",
                         no_wrap=col == "model")
    for r in results:
        table.add_row(r.name, f"{r.macs:,}", f"{r.instructions:,}",
                      f"{r.instructions_per_mac:.2f}", f"{r.weights_bytes:,}",
                      f"{r.code_bytes:,}", f"{r.arena_bytes:,}", f"{r.flash_bytes:,}",
                      f"{r.ram_bytes:,}", "[green]yes[/]" if r.bit_exact else "[red]NO[/]")
    return table


def anchor_table(results: list[BenchResult]) -> Table:
    """The best existing tool for each model, beside our instructions and arena."""
    table = Table(title="the best existing tools (../shared/notes/anchors.md)",
                  caption="TFLM+CMSIS-NN: instructions on the same emulator; X-CUBE-AI: cycles "
                  "on a real Cortex-M7 at 216 MHz (it dual-issues, so its cycles are fewer "
                  "than its instructions); memory: TFLM's arena, X-CUBE-AI's RAM")
    for col in ("model", "tool", "per inference", "per MAC", "ours per MAC", "memory B",
                "our arena B", "weights B"):
        table.add_column(col, justify="left" if col in ("model", "tool") else "right",
                         no_wrap=col in ("model", "tool"))
    for r in results:
        if r.anchor is None:
            continue
        table.add_row(r.name, r.anchor, f"{r.anchor_count:,} {r.anchor_unit}",
                      _opt(r.anchor_per_mac, ".2f"), f"{r.instructions_per_mac:.2f}",
                      _opt(r.anchor_memory_bytes, ","), f"{r.arena_bytes:,}",
                      _opt(r.anchor_weights_bytes, ","))
    return table


def profile_table(result: BenchResult, rows: int = 12) -> Table:
    """The functions that executed the most instructions in one model's run."""
    total = sum(p["instructions"] for p in result.profile or [])
    table = Table(title=f"{result.name}: instructions per function (whole run, "
                  f"{total:,} in all)")
    for col in ("function", "instructions", "share"):
        table.add_column(col, justify="left" if col == "function" else "right")
    for p in (result.profile or [])[:rows]:
        table.add_row(p["function"], f"{p['instructions']:,}",
                      f"{100 * p['instructions'] / total:.1f} %")
    return table
