"""Launch a gesture firmware and reach its serial link through a pyserial URL.

- ``qemu_m7``: QEMU with UART0 on a TCP socket (``-serial tcp:127.0.0.1:PORT,server=on,
  wait=off``); the host connects with ``socket://127.0.0.1:PORT``.
- ``host``: the native build, its stdin and stdout joined to one accepted TCP connection, so
  the host side is the same ``socket://`` code.

Every launch is bounded: the device process is killed when the context ends (or, on a
signal, by host/shutdown.py), and the link is retried for at most ``connect_s`` seconds.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from host.doctor import require
from host.link import Link, LinkError
from host.qemu import QEMU, qemu_command
from sdk.errors import ToolchainError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DeviceProcess:
    """A running device and the URL of its serial link; a context manager."""

    def __init__(self, argv: list[str], url: str, cwd: Path) -> None:
        self.argv = argv
        self.url = url
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        # Guards proc against a launch in start_native's thread racing stop().
        self._lock = threading.Lock()
        self._stopped = False
        self._thread: threading.Thread | None = None
        # Starts the device again on another port: set by start_qemu, whose port may be
        # taken by another process between choosing it and QEMU binding it.
        self._relaunch: Callable[[], None] | None = None

    def __enter__(self) -> DeviceProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Kill the device process (only the one this object started) and wait for it."""
        with self._lock:
            self._stopped = True
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            proc.wait(timeout=5)
            if proc.stderr is not None:
                proc.stderr.close()

    def launch(self, **popen_args: Any) -> None:
        """Start ``argv`` unless stop() came first (then nothing is started)."""
        with self._lock:
            if not self._stopped:
                self.proc = subprocess.Popen(self.argv, cwd=self.cwd, **popen_args)

    def connect(self, connect_s: float = 10.0, **link_args: Any) -> Link:
        """Open a Link, retrying while the device's socket is not listening yet."""
        deadline = time.monotonic() + connect_s
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                if "Address already in use" in err and self._relaunch is not None:
                    self._relaunch()
                    continue
                raise LinkError(f"{self.argv[0]} exited with status {self.proc.returncode} "
                                f"before its link opened: {err.strip()[:200]}")
            try:
                return Link(self.url, **link_args)
            except LinkError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def start_qemu(elf: Path, port: int | None = None, machine: str = "mps2-an500",
               cpu: str = "cortex-m7") -> DeviceProcess:
    """Start ``elf`` in QEMU (``machine``, ``cpu``) with UART0 listening on
    127.0.0.1:``port`` (a free one if None; should another process take that one first, QEMU
    is started again on a new one when the link connects)."""
    require(QEMU)
    base = qemu_command(Path(elf).resolve(), machine=machine, cpu=cpu)
    dev = DeviceProcess(base, "", Path(elf).parent)

    def launch(chosen: int | None) -> None:
        chosen = chosen or _free_port()
        argv = list(base)
        # qemu_command routes UART0 to null; the first -serial is UART0, so replace that one.
        argv[argv.index("-serial") + 1] = f"tcp:127.0.0.1:{chosen},server=on,wait=off"
        dev.argv, dev.url = argv, f"socket://127.0.0.1:{chosen}"
        dev.launch(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    launch(port)
    if port is None:
        dev._relaunch = lambda: launch(None)
    return dev


def start_native(elf: Path, accept_s: float = 10.0) -> DeviceProcess:
    """Start the host build of ``elf`` once a link connects to its TCP port; its stdin and
    stdout are that connection."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(accept_s)
    port = server.getsockname()[1]
    elf = Path(elf).resolve()
    dev = DeviceProcess([str(elf)], f"socket://127.0.0.1:{port}", elf.parent)

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        finally:
            server.close()
        with conn:
            dev.launch(stdin=conn.fileno(), stdout=conn.fileno(), stderr=subprocess.PIPE)

    dev._thread = threading.Thread(target=serve, daemon=True)
    dev._thread.start()
    return dev


def start_device(elf: Path, runner: str | None) -> DeviceProcess:
    """Start firmware ``elf`` with the board's runner ("qemu" or "native")."""
    if runner == "qemu":
        return start_qemu(elf)
    if runner == "native":
        return start_native(elf)
    raise ToolchainError(f"no emulator runs this board (runner {runner!r}); flash it and "
                         "pass --port with its serial device")
