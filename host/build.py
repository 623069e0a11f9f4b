"""Build firmware for a board: generate the model's C, compile it with the engine, the app and
the board's sources using the board's toolchain, link, and report what was built.

The toolchain comes from board.json (``toolchain``): ``host-gcc`` (native build for tests),
``arm-none-eabi`` (Cortex-M, GNU toolchain and newlib) or ``msp430-clang`` (clang-14 and
ld.lld-14, as in the toolchains note). The engine files come from
:mod:`sdk.codegen.c_library` for the board's ``arch``: on ``armv7em`` and ``msp430`` they
include the assembly routines (``.S``, which the compiler preprocesses and assembles with the
same flags). A model
that does not fit fails here naming every region it overflows, with the region's limit, its
real use and the overshoot in bytes: the linker stops at its first overflowed section, so the
build links once more with the regions enlarged and measures that ELF
(:func:`host.size_report.measuring_script`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from host.size_report import Overflow, SizeReport, measuring_script, overflows, size_report
from sdk.boards import Board, load_board
from sdk.codegen import c_library
from sdk.codegen.export import write_generated
from sdk.codegen.generate import GeneratedModel, Step, generate_model
from sdk.codegen.memory_planner import MemoryLayout, MemoryPlan
from sdk.errors import BuildError, ToolchainError, UnsupportedError
from sdk.ir.graph import Graph
from sdk.kernels.bitpack import word_bits_for_arch
from sdk.paths import DEVICE_DIR, ENGINE_DIR

# app name -> (source in device/app, the profiling hook it defines)
APPS = {"run": ("run_main.c", "tp_run_mark"),
        "gesture": ("gesture_app.c", "tp_gesture_mark")}
# Further sources (relative to device/) and include folders an app needs; the gesture app's
# generated headers (host/gesture_fw.py) must be in the build folder before it is built.
_PROTOCOL = ["protocol/tp_cobs.c", "protocol/tp_crc16.c", "protocol/tp_frame.c",
             "protocol/tp_messages.c", "protocol/tp_seq.c"]
# The run app's bit-error option (build_firmware(bit_errors=True), docs/bit_errors.md).
BIT_ERRORS_SOURCE = "tp_bit_errors.c"
APP_EXTRA = {"gesture": (["app/tp_gesture.c", "app/tp_sensor.c", "app/gesture_dsp.c",
                          *_PROTOCOL], ["protocol", "dsp"])}
WARNINGS = ("-std=c99", "-Wall", "-Wextra", "-Werror")
COMPILE_TIMEOUT_S = 300

_OVERFLOW = re.compile(r"region [`'\"]?([A-Za-z0-9_.]+)[`'\"]?:? overflowed by (\d+) bytes")
# clang's MSP430 soft-float helpers (the board runtime has none): a float model on msp430.
_MSP430_FLOAT = re.compile(r"undefined symbol: (__mspabi_(add|sub|mpy|div|cmp)[fd]|"
                           r"__mspabi_(fix|flt|cvt)\w*|__\w*[sd]f\d?)\b")
_ERROR = re.compile(r"(error|undefined reference)", re.IGNORECASE)


@dataclass
class BuildResult:
    """What a build produced: the firmware, its map, the steps it runs and its memory."""

    elf: Path
    map_file: Path | None
    board: Board
    out_dir: Path
    generated: GeneratedModel
    command: list[str]
    size: Any = None  # host.size_report.SizeReport for boards with memory limits

    @property
    def steps(self) -> list[Step]:
        """The kernel calls of one inference, in order."""
        return self.generated.steps

    @property
    def plan(self) -> MemoryPlan:
        """The arena plan (``plan.arena_bytes``)."""
        return self.generated.plan

    @property
    def weights_bytes(self) -> int:
        """Bytes of model constants (weights and biases) placed in flash."""
        return self.generated.weights_bytes


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolchainError(f"{tool} not found; run `tinyprune doctor` to see how to install it")
    return path


def _msp430_linker_dir(out_dir: Path) -> Path:
    """clang's msp430 driver calls msp430-elf-ld: point that name at ld.lld-14."""
    lld = _require("ld.lld-14")
    bin_dir = out_dir / "toolbin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / "msp430-elf-ld"
    if not link.exists():
        link.symlink_to(lld)
    return bin_dir


def _toolchain_flags(board: Board, out_dir: Path) -> tuple[list[str], list[str]]:
    """(compiler and compile flags, link flags before the objects) for the board's toolchain."""
    if board.toolchain == "host-gcc":
        return [_require("gcc"), *WARNINGS, "-O2", *board.cflags], []
    if board.toolchain == "arm-none-eabi":
        return ([_require("arm-none-eabi-gcc"), *board.cflags, *WARNINGS, "-O2",
                 "-ffunction-sections", "-fdata-sections"], ["-Wl,--gc-sections"])
    if board.toolchain == "msp430-clang":
        bin_dir = _msp430_linker_dir(out_dir)
        return ([_require("clang-14"), "--target=msp430", *WARNINGS, "-Os",
                 "-ffunction-sections", "-fdata-sections", *board.cflags],
                ["-B", str(bin_dir), "-nostdlib", "-Wl,--gc-sections", "-Wl,--nmagic"])
    raise UnsupportedError(f"toolchain {board.toolchain!r} of board {board.name}")


def _call(cmd: list[str], board: Board, cwd: Path) -> subprocess.CompletedProcess:
    try:
        # errors="replace": a linker's warnings can quote raw bytes of a section.
        return subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                              timeout=COMPILE_TIMEOUT_S, cwd=cwd, env={**os.environ, "LC_ALL": "C"})
    except subprocess.TimeoutExpired:
        raise BuildError(f"build for board {board.name} timed out after "
                         f"{COMPILE_TIMEOUT_S} s: {' '.join(cmd[:2])}") from None


def _run(cmd: list[str], board: Board, cwd: Path,
         measure: Callable[[], list[Overflow]] | None = None) -> None:
    """Run a compile or link step; ``measure`` finds every overflowed region of a link."""
    proc = _call(cmd, board, cwd)
    if proc.returncode != 0:
        _raise_for(board, proc.stderr + proc.stdout, measure)


class DoesNotFit(BuildError):
    """The link overflowed memory: ``overflows`` holds every overflowed region measured (empty
    when the linker's own figure is all there is)."""

    def __init__(self, message: str, overflows: list[Overflow]) -> None:
        super().__init__(message)
        self.overflows = overflows


def _region_text(region: str, limit: int, over: int, used: int | None = None) -> str:
    is_ram = "RAM" in region.upper() and "FRAM" not in region.upper()
    uses = f" (uses {used} bytes)" if used is not None else ""
    return (f"region {region} ({'RAM' if is_ram else 'flash'}, limit {limit} bytes) "
            f"overflowed by {over} bytes{uses}")


def _raise_for(board: Board, output: str,
               measure: Callable[[], list[Overflow]] | None = None) -> None:
    overflow = _OVERFLOW.search(output)
    if overflow:
        # The linker stops at its first overflowed section: measure every region instead.
        found = measure() if measure is not None else []
        if found:
            parts = [_region_text(o.region, o.limit_bytes, o.over_bytes, o.used_bytes)
                     for o in found]
        else:
            region = overflow.group(1)
            is_ram = "RAM" in region.upper() and "FRAM" not in region.upper()
            parts = [_region_text(region, board.ram_bytes if is_ram else board.flash_bytes,
                                  int(overflow.group(2)))]
        raise DoesNotFit(f"model does not fit board {board.name}: {'; '.join(parts)}", found)
    if board.toolchain == "msp430-clang" and _MSP430_FLOAT.search(output):
        raise UnsupportedError("float models on msp430; quantize to int8 first")
    first = next((line.strip() for line in output.splitlines() if _ERROR.search(line)),
                 output.strip().splitlines()[0] if output.strip() else "no compiler output")
    raise BuildError(f"build for board {board.name} failed: {first}")


def _size_report(elf: Path, map_file: Path, board: Board) -> SizeReport | None:
    # The host build has no memory limits to report against.
    if board.toolchain == "host-gcc":
        return None
    return size_report(elf, map_file if map_file.exists() else None, board)


def build_sources(board: Board, sources: list[Path], out_dir: Path,
                  include_dirs: Sequence[Path] = (), defines: Sequence[str] = (),
                  name: str = "firmware") -> tuple[Path, Path, list[str]]:
    """Compile ``sources`` with the board's toolchain, flags and sources' folder on the include
    path, and link them with its linker script into ``out_dir/<name>.elf`` (map beside it).

    Returns (elf, map file, link command). Raises like :func:`build_firmware`.
    """
    out = Path(out_dir).resolve()
    elf = out / f"{name}.elf"
    map_file = out / f"{name}.map"
    compile_cmd, link_flags = _toolchain_flags(board, out)
    includes = [f"-I{p}" for p in (*include_dirs, board.dir)]
    obj_dir = out / "obj"
    obj_dir.mkdir(parents=True, exist_ok=True)
    objects = []
    for src in sources:
        # Objects keep their source's name: the size report attributes code by object name.
        obj = obj_dir / (Path(src).stem + ".o")
        _run([*compile_cmd, *includes, *defines, "-c", str(src), "-o", str(obj)], board, out)
        objects.append(str(obj))
    script = [] if board.linker_script is None else ["-T", str(board.dir / board.linker_script)]
    link_cmd = [*compile_cmd, *link_flags, *objects, *script, f"-Wl,-Map={map_file}",
                *board.ldflags, "-lm", "-o", str(elf)]
    if board.toolchain == "msp430-clang":
        link_cmd.remove("-lm")  # no C library for MSP430: the board supplies its runtime
    _run(link_cmd, board, out, lambda: _measure_overflows(link_cmd, board, out))
    return elf, map_file, link_cmd


def _measure_overflows(link_cmd: list[str], board: Board, out: Path) -> list[Overflow]:
    """Link ``link_cmd`` again with the board's regions enlarged and return every region the
    firmware overflows, with its real use; empty when that link fails too."""
    if board.linker_script is None:
        return []
    script = (board.dir / board.linker_script).read_text()
    measure_ld = out / "measure.ld"
    measure_ld.write_text(measuring_script(script))
    elf = out / "measure.elf"
    cmd = [str(measure_ld) if a == str(board.dir / board.linker_script) else a
           for a in link_cmd if not a.startswith("-Wl,-Map=")]
    cmd[cmd.index("-o") + 1] = str(elf)
    # The enlarged addresses overflow the MSP430's 16-bit relocations: keep the ELF anyway,
    # it is only measured.
    if _call([*cmd, "-Wl,--noinhibit-exec"], board, out).returncode != 0 or not elf.is_file():
        return []
    return overflows(script, elf)


def build_firmware(graph: Graph, board: Board | str, out_dir: str | Path,
                   app: str = "run", bit_errors: bool = False) -> BuildResult:
    """Generate, compile and link ``graph`` with ``app`` for ``board`` into ``out_dir``.

    Raises :class:`ToolchainError` when the compiler is missing and :class:`BuildError` when
    compiling or linking fails (with the first error line, or :class:`DoesNotFit` naming every
    overflowed memory region). On a board with an overflow region (board.json ``memory``) the
    faster program is built first (``prefer_speed``: whole windows, not chunks of rows), and
    the smallest memory when that does not fit; when neither fits with the arena where the
    planner put it (an arena within the SRAM budget, but an app whose own buffers leave less
    SRAM than that budget assumes), the arena goes to the overflow region. The error raised is
    that of the planner's own placement. ``bit_errors`` (run app only): the binary weights in
    RAM and flips.bin XORed into them before the first inference (device/app/tp_bit_errors.c,
    docs/bit_errors.md).
    """
    board = load_board(board) if isinstance(board, str) else board
    if app not in APPS:
        raise UnsupportedError(f"app {app!r} (known: {', '.join(APPS)})")
    if bit_errors and app != "run":
        raise UnsupportedError(f"bit errors in the {app} app (run app only)")
    layout = MemoryLayout.from_json(board.extra["memory"]) if "memory" in board.extra else None
    if layout is None or layout.overflow is None:
        return _build_firmware(graph, board, Path(out_dir).resolve(), app, layout, False,
                               bit_errors)
    # A board with an overflow region (MSP430: SRAM, then FRAM): the faster program where it
    # fits, else the smallest memory.
    out = Path(out_dir).resolve()
    try:
        return _build_firmware(graph, board, out, app, layout, True, bit_errors)
    except DoesNotFit:
        pass
    try:
        return _build_firmware(graph, board, out, app, layout, False, bit_errors)
    except DoesNotFit as err:
        if layout.arena == layout.overflow:
            raise
        try:
            return _build_firmware(graph, board, out, app, layout.overflowed(), False,
                                   bit_errors)
        except DoesNotFit:
            raise err from None


def _build_firmware(graph: Graph, board: Board, out: Path, app: str,
                    layout: MemoryLayout | None, prefer_speed: bool,
                    bit_errors: bool = False) -> BuildResult:
    app_source, hook = APPS[app]
    arch = c_library.board_arch(board)
    # Lowerings that differ by architecture read it (the int8 softmax's table).
    graph = replace(graph, metadata={**graph.metadata, "arch": arch})
    if any(t.dtype == "binary" for t in graph.tensors.values()):
        # Binary tensors are packed in the board's word (tp_bword in tp_engine_b1.h).
        graph = replace(graph, metadata={**graph.metadata, "binary_word": word_bits_for_arch(arch)})
    gen = generate_model(graph, layout=layout, prefer_speed=prefer_speed)
    write_generated(gen, out)
    engine = c_library.sources_for(gen.engine_kernels, arch)
    outside = [f for f in gen.outside_files if f.suffix == ".c"]
    sources = [out / "model.c", *engine, *outside,
               DEVICE_DIR / "app" / app_source,
               *[DEVICE_DIR / src for src in APP_EXTRA.get(app, ([], []))[0]],
               *([DEVICE_DIR / "app" / BIT_ERRORS_SOURCE] if bit_errors else []),
               *[board.dir / s for s in board.sources]]
    elf, map_file, link_cmd = build_sources(board, sources, out,
                                            [out, ENGINE_DIR, DEVICE_DIR / "app",
                                             # kernels registered from outside the engine
                                             *dict.fromkeys(p.parent for p in gen.outside_files),
                                             *[DEVICE_DIR / d
                                               for d in APP_EXTRA.get(app, ([], []))[1]]],
                                            [f"-DTP_PROFILE_HOOK={hook}",
                                             *(["-DTP_BIT_ERRORS"] if bit_errors else [])])
    return BuildResult(elf, map_file if map_file.exists() else None, board, out, gen,
                       link_cmd, _size_report(elf, map_file, board))
