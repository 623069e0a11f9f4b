"""Measure one frame of radar preprocessing (device/dsp) on qemu_m7 and on the MSP430 simulator.

``python -m host.bench_dsp`` builds device/dsp/bench/bench_dsp.c four ways (float / q15 x
prime-factor FFT / direct DFT) for the emulated Cortex-M7 and prints a Markdown table (the one
docs/benchmarks.md, "Radar preprocessing", renders from docs/golden.json). Instructions, not
cycles: see docs/measurement.md.
``python -m host.bench_dsp --msp430`` builds the two q15 variants for boards/msp430fr6989 (ring
buffer and frame in FRAM via TP_DSP_FRAM) and prints mspdebug's simulated MCLK cycles.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.mspdebug import run_mspdebug
from host.qemu import run_qemu, ticks_to_instructions
from sdk.errors import BuildError, ToolchainError
from sdk.paths import BOARDS_DIR, DEVICE_DIR
from sdk.radar.preprocess import PreprocessConfig

ARM_FLAGS = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
VARIANTS = {
    "float, 4x5 FFT": [],
    "float, direct DFT": ["-DTP_DSP_DIRECT_DFT"],
    "q15, 4x5 FFT": ["-DBENCH_Q15"],
    "q15, direct DFT": ["-DBENCH_Q15", "-DTP_DSP_DIRECT_DFT"],
}

MSP430_VARIANTS = {
    "q15, 4x5 FFT": [],
    "q15, direct DFT": ["-DTP_DSP_DIRECT_DFT"],
}
BENCH_DEPTHS = 120  # TP_DSP_DEPTHS_IN of the committed device/dsp/tp_dsp_tables.h
MSP430_CLOCK_HZ = 16_000_000
# The committed tables are the seed's preprocessing: its frame rate sets the budget a frame
# is measured against (a model at another rate has its own, host/gesture_fw.deadline_budget).
FRAME_RATE_HZ = PreprocessConfig().frame_rate_hz


@dataclass(frozen=True)
class Msp430FrameCost:
    """One q15 frame on the MSP430 simulator: MCLK cycles and instructions of the push that
    completes the frame (one ``tp_board_counter`` call included, 39 cycles), the frame itself
    (q15, read from the simulator's memory) and the checksum the firmware printed."""

    cycles: int
    instructions: int
    frame: np.ndarray
    checksum: int


def bench_sweeps(count: int = 20, depths: int = BENCH_DEPTHS) -> np.ndarray:
    """The int16 I,Q sweeps (count, depths, 2) that bench_dsp.c pushes (its LCG, in Python)."""
    lcg = 12345
    out = np.empty(count * depths * 2, dtype=np.int16)
    for i in range(out.size):
        lcg = (lcg * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = ((lcg >> 16) & 0x3FF) - 512
    return out.reshape(count, depths, 2)


def frame_checksum(frame: np.ndarray) -> int:
    """bench_dsp.c's checksum of a q15 frame (uint32 arithmetic, row by row)."""
    checksum = 0
    for value in np.asarray(frame, dtype=np.int64).ravel().tolist():
        checksum = (checksum * 31 + (value & 0xFFFFFFFF)) & 0xFFFFFFFF
    return checksum


def build_msp430(defines: list[str], out: Path) -> Path:
    """Link the q15 preprocessing benchmark for boards/msp430fr6989; returns the ELF."""
    from host.build import build_sources
    from sdk.boards import load_board

    board, dsp = load_board("msp430fr6989"), DEVICE_DIR / "dsp"
    out.mkdir(parents=True, exist_ok=True)
    elf, _map, _cmd = build_sources(
        board, [dsp / "bench" / "bench_dsp.c", dsp / "tp_dsp_q15.c",
                *[board.dir / src for src in board.sources]],
        out, [dsp, DEVICE_DIR / "app"], ["-DBENCH_Q15", *defines], name="bench_dsp")
    return elf


def measure_msp430(defines: list[str]) -> Msp430FrameCost:
    """Cycles for the push that completes one 30 x 20 q15 frame, in mspdebug's simulator."""
    with tempfile.TemporaryDirectory() as tmp:
        elf = build_msp430(defines, Path(tmp))
        result = run_mspdebug(elf, max_counter_calls=2, timeout_s=60,
                              read={"frame": 2 * 30 * 20})
    found = re.search(r"frame (\d+) (\d+)", result.console)
    if result.exit_code != 0 or found is None or len(result.counter_stops) != 2:
        raise ToolchainError(f"bench_dsp on msp430fr6989 failed (exit {result.exit_code}): "
                             f"{result.console!r}")
    start, stop = result.counter_stops
    frame = np.frombuffer(result.memory["frame"], "<i2").reshape(30, 20)
    return Msp430FrameCost(stop.cycles - start.cycles, stop.instructions - start.instructions,
                           frame, int(found.group(2)))


def build_m7(defines: list[str], out: Path) -> Path:
    """Link the preprocessing benchmark for qemu_m7 with extra ``-D`` flags; returns the ELF."""
    if shutil.which("arm-none-eabi-gcc") is None:
        raise ToolchainError("arm-none-eabi-gcc not found; install gcc-arm-none-eabi (./setup.sh)")
    board, dsp = BOARDS_DIR / "qemu_m7", DEVICE_DIR / "dsp"
    cmd = ["arm-none-eabi-gcc", *ARM_FLAGS, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
           "-ffunction-sections", "-fdata-sections", *defines, "-I", str(dsp), "-I", str(DEVICE_DIR / "app"),
           str(dsp / "bench" / "bench_dsp.c"), str(dsp / "tp_dsp_f32.c"), str(dsp / "tp_dsp_q15.c"),
           str(board / "startup.c"), str(board / "board.c"), "-T", str(board / "linker.ld"),
           "-nostartfiles", "-Wl,--gc-sections", "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise BuildError(f"bench_dsp for qemu_m7 does not build: {proc.stderr.strip().splitlines()[0]}")
    return out


def measure_m7(defines: list[str]) -> int:
    """Instructions for the push that completes one 30 x 20 frame."""
    with tempfile.TemporaryDirectory() as tmp:
        elf = build_m7(defines, Path(tmp) / "bench.elf")
        result = run_qemu(elf, Path(tmp), timeout_s=60)
    found = re.search(r"frame (\d+) (\d+)", result.stdout)
    if result.exit_code != 0 or found is None:
        raise ToolchainError(f"bench_dsp on qemu_m7 failed (exit {result.exit_code}): {result.stdout!r}")
    return ticks_to_instructions(int(found.group(1)))


def measure_variants_m7() -> dict[str, dict[str, int]]:
    """Instructions per frame of every variant on qemu_m7 (golden group ``radar_m7``)."""
    return {name: {"instructions": measure_m7(defines)} for name, defines in VARIANTS.items()}


def measure_variants_msp430() -> dict[str, dict[str, int]]:
    """Cycles and instructions per frame of every q15 variant in mspdebug (golden group
    ``radar_msp430``)."""
    costs = {name: measure_msp430(defines) for name, defines in MSP430_VARIANTS.items()}
    return {name: {"cycles": c.cycles, "instructions": c.instructions}
            for name, c in costs.items()}


def main() -> None:
    """Print the Markdown table docs/benchmarks.md renders from docs/golden.json (``--msp430``:
    the MSP430 table)."""
    from host.golden_render import radar_m7, radar_msp430

    if "--msp430" in sys.argv[1:]:
        print(radar_msp430({"radar_msp430": measure_variants_msp430()}), end="")
    else:
        print(radar_m7({"radar_m7": measure_variants_m7()}), end="")


if __name__ == "__main__":
    main()
