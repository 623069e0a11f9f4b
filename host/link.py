"""The host end of the serial protocol (docs/protocol.md) over any pyserial URL.

``socket://127.0.0.1:PORT`` (the emulator) and ``/dev/ttyACM0`` (a board) are the same code.
Commands wait for their ACK and are re-sent with the same number on timeout; data messages
are delivered at most once, with lost frames counted from the sequence numbers.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import serial

from sdk.errors import TinypruneError
from sdk.protocol.frame import FLAG_SYNC, Frame, MsgType, StreamDecoder, Verdict, encode_frame, is_command
from sdk.protocol.messages import Ack, Message, Nack, PayloadError, pack_message, unpack_message
from sdk.protocol.sequence import SeqClass, SeqTracker

NACK_REASONS = {1: "bad payload", 2: "unsupported command", 3: "busy",
                4: "model or radar configuration mismatch"}
INBOX_LIMIT = 10_000


class LinkError(TinypruneError):
    """The link to a device failed: nothing answers, or the device refused a command."""


@dataclass(frozen=True)
class LinkStats:
    """What the host saw on the link since it was opened."""

    tx_frames: int
    rx_frames: int
    crc_errors: int
    framing_errors: int
    header_errors: int
    payload_errors: int
    sequence_gaps: int
    duplicates: int
    retries: int
    inbox_dropped: int


class Link:
    """A serial link to a tinyprune device; use as a context manager."""

    def __init__(self, url: str, *, baudrate: int = 115200, timeout: float = 0.5,
                 attempts: int = 6) -> None:
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        try:
            self._port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.02,
                                               write_timeout=5.0)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise LinkError(f"{url}: cannot open the port: {exc}") from None
        self._decoder = StreamDecoder()
        self._tracker = SeqTracker()
        self._inbox: deque[Message] = deque()
        self._replies: dict[int, Ack | Nack] = {}
        self._reply_type: int | None = None
        self._reply_data: Message | None = None
        self._seq = 0
        self._sync_next = True
        self._tx = self._rx = self._payload_errors = self._retries = self._dropped = 0
        self.last_rx = time.monotonic()  # when the last byte arrived (or the port opened)
        # A lone delimiter ends whatever partial frame the device's receiver holds.
        self._write(b"\x00")

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the port."""
        self._port.close()

    def send(self, msg: Message) -> int:
        """Send a data message (SWEEP) once; returns its sequence number."""
        if is_command(msg.TYPE):
            raise ValueError(f"{msg.TYPE.name} is a command: use Link.command")
        return self._send_frame(msg, self._next_seq())

    def command(self, msg: Message, reply: MsgType | None = None) -> Message | None:
        """Send a command until it is acknowledged; return its ``reply`` message if asked.

        Raises LinkError naming the port when nothing acknowledges it after every attempt, or
        when the device answers NACK.
        """
        if not is_command(msg.TYPE):
            raise ValueError(f"{msg.TYPE.name} is not a command: use Link.send")
        start = time.monotonic()
        attempts_left = self.attempts
        self._replies.clear()
        while attempts_left > 0:
            seq = self._next_seq()
            self._reply_type, self._reply_data = reply, None
            try:
                answer, attempts_left = self._until_answered(msg, seq, attempts_left)
            finally:
                self._reply_type = None
            if isinstance(answer, Nack):
                raise LinkError(f"{self.url}: the device refused {msg.TYPE.name}: "
                                f"{NACK_REASONS.get(answer.reason, answer.reason)}")
            if answer is None:
                break
            if reply is None or self._reply_data is not None:
                return self._reply_data
            # ACK arrived but its answer was lost: queries are idempotent, so ask again.
            self._retries += 1
        raise LinkError(
            f"no answer from {self.url} to {msg.TYPE.name} after {self.attempts} attempts in "
            f"{time.monotonic() - start:.1f} s: is the board running, and is it on {self.url}?")

    def receive(self, timeout: float = 0.0) -> Message | None:
        """The next data message (SWEEP, RESULT, LOG, ERROR, ...), waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while not self._inbox:
            self._pump()
            if self._inbox or time.monotonic() >= deadline:
                break
        return self._inbox.popleft() if self._inbox else None

    @property
    def stats(self) -> LinkStats:
        """Counters since the link was opened."""
        c = self._decoder.counts
        return LinkStats(
            tx_frames=self._tx, rx_frames=self._rx, crc_errors=c[Verdict.CRC],
            framing_errors=c[Verdict.COBS] + c[Verdict.OVERSIZE] + c[Verdict.SHORT],
            header_errors=c[Verdict.VERSION] + c[Verdict.LENGTH] + c[Verdict.TYPE],
            payload_errors=self._payload_errors, sequence_gaps=self._tracker.gaps,
            duplicates=self._tracker.duplicates, retries=self._retries,
            inbox_dropped=self._dropped)

    def _until_answered(self, msg: Message, seq: int,
                        attempts_left: int) -> tuple[Message | None, int]:
        while attempts_left > 0:
            attempts_left -= 1
            self._send_frame(msg, seq)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                self._pump()
                answer = self._replies.pop(seq, None)
                if answer is not None and answer.acked_type == msg.TYPE:
                    return answer, attempts_left
            self._retries += 1
        return None, 0

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def _send_frame(self, msg: Message, seq: int) -> int:
        flags = FLAG_SYNC if (self._sync_next or msg.TYPE == MsgType.HELLO) else 0
        self._sync_next = False
        self._write(encode_frame(Frame(msg.TYPE, seq, pack_message(msg), flags)))
        self._tx += 1
        return seq

    def _write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"{self.url}: write failed: {exc}") from None

    def _pump(self) -> None:
        """Read what has arrived and file each new frame as a reply or a data message."""
        try:
            data = self._port.read(max(1, self._port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"{self.url}: read failed: {exc}") from None
        if data:
            self.last_rx = time.monotonic()
        for frame in self._decoder.feed(data):
            if self._tracker.classify(frame.seq, frame.sync) is not SeqClass.NEW:
                continue
            self._rx += 1
            try:
                msg = unpack_message(frame.type, frame.payload)
            except PayloadError:
                self._payload_errors += 1
                continue
            if isinstance(msg, (Ack, Nack)):
                self._replies[msg.acked_seq] = msg
            elif self._reply_type is not None and msg.TYPE == self._reply_type:
                self._reply_data = msg
            elif len(self._inbox) < INBOX_LIMIT:
                self._inbox.append(msg)
            else:
                self._dropped += 1
