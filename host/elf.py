"""Section and loadable program headers of an ELF file (32/64-bit, either byte order): what a
size report needs.

Reading the headers directly works the same for ARM, MSP430 and host ELF files, without
depending on which binutils happen to be installed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from sdk.errors import TinypruneError

SHT_NOBITS = 8
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4


@dataclass(frozen=True)
class Section:
    """One section header."""

    name: str
    type: int
    flags: int
    addr: int
    size: int

    @property
    def alloc(self) -> bool:
        """Occupies memory at run time (as opposed to debug info, symbols, comments)."""
        return bool(self.flags & SHF_ALLOC)

    @property
    def write(self) -> bool:
        """Writable at run time, so it lives in RAM."""
        return bool(self.flags & SHF_WRITE)

    @property
    def exec(self) -> bool:
        """Holds instructions."""
        return bool(self.flags & SHF_EXECINSTR)

    @property
    def nobits(self) -> bool:
        """Takes no space in the file (zero-initialised or reserved memory)."""
        return self.type == SHT_NOBITS


@dataclass(frozen=True)
class Segment:
    """One loadable program header: where a part of the image runs and where it is stored."""

    vaddr: int
    paddr: int
    filesz: int
    memsz: int


PT_LOAD = 1


def _read(path: Path) -> tuple[bytes, str]:
    """The file's bytes and its struct byte-order prefix, after checking it is an ELF file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TinypruneError(f"{path}: cannot read ELF file: {exc.strerror}") from None
    if data[:4] != b"\x7fELF" or len(data) < 64 or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise TinypruneError(f"{path}: not an ELF file")
    return data, "<" if data[5] == 1 else ">"


def read_sections(path: Path) -> list[Section]:
    """All section headers of the ELF file at ``path``, names resolved."""
    path = Path(path)
    data, end = _read(path)
    if data[4] == 1:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)
        fmt = end + "IIIIIIIIII"
    else:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
        fmt = end + "IIQQQQIIQQ"
    if shnum == 0 or shoff + shnum * shentsize > len(data) or shstrndx >= shnum:
        raise TinypruneError(f"{path}: ELF section header table missing or truncated")
    raw = [struct.unpack_from(fmt, data, shoff + i * shentsize) for i in range(shnum)]
    str_off, str_size = raw[shstrndx][4], raw[shstrndx][5]
    names = data[str_off:str_off + str_size]

    def name_at(offset: int) -> str:
        return names[offset:names.index(b"\0", offset)].decode("ascii", "replace")

    return [Section(name_at(h[0]), h[1], h[2], h[3], h[5]) for h in raw[1:]]


def read_load_segments(path: Path) -> list[Segment]:
    """The loadable (PT_LOAD) program headers of the ELF executable at ``path``."""
    path = Path(path)
    data, end = _read(path)
    if data[4] == 1:
        phoff, = struct.unpack_from(end + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x2A)
        fmt, fields = end + "IIIIIIII", (0, 2, 3, 4, 5)  # type, vaddr, paddr, filesz, memsz
    else:
        phoff, = struct.unpack_from(end + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
        fmt, fields = end + "IIQQQQQQ", (0, 3, 4, 5, 6)
    if phoff + phnum * phentsize > len(data):
        raise TinypruneError(f"{path}: ELF program header table truncated")
    segments = []
    for i in range(phnum):
        h = struct.unpack_from(fmt, data, phoff + i * phentsize)
        kind, vaddr, paddr, filesz, memsz = (h[k] for k in fields)
        if kind == PT_LOAD:
            segments.append(Segment(vaddr, paddr, filesz, memsz))
    return segments
