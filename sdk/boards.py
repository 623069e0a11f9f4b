"""The board catalog: one ``boards/<name>/board.json`` per board.

A board description names its toolchain, compiler and linker flags, memory limits, clock,
the unit of its counter, and what runs it (an emulator, the host, or nothing for hardware
that is only built).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sdk.errors import TinypruneError
from sdk.paths import BOARDS_DIR


@dataclass(frozen=True)
class Board:
    """A board as described by its board.json."""

    name: str
    description: str
    toolchain: str
    flash_bytes: int
    ram_bytes: int
    clock_hz: int
    counter_unit: str
    runner: str | None
    dir: Path
    cflags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    linker_script: str | None = None
    extra: dict = field(default_factory=dict)


_REQUIRED = ("description", "toolchain", "flash_bytes", "ram_bytes", "clock_hz", "counter_unit")


def load_board(name: str) -> Board:
    """Load one board by name; an unknown name lists the known ones."""
    path = BOARDS_DIR / name / "board.json"
    if not path.is_file():
        raise TinypruneError(f"unknown board {name!r}; known boards: {', '.join(board_names())}")
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TinypruneError(f"{path}: not valid JSON: {exc}") from None
    for key in _REQUIRED:
        if key not in doc:
            raise TinypruneError(f"{path}: missing field {key!r}")
    known = set(_REQUIRED) | {"runner", "cflags", "ldflags", "sources", "linker_script", "name"}
    return Board(
        name=name, description=doc["description"], toolchain=doc["toolchain"],
        flash_bytes=int(doc["flash_bytes"]), ram_bytes=int(doc["ram_bytes"]),
        clock_hz=int(doc["clock_hz"]), counter_unit=doc["counter_unit"],
        runner=doc.get("runner"), dir=path.parent,
        cflags=tuple(doc.get("cflags", ())), ldflags=tuple(doc.get("ldflags", ())),
        sources=tuple(doc.get("sources", ())), linker_script=doc.get("linker_script"),
        extra={k: v for k, v in doc.items() if k not in known},
    )


def board_names() -> list[str]:
    """Names of every board in the catalog."""
    return sorted(p.parent.name for p in BOARDS_DIR.glob("*/board.json"))
