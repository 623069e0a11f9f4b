"""A device on 127.0.0.1 that speaks the protocol with the Python codec, for host link tests.

It answers like the firmware's application loop: HELLO and GET_STATS with a page of the INFO
or STATS record (STATS from the snapshot its offset-0 page took), a host-fed SWEEP with
a RESULT computed from the sweep's samples (so a corrupted sweep or result is detectable),
CAPTURE_START with a stream of its own sweeps; retried commands are executed once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter

from sdk.protocol.frame import FLAG_SYNC, Frame, MsgType, StreamDecoder, encode_frame, is_command
from sdk.protocol.messages import (
    PAGE_BYTES,
    Ack,
    CaptureStart,
    GetProfile,
    GetStats,
    Hello,
    InfoPage,
    Message,
    Nack,
    NackReason,
    PayloadError,
    Profile,
    Result,
    StatsPage,
    Sweep,
    pack_message,
    unpack_message,
)
from sdk.protocol.records import Info, Stats
from sdk.protocol.sequence import CommandFilter, SeqClass, SeqTracker

N_CLASSES = 4
PROFILE_STEPS = (1_000_000, 5_000_000, 3_000_000)


def expected_result(sweep: Sweep) -> tuple[int, tuple[int, ...]]:
    """The frame class and scores the peer reports for ``sweep``."""
    scores = tuple(((sum(sweep.iq[k::N_CLASSES]) + 37 * k) % 201) - 100 for k in range(N_CLASSES))
    return sweep.sweep_index % N_CLASSES, scores


def captured_sweep(index: int) -> Sweep:
    """The peer's own sensor sweep number ``index``."""
    return Sweep(index, tuple(((index * 31 + k * 7) % 4001) - 2000 for k in range(60)))


class ProtocolPeer:
    """Serves one connection on 127.0.0.1 until stopped or ``max_seconds`` have passed."""

    def __init__(self, *, capture_hz: float = 50.0, max_seconds: float = 60.0,
                 silent: bool = False) -> None:
        self.capture_hz = capture_hz
        self.max_seconds = max_seconds
        self.silent = silent  # accept and read, never answer: a board that is not running
        self.executions: Counter[tuple[int, int]] = Counter()
        self.tx_frames = 0
        self._stats: bytes | None = None  # the STATS record of the last GET_STATS at offset 0
        self.rx_new = 0  # frames accepted as new by the sequence tracker
        self.tracker = SeqTracker()
        self.decoder = StreamDecoder()
        self._filter = CommandFilter()
        self._seq = 0
        self._capturing = False
        self._capture_left = 0  # 0 while capturing: until CAPTURE_STOP
        self._capture_index = 0
        self._next_capture = 0.0
        self._last_sweep = 0
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ProtocolPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=3.0)
        self._server.close()

    @property
    def capturing(self) -> bool:
        """True while a capture has sweeps left to send."""
        return self._capturing

    def _serve(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        conn = None
        while conn is None and not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
        if conn is None:
            return
        conn.settimeout(0.01)
        with conn:
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    data = conn.recv(4096)
                    if not data:
                        return
                except TimeoutError:
                    data = b""
                except OSError:
                    return
                out = bytearray()
                for frame in self.decoder.feed(data):
                    out += self._handle(frame)
                out += self._capture_due()
                if out and not self.silent:
                    try:
                        conn.sendall(out)
                    except OSError:
                        return

    def _send(self, msg: Message) -> bytes:
        self._seq = (self._seq + 1) & 0xFFFF
        flags = FLAG_SYNC if (self.tx_frames == 0 or msg.TYPE == MsgType.INFO) else 0
        self.tx_frames += 1
        return encode_frame(Frame(msg.TYPE, self._seq, pack_message(msg), flags))

    def _handle(self, frame: Frame) -> bytes:
        seen = self.tracker.classify(frame.seq, frame.sync)
        self.rx_new += seen is SeqClass.NEW
        if not is_command(frame.type):
            if seen is not SeqClass.NEW:
                return b""
            try:
                msg = unpack_message(frame.type, frame.payload)
            except PayloadError:
                return b""
            if isinstance(msg, Sweep):
                self._last_sweep = msg.sweep_index
                cls, scores = expected_result(msg)
                return self._send(Result(msg.sweep_index, cls, 0xFF, 0, 1000 + msg.sweep_index,
                                         scores))
            return b""
        if self._filter.is_retry(frame.seq, frame.type):
            data, _ = self._answer(frame, execute=False)
            return data + self._send(self._filter.reply)
        self.executions[(frame.seq, frame.type)] += 1
        data, refusal = self._answer(frame, execute=True)
        reply = Ack(frame.seq, frame.type) if refusal is None else Nack(frame.seq, frame.type,
                                                                         refusal)
        self._filter.executed(frame.seq, frame.type, reply)
        return data + self._send(reply)

    def _answer(self, frame: Frame, execute: bool) -> tuple[bytes, int | None]:
        """The data a command answers with and a NACK reason if refused; state changes only
        when ``execute``."""
        try:
            msg = unpack_message(frame.type, frame.payload)
        except PayloadError:
            return b"", NackReason.BAD_PAYLOAD
        if isinstance(msg, (Hello, GetStats)):
            return self._page(msg, execute)
        return self._query(msg), self._act(msg) if execute else None

    def _page(self, msg: Hello | GetStats, execute: bool) -> tuple[bytes, int | None]:
        if isinstance(msg, Hello):
            record = Info(2, 0, 1, 0, 216_000_000, 0, 12_000_000, bytes(range(8)), N_CLASSES,
                          200, 20690, 30, 18000, 20, 1234, 567, 0b011, "python-peer").pack()
        else:
            if (execute and msg.offset == 0) or self._stats is None:
                c = self.decoder.counts
                self._stats = Stats(rx_frames=c[0], tx_frames=self.tx_frames + 1,
                                    seq_gaps=self.tracker.gaps,
                                    duplicates=self.tracker.duplicates).pack()
            record = self._stats
        if msg.offset >= len(record):
            return b"", NackReason.BAD_PAYLOAD
        page = InfoPage if isinstance(msg, Hello) else StatsPage
        data = record[msg.offset:msg.offset + PAGE_BYTES]
        return self._send(page(msg.offset, len(record), data)), None

    def _query(self, msg: Message) -> bytes:
        if isinstance(msg, GetProfile):  # pages of 2 steps, as the firmware sends them
            steps = PROFILE_STEPS[msg.first_step:msg.first_step + 2]
            return self._send(Profile(self._last_sweep, 0, 27_000, 9_000_000,
                                      len(PROFILE_STEPS), msg.first_step, steps))
        return b""

    def _act(self, msg: Message) -> int | None:
        if isinstance(msg, CaptureStart):
            if self._capturing:
                return NackReason.BUSY
            self._capturing, self._capture_left = True, msg.n_sweeps
            self._next_capture = time.monotonic()
        if msg.TYPE == MsgType.CAPTURE_STOP:
            self._capturing = False
        return None

    def _capture_due(self) -> bytes:
        out = bytearray()
        while self._capturing and time.monotonic() >= self._next_capture:
            out += self._send(captured_sweep(self._capture_index))
            self._capture_index += 1
            self._next_capture += 1.0 / self.capture_hz
            if self._capture_left:
                self._capture_left -= 1
                self._capturing = self._capture_left > 0
        return bytes(out)
