"""The records too long for one frame on a noisy line: INFO and STATS (docs/protocol.md §4).

The device packs a record whole and sends it as pages (:class:`sdk.protocol.messages.Page`)
of at most ``PAGE_BYTES``, one per command; the host joins the pages and unpacks the record
here, with the same exact-layout checks as a message.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, fields

from sdk.protocol.frame import MsgType
from sdk.protocol.messages import (
    MAX_BOARD_NAME,
    MAX_CLASSES,
    UNIT_CYCLES,
    UNIT_INSTRUCTIONS,
    Message,
    _check,
)

_INFO_HEAD = "<BBBBIBI8sBHIHIBIIBB"


@dataclass(frozen=True)
class Info(Message):
    """Who the device is: board, firmware, model, radar configuration and memory use."""

    TYPE = MsgType.INFO
    protocol_version: int
    fw_major: int
    fw_minor: int
    fw_patch: int
    clock_hz: int
    counter_unit: int
    deadline_budget: int
    model_hash: bytes
    n_classes: int
    start_mm: int
    step_um: int
    n_depths: int
    sweep_rate_mhz: int
    frame_sweeps: int
    flash_used: int
    ram_used: int
    capabilities: int
    board: str

    def pack(self) -> bytes:
        """The payload bytes of this message."""
        name = self.board.encode("ascii")
        head = [getattr(self, f.name) for f in fields(self)][:-1]
        return struct.pack(_INFO_HEAD, *head, len(name)) + name

    @classmethod
    def unpack(cls, payload: bytes) -> Info:
        """Parse an INFO payload."""
        size = struct.calcsize(_INFO_HEAD)
        _check(len(payload) >= size, cls, f"{len(payload)} bytes, expected at least {size}")
        *head, name_len = struct.unpack_from(_INFO_HEAD, payload)
        _check(name_len <= MAX_BOARD_NAME, cls, f"board name of {name_len} bytes > {MAX_BOARD_NAME}")
        _check(len(payload) == size + name_len, cls,
               f"{len(payload)} bytes, expected {size + name_len} for a {name_len}-byte board name")
        name = payload[size:]
        _check(all(0x20 <= c <= 0x7E for c in name), cls, "board name is not printable ASCII")
        values = (*head, name.decode("ascii"))
        msg = cls(*values)
        _check(msg.counter_unit in (UNIT_INSTRUCTIONS, UNIT_CYCLES), cls,
               f"unknown counter_unit {msg.counter_unit}")
        _check(msg.n_classes <= MAX_CLASSES, cls, f"n_classes {msg.n_classes} > {MAX_CLASSES}")
        return msg


@dataclass(frozen=True)
class Stats(Message):
    """The device's counters since boot or RESET_STATS."""

    TYPE = MsgType.STATS
    _FMT = "<16I"
    rx_frames: int = 0
    tx_frames: int = 0
    cobs_errors: int = 0
    oversize_errors: int = 0
    short_errors: int = 0
    crc_errors: int = 0
    version_errors: int = 0
    length_errors: int = 0
    type_errors: int = 0
    payload_errors: int = 0
    seq_gaps: int = 0
    duplicates: int = 0
    sweeps: int = 0
    results: int = 0
    deadline_misses: int = 0
    tx_dropped: int = 0
