"""The C engine (``device/engine``) as a library: which files a build of some kernels needs.

The engine is laid out in CMSIS-NN's manner: one public kernel per file, named after the
function (``tp_convolve_s8`` in ``tp_convolve_s8.c``, its ``_get_buffer_size`` twin beside it),
variants and shared helpers in their own files (``tp_depthwise_conv_ring_s8.c``,
``tp_conv_tiles_s8.c``: a function ``<stem>_...`` lives in ``<stem>.c``), and architecture
fast paths under ``arch/<arch>/``: assembly routines one per ``.S`` file, named after the
routine. Rather than a table that could drift from the sources, the files a kernel needs are
found by following the sources themselves: the ``#include "..."`` lines and the engine
functions each file calls (comments and prototypes left out), and the routines an assembly
routine calls (``call #tp_...``, MSP430). A call to an assembly routine is kept only
for the architecture whose folder has its ``.S`` file; the C side gates those calls behind
the same feature macros (``__ARM_FEATURE_DSP``; ``TP_S8_MSP430``), so every other
architecture links the portable path.

Architectures: ``armv7em`` (Cortex-M4/M7 with the DSP extension), ``msp430`` and ``host``
(portable C only). A board names its architecture in board.json (``arch``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from sdk.boards import Board
from sdk.errors import UnsupportedError
from sdk.paths import ENGINE_DIR

ARCHES = ("armv7em", "msp430", "host")
# Where every generated model.c and kernel starts: types, conventions, float kernels.
ENGINE_HEADER = "tp_engine.h"

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
_CALL = re.compile(r"\b(tp_\w+)\s*\(")
# A call from an assembly routine to another (MSP430: ``call #tp_...``).
_ASM_CALL = re.compile(r"\bcall\s+#(tp_\w+)")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
# A prototype at file scope (a declaration, not a call): type, name, arguments, semicolon.
_PROTOTYPE = re.compile(r"^[A-Za-z_][\w \t*]*\btp_\w+\s*\([^;{]*\)\s*;", re.MULTILINE)


def board_arch(board: Board) -> str:
    """The engine architecture of a board (its board.json ``arch`` field)."""
    arch = board.extra.get("arch")
    if arch not in ARCHES:
        raise UnsupportedError(f"board {board.name}: board.json field 'arch' must be one of "
                               f"{', '.join(ARCHES)}, not {arch!r}")
    return arch


def _text(path: Path) -> str:
    return _COMMENT.sub(" ", path.read_text())


def _stems() -> dict[str, Path]:
    """Every portable C source of the engine by stem (``tp_convolve_s8`` -> its path)."""
    return {p.stem: p for p in ENGINE_DIR.glob("*.c")}


def _source_of(function: str) -> Path | None:
    """The portable C file defining ``function``: ``<stem>.c`` for the longest stem that is the
    function's name or its prefix before an underscore (None: not an engine function)."""
    stems = _stems()
    best = None
    for stem in stems:
        if (function == stem or function.startswith(stem + "_")) and (
                best is None or len(stem) > len(best)):
            best = stem
    return None if best is None else stems[best]


def _routine(function: str, arch: str) -> Path | None:
    """The assembly file of ``function`` for ``arch`` (arch/<arch>/<function>.S), if any."""
    path = ENGINE_DIR / "arch" / arch / f"{function}.S"
    return path if path.is_file() else None


def _closure(functions: Iterable[str], arch: str) -> set[Path]:
    """Every engine file (sources and headers) the given functions need on ``arch``."""
    todo: list[Path] = []
    for name in functions:
        src = _source_of(name)
        if src is None:
            raise UnsupportedError(f"kernel {name}: no C engine source defines it "
                                   f"(in {ENGINE_DIR})")
        todo.append(src)
    todo.append(ENGINE_DIR / ENGINE_HEADER)
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.suffix == ".S":
            todo.extend(r for c in _ASM_CALL.findall(_text(path))
                        if (r := _routine(c, arch)) is not None)
            continue
        text = _text(path)
        for inc in _INCLUDE.findall(text):
            target = (path.parent / inc).resolve()
            if not target.is_file():
                target = (ENGINE_DIR / inc).resolve()
            # Headers of another architecture's folder stay behind their feature macros.
            if target.is_file() and _arch_of(target) in (None, arch):
                todo.append(target)
        for call in set(_CALL.findall(_PROTOTYPE.sub(" ", text))):
            routine = _routine(call, arch)
            if routine is not None:
                todo.append(routine)
            elif (src := _source_of(call)) is not None:
                todo.append(src)
    return seen


def _arch_of(path: Path) -> str | None:
    """``armv7em`` for a file under arch/armv7em/, None for the portable files."""
    parts = relative(path).parts
    return parts[1] if len(parts) > 2 and parts[0] == "arch" else None


def _check_arch(arch: str) -> None:
    if arch not in ARCHES:
        raise UnsupportedError(f"engine architecture {arch!r} (known: {', '.join(ARCHES)})")


def sources_for(functions: Iterable[str], arch: str) -> list[Path]:
    """Every ``.c`` and ``.S`` file needed to link the public kernels ``functions`` for
    ``arch`` (``armv7em``, ``msp430`` or ``host``), sorted, portable sources first.

    Raises :class:`UnsupportedError` for an unknown architecture or a function no engine
    source defines.
    """
    _check_arch(arch)
    files = _closure(functions, arch)
    return sorted((p for p in files if p.suffix in (".c", ".S")),
                  key=lambda p: (p.suffix == ".S", str(p)))


def headers_for(functions: Iterable[str], arch: str) -> list[Path]:
    """The headers those sources include (public and private), ``tp_engine.h`` always."""
    _check_arch(arch)
    return sorted(p for p in _closure(functions, arch) if p.suffix == ".h")


def relative(path: Path) -> Path:
    """A file's path inside device/engine (``arch/armv7em/tp_s8_fc4.S``)."""
    return path.resolve().relative_to(ENGINE_DIR.resolve())


def files_to_ship(functions: Iterable[str]) -> list[Path]:
    """Every engine file a copy of the engine for these kernels needs on any architecture:
    sources and headers of the portable path and of every ``arch/`` fast path (outside their
    architecture, the fast paths compile to nothing: they sit behind feature macros)."""
    files: set[Path] = set()
    for arch in ARCHES:
        files |= _closure(functions, arch)
    return sorted(files, key=lambda p: (p.suffix == ".S", str(relative(p))))
