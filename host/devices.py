"""Launch a gesture firmware and reach its serial link through a pyserial URL.

- ``qemu_m7``: QEMU with UART0 on a TCP socket (``-serial tcp:127.0.0.1:PORT,server=on,
  wait=off``); the host connects with ``socket://127.0.0.1:PORT``.
- ``host``: the native build, its stdin and stdout joined to one accepted TCP connection, so
  the host side is the same ``socket://`` code.

Every launch is bounded: the device process is killed when the context ends, and the link is
retried for at most ``connect_s`` seconds.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
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

    def __enter__(self) -> DeviceProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Kill the device process (only the one this object started)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def connect(self, connect_s: float = 10.0, **link_args: Any) -> Link:
        """Open a Link, retrying while the device's socket is not listening yet."""
        deadline = time.monotonic() + connect_s
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise LinkError(f"{self.argv[0]} exited with status {self.proc.returncode} "
                                f"before its link opened: {err.strip()[:200]}")
            try:
                return Link(self.url, **link_args)
            except LinkError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def start_qemu(elf: Path, port: int | None = None) -> DeviceProcess:
    """Start ``elf`` in QEMU with UART0 listening on 127.0.0.1:``port`` (a free one if None)."""
    require(QEMU)
    port = port or _free_port()
    argv = qemu_command(Path(elf).resolve())
    # qemu_command routes UART0 to null; the first -serial is UART0, so replace that one.
    argv[argv.index("-serial") + 1] = f"tcp:127.0.0.1:{port},server=on,wait=off"
    dev = DeviceProcess(argv, f"socket://127.0.0.1:{port}", Path(elf).parent)
    dev.proc = subprocess.Popen(argv, cwd=dev.cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
            dev.proc = subprocess.Popen([str(elf)], cwd=dev.cwd, stdin=conn.fileno(),
                                        stdout=conn.fileno(), stderr=subprocess.PIPE)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    dev._thread = thread  # type: ignore[attr-defined]
    return dev


def start_device(elf: Path, runner: str | None) -> DeviceProcess:
    """Start firmware ``elf`` with the board's runner ("qemu" or "native")."""
    if runner == "qemu":
        return start_qemu(elf)
    if runner == "native":
        return start_native(elf)
    raise ToolchainError(f"no emulator runs this board (runner {runner!r}); flash it and "
                         "pass --port with its serial device")
