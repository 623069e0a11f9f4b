"""Sequence numbers: at-most-once delivery with gap counting, and command retry detection.

Both follow docs/protocol.md §3 and mirror device/protocol/tp_seq.c.
"""

from __future__ import annotations

from enum import Enum

from sdk.protocol.messages import Message


class SeqClass(Enum):
    """How a received frame's sequence number relates to the frames before it."""

    NEW = "new"
    DUPLICATE = "duplicate"
    STALE = "stale"


class SeqTracker:
    """Classifies received sequence numbers and counts the frames lost in between."""

    def __init__(self) -> None:
        self.last: int | None = None
        self.gaps = 0
        self.duplicates = 0

    def classify(self, seq: int, sync: bool) -> SeqClass:
        """Judge one frame; NEW ones advance the tracking, gaps and duplicates are counted."""
        seq &= 0xFFFF
        if self.last is None or (sync and seq != self.last):
            self.last = seq
            return SeqClass.NEW
        delta = (seq - self.last) & 0xFFFF
        if delta == 0:
            self.duplicates += 1
            return SeqClass.DUPLICATE
        if delta >= 0x8000:
            self.duplicates += 1
            return SeqClass.STALE
        self.gaps += delta - 1
        self.last = seq
        return SeqClass.NEW


class CommandFilter:
    """Device side: recognizes a retried command so that it is executed only once.

    The host has at most one command outstanding, so a command with the number and type of
    the last executed one is a retry, whatever arrived in between.
    """

    def __init__(self) -> None:
        self._last: tuple[int, int] | None = None
        self.reply: Message | None = None

    def is_retry(self, seq: int, msg_type: int) -> bool:
        """True when this command was already executed (answer with ``reply`` again)."""
        return self._last == (seq & 0xFFFF, msg_type)

    def executed(self, seq: int, msg_type: int, reply: Message) -> None:
        """Remember the command just executed and the ACK or NACK sent for it."""
        self._last = (seq & 0xFFFF, msg_type)
        self.reply = reply
