"""The host end of the serial protocol (docs/protocol.md) over any pyserial URL.

``socket://127.0.0.1:PORT`` (the emulator) and ``/dev/ttyACM0`` (a board) are the same code.
Commands wait for their ACK and are re-sent with the same number on timeout (fast while the
line carries bytes, backing off while it is silent); data messages are delivered at most once,
with lost frames counted from the sequence numbers.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial

from sdk.errors import TinypruneError
from sdk.protocol.frame import (
    CRC_LEN,
    FLAG_SYNC,
    HEADER_LEN,
    Frame,
    MsgType,
    StreamDecoder,
    Verdict,
    encode_frame,
    is_answer,
    is_command,
)
from sdk.protocol.messages import (
    Ack,
    Message,
    Nack,
    Page,
    PayloadError,
    pack_message,
    unpack_message,
)
from sdk.protocol.sequence import SeqClass, SeqTracker

NACK_REASONS = {1: "bad payload", 2: "unsupported command", 3: "busy",
                4: "model or radar configuration mismatch"}
INBOX_LIMIT = 10_000
MAX_ANSWER_PAYLOAD = 80  # the longest answer to a command (STATS, 64 B) and its ACK's payload
ROUND_TRIP_MARGIN_S = 0.02  # the device's turnaround and the host's scheduling
QUIET_RETRIES = 6  # silent attempts retried at the short wait before backing off


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
    stale_answers: int


class Link:
    """A serial link to a tinyprune device; use as a context manager."""

    def __init__(self, url: str, *, baudrate: int = 115200, timeout: float = 0.5,
                 attempts: int = 6, budget_s: float = 10.0, port: Any = None) -> None:
        """Open ``url``, or use ``port``: an open port with pyserial's ``write``, ``read``,
        ``in_waiting`` and ``close`` (the MSP430 simulator's, host/msp430_stream.py), named
        ``url`` in messages."""
        self.url = url
        self.baudrate = baudrate
        self.timeout = timeout
        self.attempts = attempts
        self.budget_s = budget_s
        try:
            self._port = port if port is not None else serial.serial_for_url(
                url, baudrate=baudrate, timeout=0.02, write_timeout=5.0)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise LinkError(f"{url}: cannot open the port: {exc}") from None
        sock = getattr(self._port, "_socket", None)  # socket:// URLs (emulators, pipes)
        if sock is not None:
            # Frames are small and must leave at once, as on a UART: no Nagle delay (40 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._decoder = StreamDecoder()
        self._tracker = SeqTracker()
        self._inbox: deque[Message] = deque()
        self._replies: dict[int, Ack | Nack] = {}
        self._reply_type: int | None = None
        self._reply_data: Message | None = None
        self._accept: Callable[[Message], bool] | None = None
        self._seq = 0
        self._last_command: MsgType | None = None
        self._silent_left = self._sent_attempts = 0
        self._short = timeout
        self._quiet = 0  # consecutive attempts that heard nothing
        self._sync_next = True
        self._tx = self._rx = self._payload_errors = self._retries = self._dropped = self._stale = 0
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

    def command(self, msg: Message, reply: MsgType | None = None,
                budget_s: float | None = None,
                accept: Callable[[Message], bool] | None = None) -> Message | None:
        """Send a command until it is answered; return its ``reply`` message if asked.

        The answer is the command's ACK, or for a query the ``reply`` frame itself when the
        previous command was of another type, or when ``accept`` says the frame answers this
        command (a page at the offset asked for), so no stale answer can be taken for it.
        Retries follow :meth:`_wait_after`: fast while the line carries bytes (a noisy line:
        only a retry helps), backing off to ``timeout`` while it is silent. Raises LinkError
        naming the port after ``attempts`` silent attempts or ``budget_s`` seconds, or when
        the device answers NACK. ``budget_s`` overrides the link's budget for this command.
        """
        if not is_command(msg.TYPE):
            raise ValueError(f"{msg.TYPE.name} is not a command: use Link.send")
        start = time.monotonic()
        self._silent_left = self.attempts
        self._sent_attempts = 0
        own_reply = reply is not None and (accept is not None or self._last_command != msg.TYPE)
        self._last_command = msg.TYPE
        self._replies.clear()
        budget = self.budget_s if budget_s is None else budget_s
        while self._silent_left > 0 and time.monotonic() - start < budget:
            seq = self._next_seq()
            self._reply_type, self._reply_data, self._accept = reply, None, accept
            try:
                answer = self._until_answered(msg, seq, start + budget, own_reply)
            finally:
                self._reply_type = self._accept = None
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
            f"no answer from {self.url} to {msg.TYPE.name} after {self._sent_attempts} attempts "
            f"in {time.monotonic() - start:.1f} s: is the board running, and is it on "
            f"{self.url}?")

    def read_record(self, ask: Callable[[int], Message], reply: MsgType) -> bytes:
        """The bytes of a paged record (INFO for HELLO, STATS for GET_STATS): one command per
        page, ``ask(offset)``, each answered by the page at that offset."""
        data = b""
        total: int | None = None
        while total is None or len(data) < total:
            offset = len(data)

            def at_offset(msg: Message, offset: int = offset) -> bool:
                return isinstance(msg, Page) and msg.offset == offset

            page = self.command(ask(offset), reply, accept=at_offset)
            assert isinstance(page, Page)
            if total is not None and page.total != total:
                raise LinkError(f"{self.url}: the {reply.name} record changed size between "
                                f"pages ({total} -> {page.total} bytes)")
            total = page.total
            data += page.data
        return data

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
            inbox_dropped=self._dropped, stale_answers=self._stale)

    def _until_answered(self, msg: Message, seq: int, give_up: float,
                        own_reply: bool) -> Message | None:
        """Send ``msg`` as ``seq`` until its ACK/NACK (or its own reply) arrives; None when
        the silent attempts or the time budget are used up. A late answer to an earlier
        attempt counts: every attempt carries the same number."""
        self._short = self._round_trip(msg)
        self._quiet = 0
        wait = self._short if self._noisy() else self.timeout
        while self._silent_left > 0 and time.monotonic() < give_up:
            self._send_frame(msg, seq)
            self._sent_attempts += 1
            sent_at = time.monotonic()
            deadline = min(sent_at + wait, give_up)
            while time.monotonic() < deadline:
                self._pump()
                answer = self._replies.pop(seq, None)
                if answer is not None and answer.acked_type == msg.TYPE:
                    return answer
                if own_reply and self._reply_data is not None:
                    return Ack(seq, msg.TYPE)
            self._retries += 1
            wait = self._wait_after(wait, heard=self.last_rx > sent_at)
        return None

    def _noisy(self) -> bool:
        """True once the link has received a damaged frame: the line corrupts bytes."""
        c = self._decoder.counts
        return self._payload_errors > 0 or any(c[v] for v in Verdict if v is not Verdict.OK)

    def _round_trip(self, msg: Message) -> float:
        """One round trip of the command and the longest answer at the line's baud rate,
        plus a margin for the device's own latency."""
        frame_bits = 10 * (HEADER_LEN + CRC_LEN + 3) * 2
        bits = frame_bits + 10 * (len(pack_message(msg)) + MAX_ANSWER_PAYLOAD)
        return min(self.timeout, ROUND_TRIP_MARGIN_S + bits / self.baudrate)

    def _wait_after(self, wait: float, heard: bool) -> float:
        """The wait for the next attempt. On a line that has shown no damage every attempt
        waits ``timeout`` and spends one of the ``attempts``. On a damaged line: bytes arrived
        but no answer means the device is alive and its answer was corrupted, so retry soon
        (one round trip); nothing at all may be a corrupted command (at 5 % byte errors, 46
        in 100 HELLOs), so the first QUIET_RETRIES silent attempts keep the short wait, then
        the device may be busy or gone: back off (double, up to ``timeout``). Only silent
        attempts that waited the whole ``timeout`` spend one of the ``attempts``."""
        if not self._noisy():
            self._silent_left -= 1
            return self.timeout
        if heard:
            self._silent_left, self._quiet = self.attempts, 0
            return self._short
        self._quiet += 1
        if wait >= self.timeout:
            self._silent_left -= 1
        return max(wait, self._short) if self._quiet < QUIET_RETRIES \
            else min(2 * wait, self.timeout)

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
                if self._accept is None or self._accept(msg):
                    self._reply_data = msg
                else:  # a late answer to an earlier page
                    self._stale += 1
            elif is_answer(msg.TYPE):
                # The device answers every retry of a query; an answer that arrives after its
                # command completed is stale, never a data message.
                self._stale += 1
            elif len(self._inbox) < INBOX_LIMIT:
                self._inbox.append(msg)
            else:
                self._dropped += 1
