"""One long mspdebug simulator session, driven command by command over stdin/stdout.

host/mspdebug.py runs a firmware to its end with a command list fixed in advance; a firmware
that runs for ever (the gesture app) and must be fed while it runs needs the host to answer
at every stop instead. This module starts ``mspdebug -n -q sim`` once, loads the ELF, adds the
same devices (tracer, hwmult, console), and then sends one command at a time: mspdebug prints
its prompt ``(mspdebug) `` when it has finished a command and waits for the next, which is
how the end of each answer is found. Every wait has a wall-clock limit (the simulator has no
cycle limit); the process is killed when the session ends.

:class:`MspdebugSession` knows the simulator, not the firmware: running to the next
breakpoint (:meth:`run`, which returns the stop's PC and the tracer's MCLK count), writing and
reading memory. host/msp430_stream.py builds the gesture stream on it.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from host.doctor import require
from host.mspdebug import _INSNS, _MCLK, _MD_LINE, _REGS, _RUNNING, MSPDEBUG, elf_symbols
from sdk.errors import TinypruneError, ToolchainError

PROMPT = b"(mspdebug) "
_MW_CHUNK = 64  # bytes per `mw` command
_MD_CHUNK = 2048  # bytes per `md` command


@dataclass(frozen=True)
class Stop:
    """Where a ``run`` stopped: the PC, the simulator's counts there and the console text
    the firmware printed on the way."""

    pc: int
    cycles: int
    instructions: int
    console: str


class MspdebugSession:
    """``mspdebug sim`` with ``elf`` loaded and breakpoints on ``breakpoints`` (symbol names);
    a context manager that kills the process at its end."""

    def __init__(self, elf: Path, breakpoints: list[str], timeout_s: float = 60.0) -> None:
        require(MSPDEBUG)
        self.elf = Path(elf).resolve()
        if not self.elf.is_file():
            raise TinypruneError(f"{self.elf}: firmware ELF not found")
        self.symbols = elf_symbols(self.elf, untyped=True)
        missing = [b for b in breakpoints if b not in self.symbols]
        if missing:
            raise TinypruneError(f"{self.elf.name}: no symbol {', '.join(missing)} to stop at "
                                 "(not built for msp430fr6989?)")
        self.timeout_s = timeout_s
        self._buf = b""
        self.commands = 0
        self.proc = subprocess.Popen([MSPDEBUG, "-n", "-q", "sim"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     bufsize=0)
        try:
            self._answer("starting mspdebug")
            for cmd in (f"prog {self.elf}", "simio add tracer tr", "simio add hwmult mpy",
                        "simio add console con", *(f"setbreak {b}" for b in breakpoints)):
                self.command(cmd)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> MspdebugSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End mspdebug (this session's process only) and wait for it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()

    def command(self, text: str) -> str:
        """Send one command; its answer (without the echoed command and the next prompt)."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(text.encode() + b"\n")
        except (BrokenPipeError, OSError):
            raise ToolchainError(f"{self.elf.name}: mspdebug ended before `{text}`") from None
        self.commands += 1
        answer = self._answer(text)
        return answer.split("\n", 1)[1] if "\n" in answer else ""

    def run(self) -> Stop:
        """Continue to the next breakpoint; where it stopped and the tracer's counts there."""
        out = self.command("run").split(_RUNNING, 1)[-1]
        regs = _REGS.search(out)
        if regs is None:
            raise ToolchainError(f"{self.elf.name}: mspdebug stopped without a register dump: "
                                 f"{out.strip()[-200:]!r}")
        console = out[:regs.start()].rstrip(" ")
        counts = self.command("simio info tr")
        insns, mclk = _INSNS.search(counts), _MCLK.search(counts)
        if insns is None or mclk is None:
            raise ToolchainError(f"{self.elf.name}: no tracer counts in mspdebug's answer")
        return Stop(int(regs.group(1), 16), int(mclk.group(1)), int(insns.group(1)), console)

    def write(self, addr: int, data: bytes) -> None:
        """Write ``data`` to simulator memory at ``addr``."""
        for off in range(0, len(data), _MW_CHUNK):
            chunk = data[off:off + _MW_CHUNK]
            self.command(f"mw {addr + off:#x} " + " ".join(f"{b:#04x}" for b in chunk))

    def read(self, addr: int, size: int) -> bytes:
        """``size`` bytes of simulator memory from ``addr``."""
        memory: dict[int, int] = {}
        for off in range(0, size, _MD_CHUNK):
            text = self.command(f"md {addr + off:#x} {min(_MD_CHUNK, size - off)}")
            for m in _MD_LINE.finditer(text):
                base = int(m.group(1), 16)
                for i, byte in enumerate(m.group(2).split()):
                    memory[base + i] = int(byte, 16)
        try:
            return bytes(memory[a] for a in range(addr, addr + size))
        except KeyError as exc:
            raise ToolchainError(f"{self.elf.name}: mspdebug did not print memory at "
                                 f"{exc.args[0]:#06x}") from None

    def _answer(self, what: str) -> str:
        """Everything mspdebug prints up to its next prompt."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.timeout_s
        fd = self.proc.stdout.fileno()
        while not self._buf.endswith(PROMPT):
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
            if not ready:
                self.close()
                raise ToolchainError(f"{self.elf.name}: no answer from mspdebug to `{what}` "
                                     f"within {self.timeout_s:g} s; killed (the firmware hangs "
                                     "or never reaches a breakpoint)")
            data = os.read(fd, 65536)
            if not data:
                raise ToolchainError(f"{self.elf.name}: mspdebug ended during `{what}`: "
                                     f"{self._buf.decode(errors='replace').strip()[-200:]!r}")
            self._buf += data
        text, self._buf = self._buf[:-len(PROMPT)], b""
        return re.sub(r"\r\n?", "\n", text.decode(errors="replace"))
