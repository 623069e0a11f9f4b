"""Frames: header, payload and CRC, COBS-encoded and 0x00-delimited (docs/protocol.md §1).

``StreamDecoder`` takes arbitrary chunks of a byte stream and returns the frames that passed
every check; everything else is dropped and counted by verdict, never raised.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import IntEnum

from sdk.protocol.cobs import CobsError, cobs_decode, cobs_encode
from sdk.protocol.crc import crc16_ccitt_false

VERSION = 3
HEADER_LEN = 7
CRC_LEN = 2
MAX_PAYLOAD = 256
MAX_RAW = HEADER_LEN + MAX_PAYLOAD + CRC_LEN
MAX_ENCODED = MAX_RAW + (MAX_RAW + 253) // 254
FLAG_SYNC = 0x01


class MsgType(IntEnum):
    """Message types: 0x01-0x1F commands (acknowledged), 0x20-0x3F data (at most once)."""

    HELLO = 0x01
    GET_STATS = 0x02
    GET_PROFILE = 0x03
    RESET_STATS = 0x04
    CAPTURE_START = 0x05
    CAPTURE_STOP = 0x06
    ACK = 0x20
    NACK = 0x21
    INFO = 0x22
    SWEEP = 0x23
    RESULT = 0x24
    PROFILE = 0x25
    STATS = 0x26
    LOG = 0x27
    ERROR = 0x28


def is_command(msg_type: int) -> bool:
    """True for the acknowledged, retried message types."""
    return 0x01 <= msg_type <= 0x1F


def is_answer(msg_type: int) -> bool:
    """True for the types a device sends only in answer to a query (INFO, PROFILE, STATS)."""
    return msg_type in (MsgType.INFO, MsgType.PROFILE, MsgType.STATS)


class Verdict(IntEnum):
    """A receiver's judgement of one delimited frame; codes are shared with the C decoder."""

    OK = 0
    COBS = 1
    OVERSIZE = 2
    SHORT = 3
    CRC = 4
    VERSION = 5
    LENGTH = 6
    TYPE = 7


@dataclass(frozen=True)
class Frame:
    """One accepted frame: its header fields and payload bytes."""

    type: int
    seq: int
    payload: bytes = b""
    flags: int = 0

    @property
    def sync(self) -> bool:
        """Whether the sender restarted its sequence numbers with this frame."""
        return bool(self.flags & FLAG_SYNC)


def encode_frame(frame: Frame) -> bytes:
    """The bytes on the wire for ``frame``, delimiter included."""
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    raw = bytes((VERSION, frame.type & 0xFF, frame.flags & 0xFF,
                 frame.seq & 0xFF, (frame.seq >> 8) & 0xFF,
                 len(frame.payload) & 0xFF, len(frame.payload) >> 8)) + frame.payload
    crc = crc16_ccitt_false(raw)
    return cobs_encode(raw + bytes((crc & 0xFF, crc >> 8))) + b"\x00"


def judge_raw(raw: bytes) -> tuple[Verdict, Frame | None]:
    """Check a COBS-decoded frame in the order of the specification."""
    if len(raw) < HEADER_LEN + CRC_LEN:
        return Verdict.SHORT, None
    body = raw[:-CRC_LEN]
    if crc16_ccitt_false(body) != raw[-2] | (raw[-1] << 8):
        return Verdict.CRC, None
    if raw[0] != VERSION:
        return Verdict.VERSION, None
    if raw[5] | (raw[6] << 8) != len(body) - HEADER_LEN:
        return Verdict.LENGTH, None
    if raw[1] not in _KNOWN_TYPES:
        return Verdict.TYPE, None
    return Verdict.OK, Frame(type=raw[1], seq=raw[3] | (raw[4] << 8),
                             payload=bytes(body[HEADER_LEN:]), flags=raw[2])


_KNOWN_TYPES = frozenset(int(t) for t in MsgType)


def decode_frame(encoded: bytes) -> tuple[Verdict, Frame | None]:
    """Judge one frame given without its delimiter (must not be empty)."""
    try:
        raw = cobs_decode(encoded, MAX_RAW)
    except CobsError as exc:
        return (Verdict.OVERSIZE if exc.oversize else Verdict.COBS), None
    return judge_raw(raw)


class StreamDecoder:
    """Splits a byte stream at 0x00 delimiters and keeps the frames that pass every check.

    Memory is bounded: once more bytes than an encoded frame can hold arrive without a
    delimiter, the frame is judged OVERSIZE and the rest of it is skipped.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._skipping = False
        self.counts: Counter[Verdict] = Counter()

    def feed(self, data: bytes) -> list[Frame]:
        """Consume any number of bytes; return the frames completed in them."""
        frames: list[Frame] = []
        start = 0
        while start <= len(data):
            end = data.find(b"\x00", start)
            piece = data[start:] if end < 0 else data[start:end]
            if not self._skipping:
                self._buf += piece
                if len(self._buf) > MAX_ENCODED:
                    self.counts[Verdict.OVERSIZE] += 1
                    self._buf.clear()
                    self._skipping = True
            if end < 0:
                break
            if self._buf:
                verdict, frame = decode_frame(bytes(self._buf))
                self.counts[verdict] += 1
                if frame is not None:
                    frames.append(frame)
            self._buf.clear()
            self._skipping = False
            start = end + 1
        return frames

    @property
    def errors(self) -> int:
        """Frames dropped so far, all verdicts but OK."""
        return sum(n for v, n in self.counts.items() if v != Verdict.OK)
