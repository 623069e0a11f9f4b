"""Run an MSP430 firmware in mspdebug's simulator and read back what it left behind.

The firmware is built for boards/msp430fr6989 (crt0.c, board.c). One run is one mspdebug
command line (``mspdebug -n -q sim "prog fw.elf" ...``), always under a wall-clock timeout
because the simulator has no cycle limit:

- devices: ``tracer`` (instruction and MCLK cycle counts), ``hwmult`` (the 16x16 multiplier
  at 0x130) and ``console`` (prints every byte written to 0x00FF on stdout);
- host files: written into the simulator-only mailbox at 0x2400 with ``mw`` before the run,
  read back with ``md`` after it (layout in boards/msp430fr6989/msp430fr6989_board.h);
- breakpoints on ``__stop`` (where crt0 parks the CPU with the exit status in R12) and on
  ``tp_board_counter``: at every stop the runner prints the tracer's counts, so each call of
  the board counter is timestamped with the simulator's MCLK cycle count. A call is stopped
  at its first instruction, before it runs. The firmware cannot read those cycles itself;
  :func:`substitute_counter` turns what it recorded (call numbers) into cycles.

Cycles follow mspdebug's own timing model: FRAM wait states (above 8 MHz) are not modelled,
and the multiplier sits elsewhere on the chip, so cycle counts are relative, approximate
figures (docs/measurement.md; boards keep a 30 % margin for deadlines).
"""

from __future__ import annotations

import re
import struct
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from host.doctor import require
from sdk.errors import TinypruneError, ToolchainError

MSPDEBUG = "mspdebug"
STOP_SYMBOL = "__stop"
COUNTER_SYMBOL = "tp_board_counter"

# The host-file mailbox: keep in step with msp430fr6989_board.h (checked by a test).
MAILBOX_ADDR = 0x2400
MAILBOX_BYTES = 0x2000
MAILBOX_MAGIC = 0x7046
MAILBOX_MAX_FILES = 8
MAILBOX_NAME_BYTES = 14
_ENTRY = struct.Struct(f"<{MAILBOX_NAME_BYTES}sHH")
_HEADER = struct.Struct("<HHHH")
MAILBOX_DATA_ADDR = MAILBOX_ADDR + _HEADER.size + MAILBOX_MAX_FILES * _ENTRY.size
MAILBOX_DATA_BYTES = MAILBOX_BYTES - (MAILBOX_DATA_ADDR - MAILBOX_ADDR)

_MW_CHUNK = 64  # bytes per `mw` command
_RUNNING = "Running. Press Ctrl+C to interrupt...\n"
_REGS = re.compile(r"\( PC: ([0-9a-fA-F]+)\)")
_R12 = re.compile(r"\(R12: ([0-9a-fA-F]+)\)")
_INSNS = re.compile(r"^Instruction count: (\d+)", re.MULTILINE)
_MCLK = re.compile(r"^MCLK:\s+(\d+)", re.MULTILINE)
_MD_LINE = re.compile(r"^    ([0-9a-fA-F]{4,5}): ((?:[0-9a-fA-F]{2} )+)\s*\|.*\|$", re.MULTILINE)


@dataclass(frozen=True)
class CounterStop:
    """The simulator's counts when the firmware called ``tp_board_counter``."""

    instructions: int
    cycles: int


@dataclass
class MspdebugResult:
    """One finished run: exit status, console text, counts, files and memory read back."""

    exit_code: int
    console: str
    instructions: int
    cycles: int
    counter_stops: list[CounterStop]
    files: dict[str, bytes]
    memory: dict[str, bytes]
    wall_s: float
    log: str = field(repr=False, default="")


def elf_symbols(elf: Path, untyped: bool = False) -> dict[str, int]:
    """Function and object symbols of a 32-bit little-endian ELF (name -> address); with
    ``untyped`` also symbols without a type (a linker script's, like ``__stack_start``)."""
    data = Path(elf).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise TinypruneError(f"{elf}: not a 32-bit little-endian ELF file")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    sections = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize)
                for i in range(shnum)]
    symbols: dict[str, int] = {}
    for sec in sections:
        if sec[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sec[6]]
        for off in range(sec[4], sec[4] + sec[5], 16):
            name_off, value, _size, info, _other, _shndx = struct.unpack_from("<IIIBBH", data, off)
            kinds = (0, 1, 2) if untyped else (1, 2)  # STT_NOTYPE, STT_OBJECT, STT_FUNC
            if info & 0xF in kinds and name_off:
                start = strtab[4] + name_off
                name = data[start:data.index(b"\0", start)].decode()
                symbols[name] = value
    return symbols


def pack_mailbox(files: Mapping[str, bytes]) -> bytes:
    """The mailbox image holding ``files`` (header, directory, data), as the board reads it."""
    if len(files) > MAILBOX_MAX_FILES:
        raise TinypruneError(f"{len(files)} files for the MSP430 mailbox; at most "
                             f"{MAILBOX_MAX_FILES}")
    directory = b""
    data = b""
    for name, content in files.items():
        raw = name.encode()
        if len(raw) >= MAILBOX_NAME_BYTES:
            raise TinypruneError(f"file name {name!r} too long for the MSP430 mailbox "
                                 f"(at most {MAILBOX_NAME_BYTES - 1} bytes)")
        directory += _ENTRY.pack(raw, len(data), len(content))
        data += content + b"\0" * (len(content) % 2)
    if len(data) > MAILBOX_DATA_BYTES:
        raise TinypruneError(f"input files of {len(data)} bytes do not fit the MSP430 "
                             f"simulator's mailbox ({MAILBOX_DATA_BYTES} bytes)")
    directory += b"\0" * (MAILBOX_MAX_FILES * _ENTRY.size - len(directory))
    return _HEADER.pack(MAILBOX_MAGIC, len(files), len(data), 0) + directory + data


def mailbox_directory(image: bytes) -> dict[str, tuple[int, int]]:
    """The files of a mailbox image's header and directory (its first
    ``MAILBOX_DATA_ADDR - MAILBOX_ADDR`` bytes suffice): name -> (offset from
    MAILBOX_DATA_ADDR, size); a later entry of the same name replaces an earlier one, as on
    the board."""
    magic, count, _used, _ = _HEADER.unpack_from(image, 0)
    if magic != MAILBOX_MAGIC:
        return {}
    files: dict[str, tuple[int, int]] = {}
    for i in range(min(count, MAILBOX_MAX_FILES)):
        raw, offset, size = _ENTRY.unpack_from(image, _HEADER.size + i * _ENTRY.size)
        if offset + size > MAILBOX_DATA_BYTES:
            raise TinypruneError(f"MSP430 mailbox entry {i} runs past the mailbox")
        files[raw.split(b"\0", 1)[0].decode(errors="replace")] = (offset, size)
    return files


def unpack_mailbox(image: bytes) -> dict[str, bytes]:
    """Files in a mailbox image read back from the simulator."""
    data = image[MAILBOX_DATA_ADDR - MAILBOX_ADDR:]
    return {name: data[offset:offset + size]
            for name, (offset, size) in mailbox_directory(image).items()}


def mspdebug_command(elf: Path, files: Mapping[str, bytes] | None, stops: int,
                     reads: Sequence[tuple[int, int]], break_on_counter: bool) -> list[str]:
    """The mspdebug argument list for one run (see the module docstring)."""
    cmd = [MSPDEBUG, "-n", "-q", "sim", f"prog {elf}", "simio add tracer tr",
           "simio add hwmult mpy", "simio add console con"]
    if files is not None:
        image = pack_mailbox(files)
        for off in range(0, len(image), _MW_CHUNK):
            chunk = image[off:off + _MW_CHUNK]
            cmd.append(f"mw {MAILBOX_ADDR + off:#x} " + " ".join(f"{b:#04x}" for b in chunk))
    cmd.append(f"setbreak {STOP_SYMBOL}")
    if break_on_counter:
        cmd.append(f"setbreak {COUNTER_SYMBOL}")
    cmd += ["run", "simio info tr"] * stops
    cmd += [f"md {addr:#x} {size}" for addr, size in reads]
    return cmd


def run_mspdebug(elf: Path, files: Mapping[str, bytes] | None = None,
                 max_counter_calls: int = 64, timeout_s: float = 60.0,
                 read: Mapping[str, int] | None = None) -> MspdebugResult:
    """Run ``elf`` in ``mspdebug sim`` until it parks at ``__stop``.

    ``files`` are put into the board's mailbox before the run (the board's
    ``tp_board_read_file`` sees them); the files in the mailbox after the run are returned.
    The run may call ``tp_board_counter`` at most ``max_counter_calls`` times (each call is
    one breakpoint stop). ``read`` names symbols (and byte counts) to read back after the run.
    Raises :class:`ToolchainError` when mspdebug is missing, fails, or the firmware does not
    stop in time; the firmware's exit status is returned, not raised on.
    """
    elf = Path(elf).resolve()
    require(MSPDEBUG)
    if not elf.is_file():
        raise TinypruneError(f"{elf}: firmware ELF not found")
    symbols = elf_symbols(elf)
    if STOP_SYMBOL not in symbols:
        raise TinypruneError(f"{elf.name}: no {STOP_SYMBOL} symbol (not built for an MSP430 "
                             "board with boards/msp430fr6989/crt0.c?)")
    reads = [(MAILBOX_ADDR, MAILBOX_BYTES)]
    wanted = dict(read or {})
    for name, size in wanted.items():
        if name not in symbols:
            raise TinypruneError(f"{elf.name}: no symbol {name!r} to read back")
        reads.append((symbols[name], size))
    counter = symbols.get(COUNTER_SYMBOL)
    stops = max_counter_calls + 1 if counter is not None else 1
    cmd = mspdebug_command(elf, files, stops, reads, counter is not None)
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{elf.name}: still running in mspdebug after {timeout_s:g} s; "
                             "killed (the firmware hangs or never reaches __stop)") from None
    wall = time.monotonic() - start
    log = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        err = (proc.stderr.decode(errors="replace") + log).strip().splitlines()
        raise ToolchainError(f"mspdebug failed on {elf.name} (status {proc.returncode}): "
                             f"{err[-1] if err else 'no output'}")
    result = _parse(log, symbols[STOP_SYMBOL], counter, elf.name)
    memory = _memory(log)
    result.files = unpack_mailbox(_take(memory, MAILBOX_ADDR, MAILBOX_BYTES, elf.name))
    result.memory = {name: _take(memory, symbols[name], size, elf.name)
                     for name, size in wanted.items()}
    result.wall_s = wall
    return result


def _parse(log: str, stop_addr: int, counter_addr: int | None, name: str) -> MspdebugResult:
    console = []
    stops: list[CounterStop] = []
    for chunk in log.split(_RUNNING)[1:]:
        regs = _REGS.search(chunk)
        if regs is None:
            raise ToolchainError(f"{name}: mspdebug stopped without a register dump")
        console.append(chunk[:regs.start()].rstrip(" "))
        insns, mclk = _INSNS.search(chunk, regs.end()), _MCLK.search(chunk, regs.end())
        if insns is None or mclk is None:
            raise ToolchainError(f"{name}: no tracer counts after a stop in mspdebug's output")
        pc = int(regs.group(1), 16)
        if pc == stop_addr:
            r12_reg = _R12.search(chunk)
            if r12_reg is None:
                raise ToolchainError(f"{name}: no R12 (exit status) at the stop in mspdebug's "
                                     "output")
            r12 = int(r12_reg.group(1), 16) & 0xFFFF
            return MspdebugResult(exit_code=r12 - 0x10000 if r12 & 0x8000 else r12,
                                  console="".join(console), instructions=int(insns.group(1)),
                                  cycles=int(mclk.group(1)), counter_stops=stops, files={},
                                  memory={}, wall_s=0.0, log=log)
        if pc != counter_addr:
            raise ToolchainError(f"{name}: mspdebug stopped at unexpected pc {pc:#06x}")
        stops.append(CounterStop(int(insns.group(1)), int(mclk.group(1))))
    raise ToolchainError(f"{name}: did not reach {STOP_SYMBOL} after {len(stops)} calls of "
                         f"{COUNTER_SYMBOL} (raise max_counter_calls?)")


def _memory(log: str) -> dict[int, int]:
    memory: dict[int, int] = {}
    for m in _MD_LINE.finditer(log):
        base = int(m.group(1), 16)
        for i, byte in enumerate(m.group(2).split()):
            memory[base + i] = int(byte, 16)
    return memory


def _take(memory: Mapping[int, int], addr: int, size: int, name: str) -> bytes:
    try:
        return bytes(memory[a] for a in range(addr, addr + size))
    except KeyError as exc:
        raise ToolchainError(f"{name}: mspdebug did not print memory at {exc.args[0]:#06x}"
                             ) from None


def substitute_counter(values: Sequence[int], stops: Sequence[CounterStop]) -> list[int]:
    """Replace counter readings recorded by the firmware with the simulator's cycles.

    On this board ``tp_board_counter`` returns its call number (1, 2, ...); a value the
    firmware stored is therefore the index of the stop that timestamped it. A value of 0
    (never read) stays 0.
    """
    out = []
    for v in values:
        if v == 0:
            out.append(0)
        elif v <= len(stops):
            out.append(stops[v - 1].cycles)
        else:
            raise TinypruneError(f"counter value {v} but only {len(stops)} counter calls")
    return out
