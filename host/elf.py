"""Section headers of an ELF file (32/64-bit, either byte order): what a size report needs.

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


def read_sections(path: Path) -> list[Section]:
    """All section headers of the ELF file at ``path``, names resolved."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TinypruneError(f"{path}: cannot read ELF file: {exc.strerror}") from None
    if data[:4] != b"\x7fELF" or len(data) < 64 or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise TinypruneError(f"{path}: not an ELF file")
    end = "<" if data[5] == 1 else ">"
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
