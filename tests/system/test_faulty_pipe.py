"""The faulty pipe itself: transparent and paced like a UART without faults, seeded and
counted with them, and it stops by itself."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from host.faulty_pipe import NO_FAULTS, Faults, FaultyPipe
from sdk.protocol.frame import Frame, MsgType, StreamDecoder, Verdict, encode_frame

pytestmark = pytest.mark.timeout(60)


class _Sink:
    """A TCP server on 127.0.0.1 that records what it receives."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.data = bytearray()
        self.closed_at: float | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.server.settimeout(10)
        conn, _ = self.server.accept()
        conn.settimeout(10)
        with conn:
            while chunk := conn.recv(4096):
                self.data += chunk
        self.closed_at = time.monotonic()
        self.server.close()


def _frames(n: int) -> bytes:
    return b"".join(encode_frame(Frame(MsgType.LOG, i, bytes([1]) + b"x" * 100)) for i in range(n))


def _through(pipe_kwargs: dict, payload: bytes) -> tuple[_Sink, FaultyPipe, float]:
    sink = _Sink()
    with FaultyPipe(("127.0.0.1", sink.port), **pipe_kwargs) as pipe:
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", pipe.port)) as client:
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            sink.thread.join(timeout=20)
        elapsed = time.monotonic() - start
    return sink, pipe, elapsed


def test_without_faults_it_is_transparent_and_paced_at_the_baud_rate():
    payload = _frames(50)  # 50 x 113 bytes = 5.6 kB: about 0.49 s at 11,520 B/s
    sink, pipe, elapsed = _through({"up": NO_FAULTS, "down": NO_FAULTS}, payload)
    assert bytes(sink.data) == payload
    assert len(payload) / 11520 * 0.9 < elapsed < len(payload) / 11520 + 1.0
    assert pipe.counts()["up"].frames == 50 and pipe.counts()["up"].corrupted_bytes == 0


def test_faults_are_seeded_and_counted():
    payload = _frames(200)
    faults = Faults(0.01, 0.05, 0.05, 0.05, 0.05)
    runs = [_through({"up": faults, "seed": 42, "baudrate": 10_000_000}, payload)
            for _ in range(2)]
    (sink_a, pipe_a, _), (sink_b, pipe_b, _) = runs
    assert sink_a.data == sink_b.data
    c = pipe_a.counts()["up"]
    assert c == pipe_b.counts()["up"]
    assert c.frames == 200 and c.bytes_out == len(sink_a.data)
    assert all(n > 0 for n in (c.corrupted_bytes, c.dropped_frames, c.duplicated_frames,
                               c.truncated_frames, c.garbage_bursts))
    # About 1 % of the bytes corrupted.
    assert 0.005 < c.corrupted_bytes / c.bytes_out < 0.02
    dec = StreamDecoder()
    got = dec.feed(bytes(sink_a.data))
    assert len(got) < 200 and dec.errors > 0 and dec.counts[Verdict.OK] == len(got)


def test_it_stops_by_itself():
    sink = _Sink()
    with FaultyPipe(("127.0.0.1", sink.port), max_seconds=1.0) as pipe:
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", pipe.port)) as client:
            client.settimeout(5)
            assert client.recv(10) == b""  # the pipe hangs up when its time is over
        assert 0.8 < time.monotonic() - start < 3.0
