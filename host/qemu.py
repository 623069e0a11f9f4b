"""Run a qemu_m7 firmware in QEMU and turn its counter readings into instruction counts.

The emulator runs with ``-icount shift=7``: virtual time advances by exactly 2**7 = 128 ns per
instruction, independent of the host's speed. The firmware's counter is the mps2-an500's
CMSDK timer0, which ticks at 25 MHz of that virtual time (40 ns). A region of N instructions
therefore spans N * 128 ns, read as a whole number of 40 ns ticks, off by less than one tick;
ticks * 40 / 128 is within 40/128 = 0.3125 of N, so rounding it gives N exactly
(docs/measurement.md, checked by tests/boards/test_qemu_board.py).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from host.doctor import require
from sdk.errors import TinypruneError, ToolchainError

QEMU = "qemu-system-arm"
ICOUNT_SHIFT = 7
NS_PER_INSTRUCTION = 2 ** ICOUNT_SHIFT
NS_PER_TICK = 40  # CMSDK APB timer0 clock on mps2-an500: 25 MHz
COUNTER_MODULUS = 2 ** 32


@dataclass(frozen=True)
class QemuResult:
    """What a firmware run left behind: exit status, console text, where its files are."""

    exit_code: int
    stdout: str
    stderr: str
    workdir: Path
    wall_s: float


def qemu_command(elf: Path, extra_args: Sequence[str] = (), machine: str = "mps2-an500",
                 cpu: str = "cortex-m7") -> list[str]:
    """The emulator command line for ``elf`` (semihosting on, deterministic instruction clock);
    ``machine``/``cpu``: another MPS2 board (mps2-an385, cortex-m3 for MicroPython's)."""
    return [QEMU, "-M", machine, "-cpu", cpu, "-display", "none",
            "-monitor", "none", "-serial", "null",
            "-semihosting-config", "enable=on,target=native",
            "-icount", f"shift={ICOUNT_SHIFT}", *extra_args, "-kernel", str(elf)]


def run_qemu(elf: Path, workdir: Path, timeout_s: float = 60.0,
             extra_args: Sequence[str] = ()) -> QemuResult:
    """Run ``elf`` on the emulated board until it exits through semihosting.

    Semihosting file names resolve in ``workdir`` (QEMU runs there). The firmware's exit
    status is returned, not raised on; a firmware still running after ``timeout_s`` seconds
    of wall time is killed and reported as an error, as is an emulator that fails to start.
    """
    elf = Path(elf).resolve()
    workdir = Path(workdir)
    require(QEMU)
    if not elf.is_file():
        raise TinypruneError(f"{elf}: firmware ELF not found")
    if not workdir.is_dir():
        raise TinypruneError(f"{workdir}: working directory not found")
    start = time.monotonic()
    try:
        proc = subprocess.run(qemu_command(elf, extra_args), cwd=workdir, capture_output=True,
                              timeout=timeout_s, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{elf.name}: still running in QEMU after {timeout_s:g} s; "
                             "killed (the firmware hangs or never calls tp_board_exit)") from None
    stderr = proc.stderr.decode(errors="replace")
    # QEMU reports its own failures (bad ELF, bad option, a locked-up CPU) on stderr prefixed
    # with its name; the firmware cannot write there, its console is stdout.
    own = [line for line in stderr.splitlines()
           if line.startswith((f"{QEMU}:", "qemu: fatal:"))
           and not line.startswith(f"{QEMU}: warning:")]
    if own:
        hint = (" (the CPU could not even take a fault: usually the stack ran past its reserve)"
                if "Lockup" in own[0] else "")
        raise ToolchainError(f"{elf.name} in QEMU: {own[0]}{hint}")
    return QemuResult(exit_code=proc.returncode, stdout=proc.stdout.decode(errors="replace"),
                      stderr=stderr, workdir=workdir, wall_s=time.monotonic() - start)


def ticks_to_instructions(ticks: int) -> int:
    """Instructions executed over a difference of ``ticks`` timer0 ticks (exact, see module doc)."""
    if not 0 <= ticks < COUNTER_MODULUS:
        raise ValueError(f"tick difference {ticks} outside [0, 2**32)")
    return (ticks * NS_PER_TICK + NS_PER_INSTRUCTION // 2) // NS_PER_INSTRUCTION


def marks_to_instructions(marks: Sequence[int]) -> list[int]:
    """Instructions between consecutive counter readings (raw 32-bit values, wrap allowed)."""
    return [ticks_to_instructions((b - a) % COUNTER_MODULUS) for a, b in zip(marks, marks[1:])]


def step_instructions(marks: Sequence[int]) -> list[int]:
    """Per-step instruction counts from the marks.bin that device/app/run_main.c writes.

    ``marks[0]`` is the counter difference of two back-to-back marks (the cost of one mark),
    ``marks[1]`` the reading before step 0 and ``marks[k + 2]`` the one after step k. Each
    difference is converted to instructions before the mark cost is subtracted: converted
    differences are exact, a difference of tick differences is not.
    """
    if len(marks) < 2:
        raise ValueError(f"marks need a calibration and a first reading, got {len(marks)} values")
    mark_cost = ticks_to_instructions(marks[0])
    return [n - mark_cost for n in marks_to_instructions(marks[1:])]
