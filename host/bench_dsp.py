"""Measure one frame of radar preprocessing (device/dsp) on qemu_m7, in instructions.

``python -m host.bench_dsp`` builds device/dsp/bench/bench_dsp.c four ways (float / q15 x
prime-factor FFT / direct DFT) for the emulated Cortex-M7 and prints a Markdown table
(docs/benchmarks.md, "Radar preprocessing").  Instructions, not cycles: see docs/measurement.md.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from host.qemu import run_qemu, ticks_to_instructions
from sdk.errors import BuildError, ToolchainError
from sdk.paths import BOARDS_DIR, DEVICE_DIR

ARM_FLAGS = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
VARIANTS = {
    "float, 4x5 FFT": [],
    "float, direct DFT": ["-DTP_DSP_DIRECT_DFT"],
    "q15, 4x5 FFT": ["-DBENCH_Q15"],
    "q15, direct DFT": ["-DBENCH_Q15", "-DTP_DSP_DIRECT_DFT"],
}


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


def main() -> None:
    """Print the Markdown table for docs/benchmarks.md."""
    print("| variant | instructions per frame (qemu_m7) |\n|---|---|")
    for name, defines in VARIANTS.items():
        print(f"| {name} | {measure_m7(defines):,} |")


if __name__ == "__main__":
    main()
