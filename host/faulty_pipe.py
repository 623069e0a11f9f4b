"""A TCP proxy on 127.0.0.1 that behaves like a bad serial line, for tests and link debugging.

Each direction is limited to the byte rate of a UART (115200 baud 8N1: 11,520 B/s) and gets
seeded faults: corrupted bytes, bursts of random bytes, truncated, dropped and duplicated
frames (frames are found at their 0x00 delimiters). Every fault is counted. The pipe serves
one connection and stops by itself after ``max_seconds``.

    python -m host.faulty_pipe --target 127.0.0.1:5555 --listen 127.0.0.1:5556 --seed 1
"""

from __future__ import annotations

import argparse
import random
import socket
import threading
import time
from dataclasses import dataclass, field

MAX_PENDING = 4096  # bytes held while waiting for a delimiter before passing them on as is


@dataclass(frozen=True)
class Faults:
    """Fault probabilities: per byte for ``byte_error_rate``, per frame for the others."""

    byte_error_rate: float = 0.01
    drop_rate: float = 0.02
    duplicate_rate: float = 0.02
    truncate_rate: float = 0.02
    garbage_rate: float = 0.02
    garbage_max: int = 32


NO_FAULTS = Faults(0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass
class FaultCounts:
    """What one direction of the pipe carried and what it did to it."""

    frames: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    corrupted_bytes: int = 0
    dropped_frames: int = 0
    duplicated_frames: int = 0
    truncated_frames: int = 0
    garbage_bursts: int = 0


@dataclass
class _Direction:
    name: str
    faults: Faults
    rng: random.Random
    counts: FaultCounts = field(default_factory=FaultCounts)
    pending: bytearray = field(default_factory=bytearray)


class FaultyPipe:
    """Proxy from a listening port on 127.0.0.1 to ``target``; use as a context manager.

    ``up`` is client to target (host to device), ``down`` the other way.
    """

    def __init__(self, target: tuple[str, int], *, listen_port: int = 0, baudrate: int = 115200,
                 up: Faults = Faults(), down: Faults = Faults(), seed: int = 0,
                 max_seconds: float = 60.0) -> None:
        self.target = target
        self.bytes_per_second = baudrate / 10.0  # 8N1: start + 8 data + stop bits
        self.max_seconds = max_seconds
        self.up = _Direction("up", up, random.Random(seed * 2 + 1))
        self.down = _Direction("down", down, random.Random(seed * 2 + 2))
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", listen_port))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []

    def __enter__(self) -> FaultyPipe:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start serving in background threads."""
        thread = threading.Thread(target=self._serve, name="faulty-pipe", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Stop, close every socket and wait (bounded) for the threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2.0)
        for sock in self._socks:
            sock.close()
        self._server.close()

    def wait(self, timeout: float) -> None:
        """Block until the connection has ended or ``timeout`` has passed."""
        for thread in self._threads:
            thread.join(timeout)

    def counts(self) -> dict[str, FaultCounts]:
        """Counters per direction."""
        return {"up": self.up.counts, "down": self.down.counts}

    def _serve(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        client = None
        while client is None and not self._stop.is_set() and time.monotonic() < deadline:
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
        if client is None:
            return
        try:
            device = socket.create_connection(self.target, timeout=2.0)
        except OSError:
            client.close()
            return
        for sock in (client, device):
            # A UART sends each byte at once: no Nagle delay (40 ms) on small frames.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socks += [client, device]
        pumps = [threading.Thread(target=self._pump, args=(client, device, self.up, deadline),
                                  daemon=True),
                 threading.Thread(target=self._pump, args=(device, client, self.down, deadline),
                                  daemon=True)]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join(timeout=self.max_seconds + 2.0)

    def _pump(self, src: socket.socket, dst: socket.socket, d: _Direction,
              deadline: float) -> None:
        src.settimeout(0.05)
        next_send = time.monotonic()
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                data = src.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            d.counts.bytes_in += len(data)
            out = self._mangle(d, data)
            for i in range(0, len(out), 64):
                chunk = out[i:i + 64]
                # Pace like a UART: the chunk leaves no earlier than the line allows.
                next_send = max(next_send, time.monotonic()) + len(chunk) / self.bytes_per_second
                delay = next_send - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                try:
                    dst.sendall(chunk)
                except OSError:
                    return
                d.counts.bytes_out += len(chunk)
        # One side hung up or time ran out: hang up the other so nobody waits for us.
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _mangle(self, d: _Direction, data: bytes) -> bytes:
        """Apply frame faults to each completed frame, then byte corruption."""
        d.pending += data
        out = bytearray()
        while True:
            end = d.pending.find(b"\x00")
            if end < 0:
                if len(d.pending) > MAX_PENDING:
                    out += d.pending
                    d.pending.clear()
                break
            frame = bytes(d.pending[:end + 1])
            del d.pending[:end + 1]
            out += self._frame_faults(d, frame)
        f, rng = d.faults, d.rng
        for i in range(len(out)):
            if f.byte_error_rate and rng.random() < f.byte_error_rate:
                out[i] = (out[i] + rng.randrange(1, 256)) & 0xFF
                d.counts.corrupted_bytes += 1
        return bytes(out)

    def _frame_faults(self, d: _Direction, frame: bytes) -> bytes:
        f, rng, c = d.faults, d.rng, d.counts
        c.frames += 1
        prefix = b""
        if f.garbage_rate and rng.random() < f.garbage_rate:
            prefix = bytes(rng.randrange(256) for _ in range(rng.randint(1, f.garbage_max)))
            c.garbage_bursts += 1
        if f.drop_rate and rng.random() < f.drop_rate:
            c.dropped_frames += 1
            return prefix
        if len(frame) > 2 and f.truncate_rate and rng.random() < f.truncate_rate:
            # Bytes lost from the middle of the frame; its delimiter survives.
            cut = rng.randint(1, len(frame) - 2)
            start = rng.randint(0, len(frame) - 1 - cut)
            frame = frame[:start] + frame[start + cut:]
            c.truncated_frames += 1
        if f.duplicate_rate and rng.random() < f.duplicate_rate:
            c.duplicated_frames += 1
            return prefix + frame + frame
        return prefix + frame


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if host not in ("127.0.0.1", "localhost") or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected 127.0.0.1:PORT, got {text!r}")
    return "127.0.0.1", int(port)


def main() -> None:
    """Command line: run a pipe until its time is up and print what it injected."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=_address, required=True, help="127.0.0.1:PORT of the device")
    parser.add_argument("--listen", type=_address, default=("127.0.0.1", 0),
                        help="127.0.0.1:PORT to listen on (default: any free port)")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=300.0, help="stop after this long")
    parser.add_argument("--byte-error-rate", type=float, default=0.01)
    parser.add_argument("--frame-fault-rate", type=float, default=0.02,
                        help="probability of each frame fault (drop, duplicate, truncate, garbage)")
    args = parser.parse_args()
    r = args.frame_fault_rate
    faults = Faults(args.byte_error_rate, r, r, r, r)
    pipe = FaultyPipe(args.target, listen_port=args.listen[1], baudrate=args.baud, up=faults,
                      down=faults, seed=args.seed, max_seconds=args.seconds)
    print(f"faulty pipe: 127.0.0.1:{pipe.port} -> {args.target[0]}:{args.target[1]} "
          f"for {args.seconds:.0f} s (Ctrl-C stops)")
    with pipe:
        try:
            pipe.wait(args.seconds + 5.0)
        except KeyboardInterrupt:
            pass
    for name, counts in pipe.counts().items():
        print(f"{name}: {counts}")


if __name__ == "__main__":
    main()
