"""Flash and RAM use of a linked firmware, from its ELF sections and its linker map.

Sections are classified by their flags, so the same rules hold for every toolchain:
text = allocated and executable; rodata = allocated, read-only data (vector table included);
data = allocated, writable, with contents (its load image also sits in flash); bss =
allocated, writable, without contents; the stack reserve is the section named ``.stack``
(every board's linker script reserves its stack that way, so the linker counts it);
``.persistent`` is writable data kept in FRAM (MSP430): flash only, no RAM.
``code_bytes`` counts only the engine's and the model's instructions, read from the map.

A firmware that does not fit is measured too: linked once more with every MEMORY region of the
board's linker script moved to a window of its own and made large enough
(:func:`measuring_script`), each region's real use is read from that ELF (:func:`region_use`),
so every region over its limit is reported with its true overshoot, not only the linker's
first error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from host.elf import Segment, read_load_segments, read_sections
from sdk.boards import Board
from sdk.errors import TinypruneError
from sdk.paths import ENGINE_DIR

STACK_SECTION = ".stack"
FRAM_DATA_SECTION = ".persistent"

# GNU ld: " .text.name  0xADDR  0xSIZE  object", the name alone on the line before if long.
_GNU_INPUT = re.compile(r"^ (\.\S+)?\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)\s+(\S.*?)\s*$")
_GNU_NAME_ONLY = re.compile(r"^ (\.\S+)\s*$")
# lld: "VMA LMA Size Align <indent> object:(section)" in hex without 0x.
_LLD_INPUT = re.compile(r"^\s*[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+(\S.*):\((\S+)\)\s*$")


@dataclass(frozen=True)
class SizeReport:
    """Sizes in bytes of one linked firmware, and the board limits they count against."""

    text_bytes: int
    rodata_bytes: int
    data_bytes: int
    bss_bytes: int
    stack_bytes: int
    flash_bytes: int
    ram_bytes: int
    code_bytes: int
    flash_limit_bytes: int
    ram_limit_bytes: int
    fram_data_bytes: int = 0  # writable data placed in FRAM (MSP430 .persistent), in flash

    @property
    def flash_fraction(self) -> float | None:
        """Share of the board's flash used, or None for a board without a limit (host)."""
        return self.flash_bytes / self.flash_limit_bytes if self.flash_limit_bytes else None

    @property
    def ram_fraction(self) -> float | None:
        """Share of the board's RAM used, or None for a board without a limit (host)."""
        return self.ram_bytes / self.ram_limit_bytes if self.ram_limit_bytes else None

    def as_dict(self) -> dict:
        """Plain figures for ``--json``: bytes and fractions."""
        return {**asdict(self), "flash_fraction": self.flash_fraction,
                "ram_fraction": self.ram_fraction}


def size_report(elf: Path, map_file: Path | None, board: Board,
                is_code_object: Callable[[str], bool] | None = None) -> SizeReport:
    """Measure ``elf`` against ``board``'s limits.

    ``code_bytes`` sums the ``.text`` input sections of the objects ``is_code_object`` accepts
    (by default :func:`engine_or_model_objects`) as listed in the linker map ``map_file``;
    without a map it is 0.
    """
    text = rodata = data = bss = stack = fram = 0
    for sec in read_sections(Path(elf)):
        if not sec.alloc:
            continue
        if sec.name == FRAM_DATA_SECTION or sec.name.startswith(FRAM_DATA_SECTION + "."):
            fram += sec.size
        elif sec.exec:
            text += sec.size
        elif not sec.write:
            rodata += sec.size
        elif not sec.nobits:
            data += sec.size
        elif sec.name == STACK_SECTION:
            stack += sec.size
        else:
            bss += sec.size
    code = 0
    if map_file is not None:
        accept = is_code_object or engine_or_model_objects()
        code = sum(size for section, obj, size in map_input_sections(Path(map_file))
                   if (section == ".text" or section.startswith(".text.")) and accept(obj))
    return SizeReport(
        text_bytes=text, rodata_bytes=rodata, data_bytes=data, bss_bytes=bss,
        stack_bytes=stack, flash_bytes=text + rodata + data + fram,
        ram_bytes=data + bss + stack, code_bytes=code, flash_limit_bytes=board.flash_bytes,
        ram_limit_bytes=board.ram_bytes, fram_data_bytes=fram)


def map_input_sections(map_file: Path) -> list[tuple[str, str, int]]:
    """Every input section placed by the linker, as (section name, object, size in bytes).

    Reads GNU ld maps (``-Wl,-Map=``) and lld maps (``-Map``); sections the linker discarded
    are not listed. An archive member appears as ``lib.a(member.o)``.
    """
    try:
        lines = Path(map_file).read_text(errors="replace").splitlines()
    except OSError as exc:
        raise TinypruneError(f"{map_file}: cannot read linker map: {exc.strerror}") from None
    if lines and lines[0].split()[:4] == ["VMA", "LMA", "Size", "Align"]:
        return [(m.group(3), m.group(2), int(m.group(1), 16))
                for m in map(_LLD_INPUT.match, lines) if m]
    try:
        start = lines.index("Linker script and memory map")
    except ValueError:
        raise TinypruneError(f"{map_file}: not a GNU ld or lld linker map") from None
    found: list[tuple[str, str, int]] = []
    pending: str | None = None
    for line in lines[start + 1:]:
        name_only = _GNU_NAME_ONLY.match(line)
        if name_only:
            pending = name_only.group(1)
            continue
        m = _GNU_INPUT.match(line)
        archive = m.group(1) or pending if m else None
        if m and archive:
            found.append((archive, m.group(3), int(m.group(2), 16)))
        pending = None
    return found


def engine_or_model_objects() -> Callable[[str], bool]:
    """A test for the generated model's object and the objects of device/engine sources
    (C and assembly).

    Objects are matched by file name (``conv2d.o``, ``conv2d.c.o``, ``libx.a(conv2d.o)``), so
    the rule does not depend on where a build puts its objects.
    """
    stems = frozenset(p.stem for p in ENGINE_DIR.rglob("*") if p.suffix in (".c", ".S")) | {"model"}

    def accept(obj: str) -> bool:
        member = re.search(r"\(([^()]+)\)$", obj)
        return Path(member.group(1) if member else obj).name.split(".", 1)[0] in stems

    return accept


@dataclass(frozen=True)
class MemoryRegion:
    """One region of a linker script's MEMORY block, in bytes."""

    name: str
    origin: int
    length: int


@dataclass(frozen=True)
class Overflow:
    """A memory region the firmware uses more of than the board has."""

    region: str
    used_bytes: int
    limit_bytes: int

    @property
    def over_bytes(self) -> int:
        """The overshoot: bytes that do not fit."""
        return self.used_bytes - self.limit_bytes


_REGION = re.compile(r"^(\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*ORIGIN\s*=\s*)(\w+)(\s*,\s*LENGTH\s*=\s*)"
                     r"(\w+)", re.MULTILINE)
# Each region of the measuring script gets a window this large, at a multiple of it: the
# regions can no longer overlap or overflow, whatever the firmware's size.
_WINDOW = 0x10000000


def _number(text: str) -> int:
    """A linker script number: decimal or 0x hex, optionally with a K or M suffix."""
    scale = {"K": 1024, "M": 1024 * 1024}.get(text[-1].upper(), 1)
    return int(text[:-1] if scale > 1 else text, 0) * scale


def linker_regions(script: str) -> list[MemoryRegion]:
    """The MEMORY regions of a linker script's text (``NAME (attr) : ORIGIN = o, LENGTH = l``)."""
    return [MemoryRegion(m.group(2), _number(m.group(3)), _number(m.group(5)))
            for m in _REGION.finditer(script)]


def measuring_script(script: str) -> str:
    """``script`` with region k moved to ``(k + 1) * 256 MB`` and 256 MB long.

    Only a measurement: addresses no longer fit the board (16-bit relocations overflow on the
    MSP430), so link it with ``--noinhibit-exec`` and read the sizes, never run it.
    """
    count = iter(range(1, 16))
    return _REGION.sub(lambda m: f"{m.group(1)}{next(count) * _WINDOW:#x}{m.group(4)}"
                                 f"{_WINDOW:#x}", script)


def _load_address(addr: int, segments: list[Segment]) -> int:
    """Where the bytes a section has at run-time address ``addr`` are stored in the image."""
    for seg in segments:
        if seg.vaddr <= addr < seg.vaddr + max(seg.memsz, 1):
            return seg.paddr + addr - seg.vaddr
    return addr


def region_use(elf: Path, regions: list[MemoryRegion]) -> dict[str, int]:
    """Bytes each region holds in ``elf``: from its origin to the end of the last section that
    runs there or is stored there (an initialized-data image in flash counts in both)."""
    segments = read_load_segments(Path(elf))
    ends = {r.name: r.origin for r in regions}
    for sec in read_sections(Path(elf)):
        if not sec.alloc or sec.size == 0:
            continue
        starts = {sec.addr} if sec.nobits else {sec.addr, _load_address(sec.addr, segments)}
        for start in starts:
            for r in regions:
                if r.origin <= start < r.origin + r.length:
                    ends[r.name] = max(ends[r.name], start + sec.size)
    return {r.name: ends[r.name] - r.origin for r in regions}


def overflows(board_script: str, measured_elf: Path) -> list[Overflow]:
    """Every region of ``board_script`` that the firmware linked with its
    :func:`measuring_script` (``measured_elf``) uses beyond the region's length."""
    limits = linker_regions(board_script)
    moved = linker_regions(measuring_script(board_script))
    used = region_use(measured_elf, moved)
    return [Overflow(r.name, used[r.name], r.length) for r in limits if used[r.name] > r.length]
