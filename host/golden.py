"""The golden figures: every figure docs/benchmarks.md publishes, measured by one command and
kept in one file (docs/golden.json), tagged with the versions of the tools that produced it.

QEMU instruction counts (-icount), mspdebug cycle counts, byte counts and arena sizes are exact
and repeatable, so a figure that moves is a change to explain: the golden test
(tests/system/test_golden.py) measures everything again and compares exactly. A change that
moves a figure updates the golden file in the same commit (``tinyprune golden --update``).

Figures come in groups, each measured by the code that publishes it (host.cli_bench,
host.bench_dsp, host.msp430_selftest, host.device_run, host.gesture_fw, host.micropython_run);
a group lists the tools its figures depend on, so a comparison under other tool versions
reports instead of failing.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdk.atomic import write_bytes_atomic
from sdk.errors import TinypruneError
from sdk.paths import ROOT

GOLDEN_FILE = ROOT / "docs" / "golden.json"
UPDATE_COMMAND = "tinyprune golden --update"
ARM = ("arm-none-eabi-gcc", "qemu-system-arm")
MSP430 = ("clang-14", "ld.lld-14", "mspdebug")
PYTHON_PACKAGES = ("numpy", "torch")
PYTHON_TOOLS = (*PYTHON_PACKAGES, "mpremote")  # tagged by their package version
DSP_MNEMONICS = ("smlad", "ldrd", "sxtb16", "smmlar")


@dataclass(frozen=True)
class Group:
    """Figures measured together: a name, what it is, the tools they depend on, and the
    function that measures them in a work folder."""

    name: str
    title: str
    tools: tuple[str, ...]
    emulator: str  # "qemu" or "msp430": the pytest marker of its test
    measure: Callable[[Path], dict]


def _bench_all(work: Path, plugin: Path | None = None) -> list:
    """host.cli_bench's default models (MLPerf Tiny KWS and AD, the seeded gesture CNN)."""
    from host.bench_models import DEFAULT_MODELS, MLPERF_DIR
    from host.cli_bench import bench_gesture, bench_model

    missing = [n for n in DEFAULT_MODELS if not (MLPERF_DIR / n).is_file()]
    if missing:
        raise TinypruneError(f"golden: {MLPERF_DIR} lacks {', '.join(missing)} (../shared)")
    return [*(bench_model(MLPERF_DIR / n, work, plugin) for n in DEFAULT_MODELS),
            bench_gesture(work, plugin)]


def _int8_bench(work: Path) -> dict:
    return {r.name: {"macs": r.macs, "instructions": r.instructions,
                     "weights_bytes": r.weights_bytes, "code_bytes": r.code_bytes,
                     "arena_bytes": r.arena_bytes, "flash_bytes": r.flash_bytes,
                     "ram_bytes": r.ram_bytes, "bit_exact": r.bit_exact,
                     "steps": [{k: s[k] for k in ("name", "op", "macs", "instructions")}
                               for s in r.steps or []]}
            for r in _bench_all(work)}


def _int8_profile(work: Path) -> dict:
    """Instructions per firmware function over the whole run (``bench --profile``), for the
    functions with at least 0.1 % of it, with their counts of the DSP instructions the
    analysis in docs/benchmarks.md follows. Function names are part of the figures: a rename
    shows up here, as it does in the documents that name them."""
    from host.bench_profile import build_profiler

    out = {}
    for r in _bench_all(work, build_profiler(work / "profiler")):
        whole = sum(f["instructions"] for f in r.profile)
        out[r.name] = {"whole_run": whole, "functions": {
            f["function"]: {"instructions": f["instructions"],
                            **{m: f["mix"].get(m, 0) for m in DSP_MNEMONICS}}
            for f in r.profile if 1000 * f["instructions"] >= whole}}
    return out


def _float_gesture(work: Path) -> dict:
    from host.bench_models import gesture_cnn_float
    from host.device_run import run_on_board
    from sdk.ir.summary import summarize

    graph, x, _source = gesture_cnn_float()
    run = run_on_board(graph, "qemu_m7", x, work / "gesture_cnn_float")
    size, summary = run.build.size, summarize(graph)
    return {"gesture_cnn": {
        "params": summary.params, "macs": summary.macs, "instructions": run.instructions,
        "weights_bytes": run.build.weights_bytes, "code_bytes": size.code_bytes,
        "arena_bytes": run.build.plan.arena_bytes, "flash_bytes": size.flash_bytes,
        "ram_bytes": size.ram_bytes, "stack_bytes": size.stack_bytes,
        "within_1e-5": run.max_rel_diff <= 1e-5,
        "steps": [{"name": s.name, "op": s.op, "macs": s.macs, "instructions": s.instructions}
                  for s in run.steps]}}


def _radar_m7(_work: Path) -> dict:
    from host.bench_dsp import measure_variants_m7

    return measure_variants_m7()


def _radar_msp430(_work: Path) -> dict:
    from host.bench_dsp import measure_variants_msp430

    return measure_variants_msp430()


def _msp430_selftest(work: Path) -> dict:
    from host.msp430_selftest import build_selftest, run_selftest

    built = build_selftest(work / "msp430_selftest")
    run = run_selftest(built.elf, len(built.sweeps))
    checks = re.search(r"protocol: (\d+) checks, (\d+) failures", run.console)
    if checks is None:
        raise TinypruneError(f"golden: the MSP430 self-test printed no protocol summary: "
                             f"{run.console.strip()[-200:]!r}")
    # The 20th push completes the first frame; the pushes before it only fill the ring.
    filling, ready = run.push_cycles[:19], run.push_cycles[19:]
    s = built.size
    return {"protocol_checks": int(checks.group(1)), "failures": run.exit_code,
            "frames": len(run.frames), "protocol_cycles": run.protocol_cycles,
            "frame_push_cycles_min": min(ready), "frame_push_cycles_max": max(ready),
            "filling_push_cycles_min": min(filling), "filling_push_cycles_max": max(filling),
            "counter_call_cycles": run.counter_cycles, "instructions": run.instructions,
            "cycles": run.cycles, "fram_bytes": s.flash_bytes, "text_bytes": s.text_bytes,
            "rodata_bytes": s.rodata_bytes, "persistent_bytes": s.fram_data_bytes,
            "sram_bytes": s.ram_bytes, "bss_bytes": s.bss_bytes, "stack_bytes": s.stack_bytes}


def _int8_msp430(work: Path) -> dict:
    """The int8 MNIST CNN (host.bench_models.mnist_cnn_int8) on msp430fr6989 in mspdebug:
    simulated MCLK cycles per step, bytes, where the arena went."""
    from host.bench_models import mnist_cnn_int8
    from host.device_run import run_on_board

    graph, x, _source = mnist_cnn_int8()
    run = run_on_board(graph, "msp430fr6989", x, work / "mnist_cnn_int8", timeout_s=600)
    s, plan = run.build.size, run.build.plan
    return {"kws_ref_model": _kws_msp430(work), "mnist_cnn_int8": {
        "macs": sum(st.macs for st in run.steps), "cycles": run.instructions,
        "bit_exact": run.bit_exact, "fram_bytes": s.flash_bytes, "text_bytes": s.text_bytes,
        "weights_bytes": run.build.weights_bytes, "arena_bytes": plan.arena_bytes,
        "arena_in_fram": plan.layout is not None and plan.layout.arena == "FRAM",
        "sram_bytes": s.ram_bytes,
        "stack_bytes": s.stack_bytes,
        "steps": [{"name": st.name, "op": st.op, "macs": st.macs, "cycles": st.instructions}
                  for st in run.steps]}}


def _kws_msp430(work: Path) -> dict:
    """How far the shared KWS model is from fitting the msp430fr6989's FRAM (code, weights and
    the arena the planner moves there)."""
    from host.bench_models import MLPERF_DIR
    from host.build import DoesNotFit, build_firmware
    from sdk.frontends.tflite import load_tflite

    graph = load_tflite(MLPERF_DIR / "kws_ref_model.tflite")
    try:
        build = build_firmware(graph, "msp430fr6989", work / "kws_msp430")
    except DoesNotFit as err:
        fram = next(o for o in err.overflows if o.region == "FRAM")
        return {"fits": False, "fram_used_bytes": fram.used_bytes,
                "fram_over_bytes": fram.over_bytes}
    return {"fits": True, "fram_used_bytes": build.size.flash_bytes, "fram_over_bytes": 0}


def _gesture_firmware(work: Path) -> dict:
    from host.bench_models import gesture_cnn_int8
    from host.gesture_fw import build_gesture_firmware
    from sdk.ir import save_model

    graph, _x, _source = gesture_cnn_int8()
    model = save_model(graph, work / "gesture_cnn_int8.tpm")
    build = build_gesture_firmware(graph, model, "nucleo_f722ze", work / "gesture_nucleo")
    s = build.size
    return {"nucleo_f722ze": {"flash_bytes": s.flash_bytes, "ram_bytes": s.ram_bytes,
                              "text_bytes": s.text_bytes, "rodata_bytes": s.rodata_bytes,
                              "bss_bytes": s.bss_bytes, "code_bytes": s.code_bytes,
                              "weights_bytes": build.weights_bytes,
                              "arena_bytes": build.plan.arena_bytes}}


def _sparse(work: Path) -> dict:
    from host.bench_sparse import measure_sparse

    return measure_sparse(work)


def _channels(work: Path) -> dict:
    from host.bench_channels import measure_channels

    return measure_channels(work)


def _micropython(work: Path) -> dict:
    """The seeded int8 gesture CNN as a native module on MicroPython's qemu port (MPS2_AN500):
    load-time RAM, the bare inference inside the module, predict_into (no allocation, so
    exact run after run; predict() allocates its tuple and varies with the heap's state)."""
    from host.bench_models import gesture_cnn_int8
    from host.cli_stream import load_stream_data
    from host.micropython import source_path
    from host.micropython_run import measure_frames
    from sdk.radar.dataset import synthesize

    graph, x, _source = gesture_cnn_int8()
    # push_sweep over the first 21 sweeps of a seeded synthetic recording: 19 fill the
    # window, the last two run the model (all return None with the default detector).
    synthesize(work / "rec.h5", per_class=1, seed=5)
    sweeps = load_stream_data(str(work / "rec.h5"))[0][:21]
    rep = measure_frames(graph, x[:1], source_path(), work, sweeps=sweeps)
    bare, into = rep["module_c_instructions"][0], rep["predict_into_instructions"][0]
    return {"gesture_cnn_int8": {
        "push_sweep_none_beyond_c": rep["push_sweep_none_beyond_c"],
        "push_sweep_none_allocated_bytes": rep["push_sweep_none_allocated"],
        "load_bytes": rep["load_bytes"], "text_bytes": rep["text_bytes"],
        "bss_bytes": rep["bss_bytes"], "bit_exact": rep["bit_exact"],
        "module_c_instructions": bare, "predict_into_instructions": into,
        "predict_into_beyond_c": into - bare,
        "predict_into_allocated_bytes": rep["predict_into_allocated"][0]}}


def _binary(work: Path) -> dict:
    from host.bench_binary import measure_binary

    return measure_binary(work)


def _binary_msp430(work: Path) -> dict:
    from host.bench_binary import measure_binary_msp430

    return measure_binary_msp430(work)


def _bnn_versions(work: Path) -> dict:
    from host.bench_bnn_versions import measure_bnn_versions

    return measure_bnn_versions(work)


def _gesture_msp430(work: Path) -> dict:
    from host.msp430_stream import measure_gesture_msp430

    return measure_gesture_msp430(work)


def _kernels(work: Path) -> dict:
    from host.bench_kernels import measure_kernels

    return measure_kernels(work)


GROUPS = (
    Group("int8", "int8 bench on qemu_m7 (tinyprune bench)", (*ARM, *PYTHON_PACKAGES), "qemu",
          _int8_bench),
    Group("int8_profile", "int8 bench, instructions per function (tinyprune bench --profile)",
          (*ARM, *PYTHON_PACKAGES), "qemu", _int8_profile),
    Group("float", "float gesture CNN, seeded, on qemu_m7", (*ARM, *PYTHON_PACKAGES), "qemu",
          _float_gesture),
    Group("radar_m7", "radar preprocessing per frame on qemu_m7 (host.bench_dsp)", ARM, "qemu",
          _radar_m7),
    Group("radar_msp430", "q15 radar preprocessing per frame in mspdebug "
          "(host.bench_dsp --msp430)", MSP430, "msp430", _radar_msp430),
    Group("msp430_selftest", "MSP430 self-test in mspdebug (host.msp430_selftest)",
          (*MSP430, "numpy"), "msp430", _msp430_selftest),
    Group("msp430_int8", "int8 MNIST CNN on msp430fr6989 in mspdebug (MCLK cycles)",
          (*MSP430, *PYTHON_PACKAGES), "msp430", _int8_msp430),
    Group("kernels", "int8 kernel variants alone on synthetic graphs, qemu_m7 "
          "(host.bench_kernels)", ("arm-none-eabi-gcc", "qemu-system-arm", "numpy"), "qemu",
          _kernels),
    Group("binary", "binary 3x3 convolutions alone on qemu_m7, beside int8 "
          "(host.bench_binary)", ("arm-none-eabi-gcc", "qemu-system-arm", "numpy"), "qemu",
          _binary),
    Group("binary_msp430", "binary 3x3 convolution alone on msp430fr6989 in mspdebug "
          "(host.bench_binary)", (*MSP430, "numpy"), "msp430", _binary_msp430),
    Group("gesture_msp430", "real-time gesture firmware on msp430fr6989 in one mspdebug "
          "session, seeded binary network, cycles per sweep (host.msp430_stream)",
          (*MSP430, *PYTHON_PACKAGES, "gcc"), "msp430", _gesture_msp430),
    Group("bnn_versions", "binary gesture networks as float twin, int8 and binary, seeded, on "
          "qemu_m7 and msp430fr6989 (host.bench_bnn_versions)",
          (*ARM, *MSP430, *PYTHON_PACKAGES), "msp430", _bnn_versions),
    Group("gesture_firmware", "real-time gesture firmware, seeded int8 CNN, sizes",
          ("arm-none-eabi-gcc", *PYTHON_PACKAGES), "qemu", _gesture_firmware),
    Group("sparse", "gesture CNN pruned by magnitude, sparse kernels, qemu_m7 "
          "(host.bench_sparse)", (*ARM, *PYTHON_PACKAGES), "qemu", _sparse),
    Group("channels", "gesture CNN with channels removed by L1 filter norm, int8, qemu_m7 "
          "(host.bench_channels)", (*ARM, *PYTHON_PACKAGES), "qemu", _channels),
    Group("micropython", "seeded int8 gesture CNN as a MicroPython native module on the "
          "qemu port (MPS2_AN500)", (*ARM, *PYTHON_PACKAGES, "mpremote"), "qemu", _micropython),
)
GROUP_BY_NAME = {g.name: g for g in GROUPS}


def tool_versions(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The version line of each tool (host.doctor's check) or Python package, by name."""
    from host.doctor import TOOLS, Tool, check

    known = {t.name: t for t in TOOLS}
    out = {}
    for name in names:
        tool = known.get(name, Tool(name, "", name, python=name in PYTHON_TOOLS))
        present, detail = check(tool)
        out[name] = detail if present else "missing"
    return out


def measure(groups: tuple[Group, ...] = GROUPS,
            on_group: Callable[[Group], None] | None = None) -> dict:
    """Measure ``groups``; returns the golden file's content (figures and tool versions).
    ``on_group`` is called with each group before it is measured (progress)."""
    figures = {}
    with tempfile.TemporaryDirectory(prefix="tinyprune-golden-") as tmp:
        for group in groups:
            if on_group is not None:
                on_group(group)
            work = Path(tmp) / group.name
            work.mkdir()
            figures[group.name] = group.measure(work)
    tools = sorted({t for g in groups for t in g.tools})
    return {"about": "Every figure docs/benchmarks.md publishes; exact (QEMU -icount, mspdebug "
                     f"cycles, linked sizes). Regenerate with `{UPDATE_COMMAND}`; a change that "
                     "moves a figure updates this file in the same commit.",
            "toolchains": tool_versions(tools), "figures": figures}


def load_golden(path: Path = GOLDEN_FILE) -> dict:
    """The golden file's content."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise TinypruneError(f"{path}: no golden file; create it with `{UPDATE_COMMAND}`") from None
    except json.JSONDecodeError as exc:
        raise TinypruneError(f"{path}: not JSON ({exc})") from None


def write_golden(content: dict, path: Path = GOLDEN_FILE) -> Path:
    """Write ``content`` as the golden file (stable key order, one figure per line)."""
    write_bytes_atomic(path, (json.dumps(content, indent=1) + "\n").encode())
    return Path(path)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested figures as ``{"int8.kws_ref_model.steps[2].instructions": 581755, ...}``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


@dataclass(frozen=True)
class Difference:
    """One figure that differs: its name, the golden value and the measured one (None when
    absent on that side)."""

    figure: str
    golden: Any
    measured: Any

    def __str__(self) -> str:
        return f"{self.figure}: golden {show(self.golden)}, measured {show(self.measured)}"


def show(value: Any) -> str:
    """A figure as the diff prints it: integers with thousands separators."""
    if value is None:
        return "absent"
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def compare(golden: dict, measured: dict) -> list[Difference]:
    """Every figure that differs between two figure trees, exactly (names in golden order)."""
    a, b = flatten(golden), flatten(measured)
    return [Difference(k, a.get(k), b.get(k)) for k in [*a, *(k for k in b if k not in a)]
            if a.get(k) != b.get(k)]


def tool_differences(golden: dict, names: tuple[str, ...]) -> list[str]:
    """``tool: golden X, here Y`` for each of ``names`` whose version here differs from the
    golden file's tag."""
    tagged = golden.get("toolchains", {})
    here = tool_versions(names)
    return [f"{n}: golden {tagged.get(n, 'untagged')!r}, here {here[n]!r}" for n in names
            if tagged.get(n) != here[n]]
