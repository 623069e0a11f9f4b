"""Build the real-time gesture firmware (device/app/gesture_app.c) for a model and a board.

Besides the model's C, three headers are generated into the build folder:

- ``gesture_config.h``: firmware version, board, clock, deadline budget (the clock over the
  model's frame rate: the preprocessing configuration's sweep rate over its hop) and counter
  scaling, the model hash, the radar configuration, the model's input/output quantization, its
  time context and the gesture detector's parameters (the refractory period in frames at the
  frame rate);
- ``gesture_dsp_tables.h``: the preprocessing tables for sweeps of the configured depths;
- ``gesture_replay.h``: a recording compiled into flash, the board's replay source (empty when
  none is given);
- ``gesture_q15_input.h``: on a board whose preprocessing is q15 (board.json ``"dsp": "q15"``,
  the MSP430), the table that turns q15 frame values into the int8 model input
  (:func:`q15_input_table`).

The model hash is the first 8 bytes of the SHA-256 of the model file's bytes (the .tpm or
.tflite file given as MODEL), as docs/protocol.md defines INFO.model_hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.build import BuildResult, build_firmware
from host.qemu import NS_PER_INSTRUCTION, NS_PER_TICK
from sdk.boards import Board, load_board
from sdk.errors import TinypruneError, UnsupportedError
from sdk.ir import Graph
from sdk.radar.dsp_tables import write_header
from sdk.radar.gestures import GestureConfig, model_detector, model_preprocess, p256_multiplier
from sdk.radar.preprocess import PreprocessConfig, reduce_depths
from sdk.radar.recording import Recording

FW_VERSION = (0, 1, 0)
MAX_DEPTHS = 62


@dataclass(frozen=True)
class RadarConfig:
    """The radar configuration a firmware is built for, as INFO reports it."""

    start_mm: int = 200
    step_um: int = 20000
    n_depths: int = 30
    sweep_rate_mhz: int = 18000

    def differences(self, other: RadarConfig) -> list[str]:
        """``field mine vs other`` for every field that differs."""
        return [f"{name} {getattr(self, name)} vs {getattr(other, name)}"
                for name in ("start_mm", "step_um", "n_depths", "sweep_rate_mhz")
                if getattr(self, name) != getattr(other, name)]


def model_hash(path: str | Path) -> bytes:
    """INFO.model_hash of a model file: the first 8 bytes of SHA-256 of its bytes."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).digest()[:8]
    except OSError as exc:
        raise TinypruneError(f"{path}: cannot read the model file ({exc.strerror})") from None


def radar_config(rec: Recording, n_depths: int = 30) -> RadarConfig:
    """The configuration of ``rec``'s sweeps once reduced to ``n_depths`` depths."""
    start, end = rec.range_m
    return RadarConfig(start_mm=round(start * 1000), step_um=round((end - start) / n_depths * 1e6),
                       n_depths=n_depths, sweep_rate_mhz=round(rec.sweep_rate_hz * 1000))


def model_radar(preprocess: PreprocessConfig) -> RadarConfig:
    """The radar configuration a model's preprocessing asks for (the seed's range)."""
    return RadarConfig(n_depths=preprocess.depth_bins,
                       sweep_rate_mhz=round(preprocess.sweep_rate_hz * 1000))


def wire_sweeps(rec: Recording, n_depths: int = 30, bursts: bool = False) -> np.ndarray:
    """The recording's sweeps as they travel (docs/protocol.md §5): depths reduced by a
    coherent mean, int16 I and Q, rounded and saturated -> (sweeps, n_depths, 2) int16.
    ``bursts``: an A121 recording's frames of several sweeps, one after the other."""
    reduced = reduce_depths(rec.iq_sweeps(bursts=bursts), n_depths)
    iq = np.stack([reduced.real, reduced.imag], axis=-1)
    return np.clip(np.rint(iq), -32768, 32767).astype(np.int16)


def wire_to_complex(iq: np.ndarray) -> np.ndarray:
    """(sweeps, depths, 2) int16 -> complex sweeps (sweeps, depths)."""
    iq = np.asarray(iq, dtype=np.float64)
    return iq[..., 0] + 1j * iq[..., 1]


def _counter_scale(board: Board) -> tuple[int, int, int]:
    """(unit byte, numerator, denominator) turning counter differences into INFO's unit."""
    if board.runner == "qemu":  # timer ticks -> exact instruction counts (host/qemu.py)
        return 0, NS_PER_TICK, NS_PER_INSTRUCTION
    return (1 if board.counter_unit == "cycles" else 0), 1, 1


def board_dsp(board: Board) -> str:
    """The preprocessing arithmetic a board runs: ``"q15"`` or ``"f32"`` (board.json ``dsp``)."""
    return str(board.extra.get("dsp", "f32"))


Q15_INDEX_SHIFT = 7  # q15 frame values per table entry: 2**7 (tp_gesture_io.h)
Q15_WINDOW_SWEEPS = 20  # tp_dsp_q15.c's transform (4 x 5)


def q15_input_table(scale: float, zero_point: int) -> np.ndarray:
    """The int8 model input of q15 frame values: entry i is the quantization (round half away
    from zero, as :func:`sdk.radar.gestures.quantize_input`) of the middle of q15 values
    ``i << 7 .. (i << 7) + 127``, a frame value of ``(i + 0.5) * 128 / 32768``."""
    mid = (np.arange(256, dtype=np.float64) + 0.5) * (1 << Q15_INDEX_SHIFT) / 32768.0
    v = mid / np.float64(np.float32(scale))
    q = np.sign(v) * np.floor(np.abs(v) + 0.5) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def q15_model_input(frames_q15: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The int8 model input of q15 frames through ``table`` (tp_gesture_load_frame_q15)."""
    x = np.maximum(np.asarray(frames_q15, dtype=np.int64), 0) >> Q15_INDEX_SHIFT
    return table[x]


def check_dsp(graph: Graph, board: Board) -> None:
    """Refuse, on a board whose preprocessing is q15, a float model (its frames reach the model
    through the int8 table only), frames of another length than the q15 transform's, and a
    standardized model (the table reads unsigned frames)."""
    if board_dsp(board) != "q15":
        return
    if not _quant(graph, graph.inputs[0])[0]:
        raise UnsupportedError(f"a float model with the q15 preprocessing of board "
                               f"{board.name}; quantize it to int8 first")
    preprocess = model_preprocess(graph.metadata)
    if preprocess.window_sweeps != Q15_WINDOW_SWEEPS:
        raise UnsupportedError(f"a model whose frames have {preprocess.window_sweeps} sweeps in "
                               f"the q15 gesture app of board {board.name} (its transform is "
                               f"the {Q15_WINDOW_SWEEPS}-point 4 x 5 FFT)")
    if preprocess.standardized:
        # the q15 -> int8 table reads frames in [0, 1); standardized frames are signed
        raise UnsupportedError(f"a model with standardized preprocessing (docs/radar.md step 8) "
                               f"in the q15 gesture app of board {board.name}; train it with "
                               "--no-standardize")


def write_q15_input_header(out: Path, graph: Graph) -> Path:
    """Write gesture_q15_input.h: :func:`q15_input_table` of the model's input quantization."""
    _is_int8, scale, zp = _quant(graph, graph.inputs[0])
    table = q15_input_table(scale, zp)
    rows = [", ".join(str(int(v)) for v in table[i:i + 16]) for i in range(0, 256, 16)]
    path = out / "gesture_q15_input.h"
    path.write_text("\n".join([
        "/* Generated by host/gesture_fw.py (q15_input_table). Do not edit. */",
        "#ifndef GESTURE_Q15_INPUT_H", "#define GESTURE_Q15_INPUT_H", "",
        "static const int8_t tp_app_q15_to_s8[256] = {", *[f"    {r}," for r in rows], "};",
        "", "#endif /* GESTURE_Q15_INPUT_H */", ""]))
    return path


def _fram_attribute(board: Board) -> str:
    """TP_APP_FRAM: the section attribute of the board's overflow data region, if it has one
    (the MSP430's FRAM, ``.persistent``), else nothing."""
    memory = board.extra.get("memory", {})
    region = memory.get("regions", {}).get(memory.get("overflow", ""), {})
    section = region.get("data_section")
    return f'__attribute__((section("{section}")))' if section else ""


def _quant(graph: Graph, name: str) -> tuple[bool, float, int]:
    t = graph.tensors[name]
    if t.dtype != "int8":
        return False, 1.0, 0
    if t.quant is None:
        raise TinypruneError(f"model tensor {name} is int8 without quantization parameters")
    return True, float(t.quant.scale[0]), int(t.quant.zero_point[0])


def deadline_budget(board: Board, preprocess: PreprocessConfig) -> int:
    """Counter units per frame on ``board`` at the preprocessing's frame rate (clock / rate;
    the host build has no counter: 0, the deadline is not judged)."""
    return int(board.clock_hz / preprocess.frame_rate_hz)


def write_config_header(out: Path, graph: Graph, board: Board, hash8: bytes,
                        radar: RadarConfig, gesture: GestureConfig,
                        preprocess: PreprocessConfig = PreprocessConfig()) -> Path:
    """Write gesture_config.h for this model, board, radar and preprocessing configuration."""
    n_classes = graph.tensors[graph.outputs[0]].size
    in_int8, in_scale, in_zp = _quant(graph, graph.inputs[0])
    out_int8, out_scale, out_zp = _quant(graph, graph.outputs[0])
    unit, num, den = _counter_scale(board)
    budget = deadline_budget(board, preprocess)
    refractory = gesture.refractory_frames(preprocess.frame_rate_hz)
    if refractory > 0xFFFF:
        raise TinypruneError(f"refractory period {gesture.refractory_s} s is {refractory} frames "
                             f"at {preprocess.frame_rate_hz:.4g} Hz; at most 65535")
    background = gesture.background if 0 <= gesture.background < n_classes else 0xFF
    lines = [
        "/* Generated by host/gesture_fw.py. Do not edit. */",
        "#ifndef GESTURE_CONFIG_H", "#define GESTURE_CONFIG_H", "",
        '#define TP_DSP_TABLES_HEADER "gesture_dsp_tables.h"',
        f"#define TP_APP_DSP_Q15 {int(board_dsp(board) == 'q15')}",
        f"#define TP_APP_FRAM {_fram_attribute(board)}",
        f"#define TP_APP_FW_MAJOR {FW_VERSION[0]}u", f"#define TP_APP_FW_MINOR {FW_VERSION[1]}u",
        f"#define TP_APP_FW_PATCH {FW_VERSION[2]}u",
        f'#define TP_APP_FW_TEXT "{".".join(map(str, FW_VERSION))}"',
        f'#define TP_APP_BOARD "{board.name}"',
        f"#define TP_APP_CLOCK_HZ {board.clock_hz}u",
        f"#define TP_APP_COUNTER_UNIT {unit}u",
        f"#define TP_APP_COUNTER_NUM {num}u", f"#define TP_APP_COUNTER_DEN {den}u",
        f"#define TP_APP_DEADLINE_BUDGET {budget}u",
        "#define TP_APP_MODEL_HASH {" + ", ".join(f"0x{b:02x}u" for b in hash8) + "}",
        f"#define TP_APP_N_CLASSES {n_classes}u",
        f"#define TP_APP_START_MM {radar.start_mm}u", f"#define TP_APP_STEP_UM {radar.step_um}u",
        f"#define TP_APP_N_DEPTHS {radar.n_depths}u",
        f'#define TP_APP_N_DEPTHS_TEXT "{radar.n_depths}"',
        f"#define TP_APP_SWEEP_RATE_MHZ {radar.sweep_rate_mhz}u",
        f"#define TP_APP_INPUT_INT8 {int(in_int8)}",
        f"#define TP_APP_INPUT_SCALE {float(np.float32(in_scale))!r}f",
        f"#define TP_APP_INPUT_ZP {in_zp}",
        f"#define TP_APP_OUTPUT_INT8 {int(out_int8)}",
        f"#define TP_APP_OUTPUT_ZP {out_zp}",
        f"#define TP_APP_OUTPUT_P256_MUL {p256_multiplier(out_scale) if out_int8 else 0}",
        f"#define TP_APP_G_THRESHOLD {int(gesture.threshold)}",
        f"#define TP_APP_G_CONSECUTIVE {int(gesture.consecutive)}u",
        f"#define TP_APP_G_REFRACTORY {refractory}u",
        f"#define TP_APP_CONTEXT_FRAMES {preprocess.context_frames}u",
        f"#define TP_APP_G_BACKGROUND {background}u", "",
        "#endif /* GESTURE_CONFIG_H */", ""]
    path = out / "gesture_config.h"
    path.write_text("\n".join(lines))
    return path


def write_replay_header(out: Path, sweeps: np.ndarray | None, radar: RadarConfig) -> Path:
    """Write gesture_replay.h: ``sweeps`` (n, depths, 2) int16 as a const array in flash."""
    lines = ["/* Generated by host/gesture_fw.py from a recording. Do not edit. */",
             "#ifndef GESTURE_REPLAY_H", "#define GESTURE_REPLAY_H", "", "#include <stdint.h>", ""]
    n = 0 if sweeps is None else len(sweeps)
    depths = radar.n_depths if sweeps is None else sweeps.shape[1]
    if depths > MAX_DEPTHS:
        raise TinypruneError(f"replay recording has {depths} depths; a SWEEP carries at most "
                             f"{MAX_DEPTHS}")
    lines += [f"#define TP_REPLAY_N_SWEEPS {n}", f"#define TP_REPLAY_N_DEPTHS {depths}",
              f"#define TP_REPLAY_START_MM {radar.start_mm}",
              f"#define TP_REPLAY_STEP_UM {radar.step_um}",
              f"#define TP_REPLAY_SWEEP_RATE_MHZ {radar.sweep_rate_mhz}"]
    if n:
        flat = np.asarray(sweeps, dtype=np.int16).reshape(n, -1)
        rows = [", ".join(str(int(v)) for v in row) for row in flat]
        lines += ["static const int16_t tp_replay_iq[] = {",
                  *[f"    {row}," for row in rows], "};"]
    lines += ["", "#endif /* GESTURE_REPLAY_H */", ""]
    path = out / "gesture_replay.h"
    path.write_text("\n".join(lines))
    return path


def build_gesture_firmware(graph: Graph, model_file: str | Path, board: Board | str,
                           out_dir: str | Path, radar: RadarConfig | None = None,
                           replay: np.ndarray | None = None,
                           replay_radar: RadarConfig | None = None,
                           gesture: GestureConfig | None = None,
                           preprocess: PreprocessConfig | None = None) -> BuildResult:
    """Generate the headers and build gesture_app.c with ``graph`` for ``board``.

    ``preprocess``, ``gesture`` and ``radar`` default to what the model carries (its metadata's
    preprocessing and detector; the radar configuration those ask for). ``replay`` (sweeps,
    depths, 2) int16 becomes the replay source; ``replay_radar`` is its configuration (default
    ``radar``; a different one makes the firmware refuse CAPTURE, which tests use).
    """
    n_classes = graph.tensors[graph.outputs[0]].size
    preprocess = preprocess or model_preprocess(graph.metadata)
    gesture = gesture or model_detector(graph.metadata, n_classes)
    radar = radar or model_radar(preprocess)
    board = load_board(board) if isinstance(board, str) else board
    check_dsp(graph, board)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if preprocess.depth_bins != radar.n_depths:
        # The device reduces host-fed sweeps no further: they arrive with the frame's depths.
        raise TinypruneError(f"radar n_depths {radar.n_depths} differs from the preprocessing's "
                             f"depth_bins {preprocess.depth_bins}")
    write_config_header(out, graph, board, model_hash(model_file), radar, gesture, preprocess)
    write_header(out / "gesture_dsp_tables.h", preprocess, radar.n_depths)
    write_replay_header(out, replay, replay_radar or radar)
    if board_dsp(board) == "q15":
        write_q15_input_header(out, graph)
    return build_firmware(graph, board, out, app="gesture")
