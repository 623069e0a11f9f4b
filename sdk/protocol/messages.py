"""Typed messages and their payload layouts (docs/protocol.md §4), little-endian, no padding.

``unpack`` accepts exactly the layout and nothing else: any other length or an out-of-range
field raises ``PayloadError`` naming the message and the field.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, fields
from typing import ClassVar

from sdk.errors import TinypruneError
from sdk.protocol.frame import MAX_PAYLOAD, MsgType

MAX_BOARD_NAME = 32
MAX_DEPTHS = 62
MAX_CLASSES = 16
MAX_PROFILE_STEPS = 59
# Bytes of a record (INFO, STATS) per page: at 5 % byte errors a 16-byte page (29 bytes on the
# wire) arrives 23 % of the time, the whole 64-byte STATS record in one frame 2 %.
PAGE_BYTES = 16
NONE_CLASS = 0xFF
UNIT_INSTRUCTIONS, UNIT_CYCLES = 0, 1


class PayloadError(TinypruneError):
    """A frame's payload does not follow its message layout."""


class NackReason:
    """Why a device refused a command."""

    BAD_PAYLOAD = 1
    UNSUPPORTED = 2
    BUSY = 3
    MISMATCH = 4


def _check(ok: bool, msg: type[Message], what: str) -> None:
    if not ok:
        raise PayloadError(f"{msg.TYPE.name} payload: {what}")


@dataclass(frozen=True)
class Message:
    """Base of all messages: fixed fields packed with ``_FMT``, in dataclass field order."""

    TYPE: ClassVar[MsgType]
    _FMT: ClassVar[str] = "<"

    def pack(self) -> bytes:
        """The payload bytes of this message."""
        return struct.pack(self._FMT, *(getattr(self, f.name) for f in fields(self)))

    @classmethod
    def unpack(cls, payload: bytes) -> Message:
        """Parse a payload of exactly this message's layout."""
        size = struct.calcsize(cls._FMT)
        _check(len(payload) == size, cls, f"{len(payload)} bytes, expected {size}")
        msg = cls(*struct.unpack(cls._FMT, payload))
        msg._validate()
        return msg

    def _validate(self) -> None:
        """Range checks beyond the layout; subclasses add theirs."""


@dataclass(frozen=True)
class Hello(Message):
    """Host asks who is there: the INFO page at byte ``offset`` of the INFO record; answered
    by that page then ACK."""

    TYPE = MsgType.HELLO
    _FMT = "<B"
    offset: int = 0


@dataclass(frozen=True)
class GetStats(Message):
    """Host asks for the STATS page at byte ``offset`` of the device's counters (offset 0
    takes the snapshot the later pages come from); answered by that page then ACK."""

    TYPE = MsgType.GET_STATS
    _FMT = "<B"
    offset: int = 0


@dataclass(frozen=True)
class GetProfile(Message):
    """Host asks for one page of the last sweep's profile; answered by PROFILE then ACK."""

    TYPE = MsgType.GET_PROFILE
    _FMT = "<H"
    first_step: int = 0


@dataclass(frozen=True)
class ResetStats(Message):
    """Host zeroes the device's counters."""

    TYPE = MsgType.RESET_STATS


@dataclass(frozen=True)
class CaptureStart(Message):
    """Host asks the device to stream its own sensor's sweeps (n_sweeps 0: until stopped)."""

    TYPE = MsgType.CAPTURE_START
    _FMT = "<IB"
    n_sweeps: int = 0
    flags: int = 0

    FLAG_CLASSIFY: ClassVar[int] = 0x01

    def _validate(self) -> None:
        _check(self.flags & ~self.FLAG_CLASSIFY == 0, type(self), f"reserved flags {self.flags:#x}")


@dataclass(frozen=True)
class CaptureStop(Message):
    """Host ends a capture."""

    TYPE = MsgType.CAPTURE_STOP


@dataclass(frozen=True)
class Ack(Message):
    """Device executed the command numbered ``acked_seq``."""

    TYPE = MsgType.ACK
    _FMT = "<HB"
    acked_seq: int
    acked_type: int


@dataclass(frozen=True)
class Nack(Message):
    """Device refused the command numbered ``acked_seq`` (``reason``: a NackReason)."""

    TYPE = MsgType.NACK
    _FMT = "<HBB"
    acked_seq: int
    acked_type: int
    reason: int

    def _validate(self) -> None:
        _check(1 <= self.reason <= 4, type(self), f"unknown reason {self.reason}")


@dataclass(frozen=True)
class Page(Message):
    """Bytes ``offset`` .. ``offset + len(data) - 1`` of a record of ``total`` bytes (INFO,
    STATS: :mod:`sdk.protocol.records`). Every page but the last is full, so the layout is
    exact: ``len(data) == min(PAGE_BYTES, total - offset)``."""

    offset: int
    total: int
    data: bytes

    def pack(self) -> bytes:
        """The payload bytes of this message."""
        return bytes((self.offset, self.total)) + self.data

    @classmethod
    def unpack(cls, payload: bytes) -> Page:
        """Parse a page payload."""
        _check(len(payload) >= 2, cls, f"{len(payload)} bytes, expected at least 2")
        offset, total, data = payload[0], payload[1], payload[2:]
        _check(offset < total, cls, f"offset {offset} not below total {total}")
        want = min(PAGE_BYTES, total - offset)
        _check(len(data) == want, cls,
               f"{len(data)} data bytes, expected {want} at offset {offset} of {total}")
        return cls(offset, total, bytes(data))


@dataclass(frozen=True)
class InfoPage(Page):
    """A page of the INFO record, answering HELLO."""

    TYPE = MsgType.INFO


@dataclass(frozen=True)
class StatsPage(Page):
    """A page of the STATS record, answering GET_STATS."""

    TYPE = MsgType.STATS


@dataclass(frozen=True)
class Sweep(Message):
    """One radar sweep: ``iq`` holds I0, Q0, I1, Q1, ... as int16."""

    TYPE = MsgType.SWEEP
    sweep_index: int
    iq: tuple[int, ...]

    @property
    def n_depths(self) -> int:
        """Number of complex samples."""
        return len(self.iq) // 2

    def pack(self) -> bytes:
        """The payload bytes of this message."""
        if len(self.iq) % 2 or self.n_depths > MAX_DEPTHS:
            raise ValueError(f"SWEEP needs an even number of at most {2 * MAX_DEPTHS} values")
        return struct.pack(f"<IH{len(self.iq)}h", self.sweep_index, self.n_depths, *self.iq)

    @classmethod
    def unpack(cls, payload: bytes) -> Sweep:
        """Parse a SWEEP payload."""
        _check(len(payload) >= 6, cls, f"{len(payload)} bytes, expected at least 6")
        index, n = struct.unpack_from("<IH", payload)
        _check(n <= MAX_DEPTHS, cls, f"n_depths {n} > {MAX_DEPTHS}")
        _check(len(payload) == 6 + 4 * n, cls,
               f"{len(payload)} bytes, expected {6 + 4 * n} for {n} depths")
        return cls(index, struct.unpack_from(f"<{2 * n}h", payload, 6))


@dataclass(frozen=True)
class Result(Message):
    """The device's verdict on one sweep: frame class, gesture event, deadline, scores."""

    TYPE = MsgType.RESULT
    sweep_index: int
    frame_class: int
    event: int
    flags: int
    work: int
    scores: tuple[int, ...]

    FLAG_DEADLINE_MISSED: ClassVar[int] = 0x01

    @property
    def deadline_missed(self) -> bool:
        """Whether preprocessing plus inference overran the sweep period."""
        return bool(self.flags & self.FLAG_DEADLINE_MISSED)

    def pack(self) -> bytes:
        """The payload bytes of this message."""
        n = len(self.scores)
        return struct.pack(f"<IBBBIB{n}h", self.sweep_index, self.frame_class, self.event,
                           self.flags, self.work, n, *self.scores)

    @classmethod
    def unpack(cls, payload: bytes) -> Result:
        """Parse a RESULT payload."""
        _check(len(payload) >= 12, cls, f"{len(payload)} bytes, expected at least 12")
        *head, n = struct.unpack_from("<IBBBIB", payload)
        _check(n <= MAX_CLASSES, cls, f"n_scores {n} > {MAX_CLASSES}")
        _check(len(payload) == 12 + 2 * n, cls,
               f"{len(payload)} bytes, expected {12 + 2 * n} for {n} scores")
        values = (*head, struct.unpack_from(f"<{n}h", payload, 12))
        msg = cls(*values)
        for name in ("frame_class", "event"):
            value = getattr(msg, name)
            _check(value == NONE_CLASS or value < n, cls, f"{name} {value} with {n} scores")
        _check(msg.flags & ~cls.FLAG_DEADLINE_MISSED == 0, cls, f"reserved flags {msg.flags:#x}")
        return msg


@dataclass(frozen=True)
class Profile(Message):
    """One page of per-step counts of the last processed sweep."""

    TYPE = MsgType.PROFILE
    sweep_index: int
    unit: int
    preprocess: int
    inference: int
    total_steps: int
    first_step: int
    steps: tuple[int, ...]

    def pack(self) -> bytes:
        """The payload bytes of this message."""
        n = len(self.steps)
        return struct.pack(f"<IBIIHHB{n}I", self.sweep_index, self.unit, self.preprocess,
                           self.inference, self.total_steps, self.first_step, n, *self.steps)

    @classmethod
    def unpack(cls, payload: bytes) -> Profile:
        """Parse a PROFILE payload."""
        _check(len(payload) >= 18, cls, f"{len(payload)} bytes, expected at least 18")
        *head, n = struct.unpack_from("<IBIIHHB", payload)
        _check(n <= MAX_PROFILE_STEPS, cls, f"n_steps {n} > {MAX_PROFILE_STEPS}")
        _check(len(payload) == 18 + 4 * n, cls,
               f"{len(payload)} bytes, expected {18 + 4 * n} for {n} steps")
        values = (*head, struct.unpack_from(f"<{n}I", payload, 18))
        msg = cls(*values)
        _check(msg.unit in (UNIT_INSTRUCTIONS, UNIT_CYCLES), cls, f"unknown unit {msg.unit}")
        _check(msg.first_step + n <= msg.total_steps, cls,
               f"steps {msg.first_step}..{msg.first_step + n - 1} beyond total_steps {msg.total_steps}")
        return msg


@dataclass(frozen=True)
class Log(Message):
    """A line of text from the device (level 0 debug .. 3 error)."""

    TYPE = MsgType.LOG
    level: int
    text: str

    def pack(self) -> bytes:
        """The payload bytes of this message."""
        return bytes((self.level,)) + self.text.encode("utf-8")

    @classmethod
    def unpack(cls, payload: bytes) -> Log:
        """Parse a LOG payload."""
        _check(len(payload) >= 1, cls, "empty, expected a level byte")
        _check(payload[0] <= 3, cls, f"unknown level {payload[0]}")
        return cls(payload[0], payload[1:].decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class Error(Message):
    """An asynchronous error on the device, with a code and a line of text."""

    TYPE = MsgType.ERROR
    code: int
    text: str

    MODEL_MISMATCH: ClassVar[int] = 1
    RADAR_MISMATCH: ClassVar[int] = 2
    BAD_SWEEP: ClassVar[int] = 3
    INTERNAL: ClassVar[int] = 4

    def pack(self) -> bytes:
        """The payload bytes of this message."""
        return struct.pack("<H", self.code) + self.text.encode("utf-8")

    @classmethod
    def unpack(cls, payload: bytes) -> Error:
        """Parse an ERROR payload."""
        _check(len(payload) >= 2, cls, f"{len(payload)} bytes, expected at least 2")
        return cls(payload[0] | payload[1] << 8, payload[2:].decode("utf-8", errors="replace"))


MESSAGES: dict[int, type[Message]] = {
    cls.TYPE: cls for cls in (Hello, GetStats, GetProfile, ResetStats, CaptureStart, CaptureStop,
                              Ack, Nack, InfoPage, Sweep, Result, Profile, StatsPage, Log, Error)
}


def unpack_message(msg_type: int, payload: bytes) -> Message:
    """Parse the payload of a frame of type ``msg_type``."""
    if msg_type not in MESSAGES:
        raise PayloadError(f"unknown message type {msg_type:#04x}")
    return MESSAGES[msg_type].unpack(payload)


def pack_message(msg: Message) -> bytes:
    """The payload of ``msg``, checked against the maximum payload size."""
    payload = msg.pack()
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"{msg.TYPE.name} payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return payload
