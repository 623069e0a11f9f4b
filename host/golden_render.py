"""Render the golden figures (host/golden.py) into the documents that publish them.

A document marks what is rendered, so no current figure in it is typed by hand:

- a table: ``<!-- golden:NAME -->`` and ``<!-- /golden -->`` on their own lines; everything
  between them is replaced by the table :data:`TABLES` [NAME] renders;
- a figure in prose: ``<!--g:PATH-->3,866,695<!--/g-->``, PATH a figure's flat name
  (host.golden.flatten: ``int8.kws_ref_model.instructions``, printed with thousands
  separators) or a name in :data:`DERIVED` (a ratio, a share, a rounding).

Figures of other tools (the anchors) are constants of host/bench_anchors.py and host/demo.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from host.bench_anchors import ANCHORS, FLOAT_ANCHORS, INT8_TARGETS
from host.bench_bnn_versions import versions_table
from host.bench_channels import channels_table
from host.bench_dsp import FRAME_RATE_HZ, MSP430_CLOCK_HZ
from host.bench_sparse import sparse_table
from host.golden import flatten
from sdk.atomic import write_bytes_atomic
from sdk.errors import TinypruneError
from sdk.paths import ROOT

RENDERED_DOCS = (ROOT / "docs" / "benchmarks.md", ROOT / "README.md")
MSP430_BUDGET_CYCLES = MSP430_CLOCK_HZ / FRAME_RATE_HZ  # one frame's time on the MSP430
INT8_LABELS = {"kws_ref_model": "KWS DS-CNN", "ad01_int8": "AD autoencoder",
               "gesture_cnn_int8": "gesture CNN int8"}
_BLOCK = re.compile(r"(<!-- golden:([\w-]+) -->\n)(.*?)(<!-- /golden -->)", re.S)
_INLINE = re.compile(r"(<!--g:([a-z][\w.\[\]-]*)-->)(.*?)(<!--/g-->)")


def _n(value: int) -> str:
    return f"{value:,}"


def _rows(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"


def _per_mac(instructions: int, macs: int) -> str:
    return f"{instructions / macs:.3f}" if macs else "-"


def int8_bench(f: dict) -> str:
    """Our int8 figures per model."""
    return _rows(["model", "MACs", "instructions", "instr/MAC", "weights B", "code B", "arena B",
                  "flash B", "RAM B"],
                 [[INT8_LABELS.get(k, k), _n(m["macs"]), _n(m["instructions"]),
                   _per_mac(m["instructions"], m["macs"]), _n(m["weights_bytes"]),
                   _n(m["code_bytes"]), _n(m["arena_bytes"]), _n(m["flash_bytes"]),
                   _n(m["ram_bytes"])] for k, m in f["int8"].items()])


def int8_anchors(f: dict) -> str:
    """The best existing tool beside our instructions per MAC and arena."""
    rows = []
    for k, m in f["int8"].items():
        a = ANCHORS[k]
        memory = (f"arena {_n(a.memory_bytes)} B" if a.unit == "instructions" else
                  f"RAM {a.memory_bytes / 1000:.2f} kB, weights {_n(a.weights_bytes or 0)} B")
        rows.append([INT8_LABELS.get(k, k), a.tool.replace("+", " + "),
                     f"{_n(a.count)} {a.unit}", f"{a.per_mac:.2f}", memory,
                     _per_mac(m["instructions"], m["macs"]), f"{_n(m['arena_bytes'])} B"])
    return _rows(["model", "best existing", "per inference", "per MAC", "its memory",
                  "ours per MAC", "our arena"], rows)


def int8_targets(f: dict) -> str:
    """Issue 4's targets, each with the measured figure and whether it is met."""
    rows = []
    for t in INT8_TARGETS:
        m = f["int8"][t.model]
        value = (m["instructions"] / m["macs"] if t.figure == "instructions_per_mac"
                 else m[t.figure])
        shown = f"{value:.3f}" if isinstance(value, float) else f"{_n(value)} B"
        rows.append([t.text, shown, "met" if value <= t.limit else "**not met**"])
    return _rows(["target", "measured", ""], rows)


def _steps(label: str, steps: list[dict]) -> list[list[str]]:
    return [[label, s["name"], s["op"], _n(s["macs"]), _n(s["instructions"]),
             f"{s['instructions'] / s['macs']:.2f}" if s["macs"] else "-"] for s in steps]


def int8_steps(f: dict) -> str:
    """Every kernel call of the three int8 models."""
    rows = [r for k, m in f["int8"].items() for r in _steps(INT8_LABELS.get(k, k), m["steps"])]
    return _rows(["model", "step", "op", "MACs", "instructions", "per MAC"], rows)


def float_gesture(f: dict) -> str:
    """The seeded float gesture CNN beside the seed's X-CUBE-AI and Keras2C builds."""
    from host.demo import ANCHORS as SEED_CYCLES

    m, x, k = f["float"]["gesture_cnn"], FLOAT_ANCHORS["X-CUBE-AI 5.0 float"], \
        FLOAT_ANCHORS["Keras2C -O3"]
    x_cycles, k_cycles = (SEED_CYCLES["float"][t] for t in ("X-CUBE-AI 5.0 float",
                                                            "Keras2C -O3"))
    return _rows(["figure", "tinyprune (qemu_m7)", "X-CUBE-AI 5.0 float (seed)",
                  "Keras2C -O3 (seed)"], [
        ["per inference", f"{_n(m['instructions'])} instructions", f"{_n(x_cycles)} cycles",
         f"{_n(k_cycles)} cycles"],
        ["weights", f"{_n(m['weights_bytes'])} B", x["weights"], k["weights"]],
        ["code (engine + model)", f"{_n(m['code_bytes'])} B", "not reported", "included above"],
        ["arena (activations)", f"{_n(m['arena_bytes'])} B", x["ram"], k["ram"]],
        ["whole firmware", f"flash {_n(m['flash_bytes'])} B, RAM {_n(m['ram_bytes'])} B (incl. "
         f"{m['stack_bytes'] // 1024} kB stack)", "", ""]])


def float_steps(f: dict) -> str:
    """Every kernel call of the seeded float gesture CNN."""
    return _rows(["model", "step", "op", "MACs", "instructions", "per MAC"],
                 _steps("gesture float", f["float"]["gesture_cnn"]["steps"]))


def radar_m7(f: dict) -> str:
    """Instructions per frame of each preprocessing variant on qemu_m7."""
    return _rows(["variant", "instructions per frame (qemu_m7)"],
                 [[k, _n(v["instructions"])] for k, v in f["radar_m7"].items()])


def radar_msp430(f: dict) -> str:
    """Cycles and instructions per q15 frame in mspdebug, and the share of the frame budget."""
    return _rows(["variant", "MCLK cycles per frame (mspdebug sim)", "instructions",
                  f"of the {FRAME_RATE_HZ:g} Hz budget at 16 MHz"],
                 [[k, _n(v["cycles"]), _n(v["instructions"]),
                   f"{v['cycles'] / MSP430_BUDGET_CYCLES:.0%}"]
                  for k, v in f["radar_msp430"].items()])


def msp430_selftest(f: dict) -> str:
    """Cycle counts of the MSP430 self-test."""
    s = f["msp430_selftest"]
    return _rows(["what", "MCLK cycles (mspdebug sim)"], [
        ["protocol self-test, all vectors", _n(s["protocol_cycles"])],
        ["q15 push that completes a frame (30 depths in)",
         f"{_n(s['frame_push_cycles_min'])} - {_n(s['frame_push_cycles_max'])} "
         f"({s['frame_push_cycles_max'] / MSP430_BUDGET_CYCLES:.1%} of "
         f"{_n(round(MSP430_BUDGET_CYCLES))}, {FRAME_RATE_HZ:g} Hz at 16 MHz)"],
        ["q15 push while the ring fills (depth means only)",
         f"{_n(s['filling_push_cycles_min'])} - {_n(s['filling_push_cycles_max'])}"],
        [f"whole run ({_n(s['instructions'])} instructions)", _n(s["cycles"])]])


def int8_msp430(f: dict) -> str:
    """The int8 MNIST CNN on the MSP430: cycles, bytes, and every step."""
    m = f["msp430_int8"]["mnist_cnn_int8"]
    head = _rows(["model", "MACs", "MCLK cycles", "cycles/MAC", "FRAM B (code, weights, arena)",
                  "weights B", "arena B", "SRAM B (stack reserve)", "bit-exact"],
                 [["MNIST CNN int8", _n(m["macs"]), _n(m["cycles"]),
                   f"{m['cycles'] / m['macs']:.2f}", _n(m["fram_bytes"]), _n(m["weights_bytes"]),
                   f"{_n(m['arena_bytes'])} ({'FRAM' if m['arena_in_fram'] else 'SRAM'})",
                   f"{_n(m['sram_bytes'])} ({_n(m['stack_bytes'])})",
                   "yes" if m["bit_exact"] else "NO"]])
    steps = _rows(["step", "op", "MACs", "MCLK cycles", "per MAC"],
                  [[s["name"], s["op"], _n(s["macs"]), _n(s["cycles"]),
                    f"{s['cycles'] / s['macs']:.1f}" if s["macs"] else "-"] for s in m["steps"]])
    return head + "\n" + steps


def gesture_firmware(f: dict) -> str:
    """Sizes of the real-time gesture firmware with the seeded int8 CNN."""
    return _rows(["board", "flash B", "RAM B", "text B", "rodata B", "bss B", "code B",
                  "weights B", "arena B"],
                 [[board, *(_n(v[k]) for k in ("flash_bytes", "ram_bytes", "text_bytes",
                                               "rodata_bytes", "bss_bytes", "code_bytes",
                                               "weights_bytes", "arena_bytes"))]
                  for board, v in f["gesture_firmware"].items()])


def gesture_msp430(f: dict) -> str:
    """The binary gesture network in the MSP430 gesture firmware: where one classified sweep's
    cycles go, and every sweep's cycles against the budget."""
    m = f["gesture_msp430"]["bnn_gesture_msp430"]
    cycles, budget, last = m["sweep_cycles"], m["deadline_budget"], m["profile_sweep"]
    share = [f"{c / budget:.1%}" for c in (m["outside_work_cycles"][last], m["preprocess_cycles"],
                                         *(st["cycles"] for st in m["steps"]),
                                         m["inference_cycles"], cycles[last])]
    rows = [["reception, frame decoding, detector, RESULT, loop", _n(m["outside_work_cycles"][last])],
            ["preprocessing (q15 push, frame to int8 input)", _n(m["preprocess_cycles"])],
            *[[f"  {st['name']}", _n(st["cycles"])] for st in m["steps"]],
            ["inference (with the profiling marks)", _n(m["inference_cycles"])],
            [f"whole sweep {last}", _n(cycles[last])]]
    head = _rows([f"sweep {last} (classified)", "MCLK cycles", f"of {_n(budget)}"],
                 [[*r, sh] for r, sh in zip(rows, share)])
    filling = cycles[:len(cycles) - m["frames"]]
    framed = cycles[len(cycles) - m["frames"]:]
    runs = _rows(["sweeps", "MCLK cycles per sweep", "deadline misses (whole sweep / firmware)",
                  "classes, events equal to the host's", "FRAM B", "SRAM B (stack reserve)",
                  "arena B"],
                 [[f"{m['sweeps']} ({len(filling)} filling the window)",
                   f"filling {_n(min(filling))} - {_n(max(filling))}; classified "
                   + ", ".join(_n(c) for c in framed),
                   f"{m['sweep_deadline_misses']} / {m['deadline_misses']}",
                   "yes" if m["classes_equal"] and m["events_equal"] else "NO",
                   _n(m["fram_bytes"]), f"{_n(m['sram_bytes'])} ({_n(m['stack_bytes'])})",
                   f"{_n(m['arena_bytes'])} ({'FRAM' if m['arena_in_fram'] else 'SRAM'})"]])
    return head + "\n" + runs


def micropython(f: dict) -> str:
    """The seeded int8 gesture CNN as a MicroPython native module on the emulated Cortex-M7,
    beside the same model in our own firmware (group int8)."""
    return _rows(["model", "load-time RAM B", "code B", "arena and state B",
                  "C firmware instr.", "C in the module", "predict_into", "beyond the C",
                  "heap B allocated", "push_sweep (None) beyond the C", "heap B allocated"],
                 [[name, _n(v["load_bytes"]), _n(v["text_bytes"]), _n(v["bss_bytes"]),
                   _n(f["int8"][name]["instructions"]), _n(v["module_c_instructions"]),
                   _n(v["predict_into_instructions"]), _n(v["predict_into_beyond_c"]),
                   _n(v["predict_into_allocated_bytes"]), _n(v["push_sweep_none_beyond_c"]),
                   _n(v["push_sweep_none_allocated_bytes"])]
                  for name, v in f["micropython"].items()])


# The gesture CNN's register tile: per window step one LDR of four weights, 2 SXTB16, 8 LDRD
# and 16 SMLAD (32 MACs); the functions that gather and widen its windows (im2col).
WINDOW_STEP_INSTRUCTIONS = 27
SMLAD_PER_STEP = 16
CONV_TILE = "tp_s8_conv_tile"
IM2COL = ("tp_conv_tiles_s8_process", "tp_s8_widen", "gather_row")


def _function(f: dict, model: str, name: str) -> dict:
    functions = f["int8_profile"][model]["functions"]
    if name not in functions:
        raise TinypruneError(f"golden: no profiled function {name!r} in {model} (renamed? "
                             "the documents name it: update them with the golden file)")
    return functions[name]


def _window_steps(f: dict, model: str) -> int:
    return _function(f, model, CONV_TILE)["smlad"] // SMLAD_PER_STEP


def int8_profile_gesture(f: dict) -> str:
    """Where the int8 gesture CNN's instructions go, from its per-function profile."""
    model, macs = "gesture_cnn_int8", f["int8"]["gesture_cnn_int8"]["macs"]
    tile = _function(f, model, CONV_TILE)
    steps = _window_steps(f, model)
    windows = steps * WINDOW_STEP_INSTRUCTIONS
    im2col = sum(_function(f, model, name)["instructions"] for name in IM2COL)
    rest = f["int8_profile"][model]["whole_run"] - tile["instructions"] - im2col
    rows = [
        (f"convolution window steps: {_n(steps)} steps x {WINDOW_STEP_INSTRUCTIONS} (LDR, 2 "
         "SXTB16, 8 LDRD, 16 SMLAD)", windows),
        ("of which SMLAD (two MACs each)", tile["smlad"]),
        (f"rest of `{CONV_TILE}`: loop end tests, per-channel bookkeeping, requantization of "
         f"{_n(tile['smmlar'])} outputs", tile["instructions"] - windows),
        (", ".join(f"`{name}`" for name in IM2COL) + ": im2col (4.5 instructions per 4 values "
         "and pixel) and tile setup", im2col),
        ("dense layers, softmax, tile lists, start-up and I/O of the run", rest)]
    return _rows(["part", "instructions", "per MAC"],
                 [[text, _n(n), f"{n / macs:.3f}"] for text, n in rows])


def kernel_variants(f: dict) -> str:
    """Each kernel variant alone (host.bench_kernels): instructions per MAC and per output
    beside issue 9's target and the instruction-level floor."""
    from host.bench_kernels import CASE_BY_NAME, floor_of, target_of

    rows = []
    for name, m in f["kernels"].items():
        case, macs, outs, n = CASE_BY_NAME[name], m["macs"], m["outputs"], m["instructions"]
        target, floor = target_of(name).of(macs, outs), floor_of(name).of(macs, outs)
        rows.append([case.variant, f"`{case.kernel}`", case.shape, _n(macs), _n(outs), _n(n),
                     _per_mac(n, macs), f"{n / outs:.2f}", f"{_n(round(floor))}",
                     f"{n / floor:.2f}", _n(round(target)),
                     "met" if n <= target else "**not met**"])
    return _rows(["variant", "kernel", "shape", "MACs", "outputs", "instructions", "per MAC",
                  "per output", "floor", "x floor", "target", "target met"], rows)


def binary_kernels(f: dict) -> str:
    """The binary convolution alone (host.bench_binary): instructions (qemu_m7) or cycles
    (MSP430) per binary MAC, beside the int8 convolution of the same shape and issue 12's
    targets."""
    from host.bench_binary import (
        CASE_BY_NAME,
        FIRST_LAYER_SHAPE,
        INT8_RATIO_TARGET,
        PER_MAC_TARGET,
        case_shape,
    )

    rows = []
    for board, count in (("binary", "instructions"), ("binary_msp430", "cycles")):
        m = f[board]["first_layer"]
        rows.append([f"{'qemu_m7' if board == 'binary' else 'msp430fr6989'} ({count})",
                     f"first layer: {FIRST_LAYER_SHAPE}", "9", f"{_n(m['adds'])} additions",
                     _n(m[count]), _per_mac(m[count], m["adds"]), "-", "-", "-", "-"])
    for name, m in f["binary"].items():
        if name == "first_layer":
            continue
        n, n8, macs = m["instructions"], m["int8_instructions"], m["macs"]
        target = PER_MAC_TARGET[m["k"]]
        met = n / macs <= target and n8 / n >= INT8_RATIO_TARGET
        rows.append(["qemu_m7 (instructions)", case_shape(CASE_BY_NAME[name]), str(m["k"]),
                     _n(macs), _n(n), _per_mac(n, macs), _n(n8), f"{n8 / n:.2f}",
                     f"<= {target:.2f}, >= {INT8_RATIO_TARGET}x",
                     "met" if met else "**not met**"])
    for name, m in f["binary_msp430"].items():
        if name in ("first_layer", "gesture_model"):
            continue
        rows.append(["msp430fr6989 (cycles)", case_shape(CASE_BY_NAME[name]), str(m["k"]),
                     _n(m["macs"]), _n(m["cycles"]), _per_mac(m["cycles"], m["macs"]), "-",
                     "-", "-", "-"])
    return _rows(["board (count)", "layer", "K", "binary MACs", "count", "per binary MAC",
                  "int8 instructions", "int8 / binary", "target", "target met"], rows)


def binary_gesture_msp430(f: dict) -> str:
    """The zoo's bnn_gesture_msp430 per step on msp430fr6989, then the sweep: the q15
    preprocessing (radar_msp430) plus the inference against issue 12's target."""
    from host.bench_binary import SWEEP_TARGET_CYCLES

    m = f["binary_msp430"]["gesture_model"]
    pre = f["radar_msp430"]["q15, 4x5 FFT"]["cycles"]
    rows = [[s["name"], s["op"], _n(s["macs"]), _n(s["cycles"])] for s in m["steps"]]
    rows.append(["inference", "", "", _n(m["cycles"])])
    rows.append(["q15 preprocessing (4x5 FFT)", "", "", _n(pre)])
    sweep = pre + m["cycles"]
    met = "met" if sweep <= SWEEP_TARGET_CYCLES else "**not met**"
    rows.append(["sweep", f"target <= {_n(SWEEP_TARGET_CYCLES)}: {met}", "", _n(sweep)])
    return _rows(["step", "op", "MACs / additions", "cycles"], rows)


TABLES: dict[str, Callable[[dict], str]] = {
    "int8-bench": int8_bench, "int8-anchors": int8_anchors, "int8-targets": int8_targets,
    "int8-steps": int8_steps, "float-gesture": float_gesture, "float-steps": float_steps,
    "radar-m7": radar_m7, "radar-msp430": radar_msp430, "msp430-selftest": msp430_selftest,
    "gesture-firmware": gesture_firmware, "int8-profile-gesture": int8_profile_gesture,
    "msp430-int8": int8_msp430,
    "kernel-variants": kernel_variants, "sparse-gesture": sparse_table,
    "channels-gesture": channels_table,
    "micropython": micropython, "binary-kernels": binary_kernels,
    "gesture-msp430": gesture_msp430,
    "binary-gesture-msp430": binary_gesture_msp430,
    "bnn-versions": versions_table,
}


def _ratio(a: str, b: str) -> Callable[[dict], str]:
    return lambda f: f"{f['radar_m7'][a]['instructions'] / f['radar_m7'][b]['instructions']:.1f}"


def _ms(f: dict) -> str:
    return f"{f['radar_msp430']['q15, 4x5 FFT']['cycles'] / (MSP430_CLOCK_HZ / 1000):.0f}"


def _left_k(f: dict) -> str:
    return f"{(MSP430_BUDGET_CYCLES - f['radar_msp430']['q15, 4x5 FFT']['cycles']) / 1000:.0f}"


def _int8_per_mac(name: str) -> Callable[[dict], str]:
    return lambda f: _per_mac(f["int8"][name]["instructions"], f["int8"][name]["macs"])


def _gesture_window_per_mac(f: dict) -> str:
    steps = _window_steps(f, "gesture_cnn_int8")
    return f"{steps * WINDOW_STEP_INSTRUCTIONS / f['int8']['gesture_cnn_int8']['macs']:.3f}"


def _kws_window_per_conv_mac(f: dict) -> str:
    conv_macs = sum(s["macs"] for s in f["int8"]["kws_ref_model"]["steps"]
                    if s["op"] == "Conv2D")
    return f"{_window_steps(f, 'kws_ref_model') * WINDOW_STEP_INSTRUCTIONS / conv_macs:.2f}"


DERIVED: dict[str, Callable[[dict], str]] = {
    "int8_profile.gesture.window_steps": lambda f: _n(_window_steps(f, "gesture_cnn_int8")),
    "int8_profile.gesture.window_per_mac": _gesture_window_per_mac,
    "int8_profile.gesture.multiply_slots": lambda f: _n(
        _window_steps(f, "gesture_cnn_int8") * 2 * SMLAD_PER_STEP),
    # int16 weights in flash: one LDRD instead of LDR + 2 SXTB16 per step, 2 fewer.
    "int8_profile.gesture.int16_weights_saving": lambda f: _n(
        2 * _window_steps(f, "gesture_cnn_int8")),
    "int8_profile.kws.window_steps": lambda f: _n(_window_steps(f, "kws_ref_model")),
    "int8_profile.kws.window_instructions": lambda f: _n(
        _window_steps(f, "kws_ref_model") * WINDOW_STEP_INSTRUCTIONS),
    "int8_profile.kws.window_per_conv_mac": _kws_window_per_conv_mac,
    "radar_m7.fft_gain_float": _ratio("float, direct DFT", "float, 4x5 FFT"),
    "radar_m7.fft_gain_q15": _ratio("q15, direct DFT", "q15, 4x5 FFT"),
    "radar_msp430.fft_ms": _ms,
    "radar_msp430.budget_left_k": _left_k,
    "int8.gesture_cnn_int8.per_mac": _int8_per_mac("gesture_cnn_int8"),
    "int8.kws_ref_model.per_mac": _int8_per_mac("kws_ref_model"),
    "float.gesture_cnn.weights_beyond_anchor": lambda f: _n(
        f["float"]["gesture_cnn"]["weights_bytes"] - 4 * f["float"]["gesture_cnn"]["params"]),
}


def inline_value(figures: dict, name: str) -> str:
    """The text of the prose figure ``name``: a derived figure, or a golden figure."""
    if name in DERIVED:
        return DERIVED[name](figures)
    flat = flatten(figures)
    if name not in flat:
        raise TinypruneError(f"golden: no figure {name!r} (in the golden file or host."
                             "golden_render.DERIVED)")
    value: Any = flat[name]
    return _n(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def render_text(text: str, figures: dict, source: str = "document") -> str:
    """``text`` with every marked table and prose figure rendered from ``figures``."""
    def table(m: re.Match) -> str:
        if m.group(2) not in TABLES:
            raise TinypruneError(f"{source}: unknown golden table {m.group(2)!r}; known: "
                                 + ", ".join(TABLES))
        return m.group(1) + TABLES[m.group(2)](figures) + m.group(4)

    text = _BLOCK.sub(table, text)
    return _INLINE.sub(lambda m: m.group(1) + inline_value(figures, m.group(2)) + m.group(4),
                       text)


def render_docs(figures: dict, paths: tuple[Path, ...] = RENDERED_DOCS) -> list[Path]:
    """Rewrite the marked figures of ``paths``; returns the documents that changed."""
    changed = []
    for path in paths:
        text = path.read_text()
        new = render_text(text, figures, str(path))
        if new != text:
            write_bytes_atomic(path, new.encode())
            changed.append(path)
    return changed
