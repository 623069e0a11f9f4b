"""The cluster backend: a sweep's trials as Ray tasks, on a local Ray instance or a cluster.

Ray is the optional ``cluster`` extra (``pip install 'tinyprune[cluster]'``). Without an
address the backend starts a private local instance for the sweep (no dashboard, a small
object store) and stops it afterwards; with ``HOST:PORT`` (the head node's address printed by
``ray start --head``) or ``auto`` it joins a running cluster, whose nodes must have tinyprune
installed (the trial function travels by reference, its configuration by value). Every
result comes back to this process, which appends it to the sweep's one results store, so a
sweep resumes the same way on any backend.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType

from sdk.errors import TinypruneError, UnsupportedError
from sdk.sweep.executor import Outcome, TrialFn, guarded_trial

RAY_VERSION = "2.60.0"
OBJECT_STORE_BYTES = 80 * 1024 * 1024  # results are small dicts; Ray's floor is 75 MiB
CONNECT_SECONDS = 5.0
WAIT_SECONDS = 1.0  # ray.wait returns this often, so a signal handler can run
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def import_ray() -> ModuleType:
    """The ``ray`` module, or a one-line error naming the extra that installs it."""
    # Ray's core would install a crash reporter that prints a stack and aborts on SIGTERM,
    # in place of the caller's clean shutdown; it reads this switch when ray is imported.
    os.environ.setdefault("RAY_DISABLE_FAILURE_SIGNAL_HANDLER", "1")
    try:
        import ray
    except ImportError:
        raise UnsupportedError(f"--backend ray without Ray installed: pip install "
                               f"'tinyprune[cluster]' (ray=={RAY_VERSION})") from None
    return ray


def check_address(address: str) -> str:
    """``address`` if it is ``auto`` or a ``HOST:PORT`` where something accepts a connection
    within a few seconds; otherwise a one-line error (Ray itself would retry for minutes)."""
    if address == "auto":
        return address
    if address.startswith("ray://"):
        raise UnsupportedError(f"--address {address}: Ray Client addresses (ray://); give the "
                               "head node's HOST:PORT from `ray start --head`")
    host, sep, port_text = address.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise TinypruneError(f"--address {address!r}: expected HOST:PORT of a Ray head node "
                             "(from `ray start --head`) or auto")
    try:
        with socket.create_connection((host, int(port_text)), timeout=CONNECT_SECONDS):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise TinypruneError(f"--address {address}: no Ray head answers there ({reason}); start "
                             "one with `ray start --head` and give its HOST:PORT") from None
    return address


@dataclass(frozen=True)
class RayBackend:
    """Trials as Ray tasks of one CPU each, yielded as they finish. ``address`` None starts a
    local instance of ``num_cpus`` CPUs (all of this machine's by default) for the sweep;
    ``runtime_env`` is passed to ``ray.init`` (for example environment variables)."""

    address: str | None = None
    num_cpus: int | None = None
    runtime_env: dict | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        import_ray()
        if self.address is not None:
            check_address(self.address)

    def _connect(self, ray: ModuleType) -> bool:
        """Start or join Ray unless this process already did; True when this call started it."""
        if ray.is_initialized():
            return False
        options: dict = {"include_dashboard": False, "log_to_driver": False,
                         "logging_level": "ERROR", "runtime_env": self.runtime_env}
        if self.address is None:
            options.update(num_cpus=self.num_cpus or os.cpu_count() or 1,
                           object_store_memory=OBJECT_STORE_BYTES)
        # ray.init replaces SIGTERM's handler with one that exits: the caller's handlers (the
        # CLI's clean shutdown) are put back after init, and a SIGTERM that arrives during
        # init is handed to the caller's handler.
        handlers = {sig: signal.getsignal(sig) for sig in HANDLED_SIGNALS}
        try:
            ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local instance"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TinypruneError(f"--backend ray: cannot start or join Ray at {where}: "
                                 f"{first}") from None
        except SystemExit as exc:
            caller = handlers[signal.SIGTERM]
            if exc.code == signal.SIGTERM and callable(caller):
                caller(signal.SIGTERM, None)
            raise
        finally:
            if threading.current_thread() is threading.main_thread():
                for sig, handler in handlers.items():
                    if handler is not None:
                        signal.signal(sig, handler)
        return True

    def map(self, fn: TrialFn, configs: list[dict]) -> Iterator[Outcome]:
        """Run ``fn`` on every configuration as Ray tasks; outcomes in order of completion.
        Stopping early (an error, an interrupt) cancels the trials not yet finished."""
        if not configs:
            return
        ray = import_ray()
        started = self._connect(ray)
        task = ray.remote(num_cpus=1)(guarded_trial)
        fn_ref = ray.put(fn)
        pending = [task.remote(fn_ref, config) for config in configs]
        try:
            while pending:
                done, pending = _wait(ray, pending)
                if not done:
                    continue
                try:
                    outcome = ray.get(done[0])
                except ray.exceptions.RayTaskError as exc:
                    raise exc.as_instanceof_cause() from None
                yield outcome
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()


def _wait(ray: ModuleType, pending: list) -> tuple[list, list]:
    """``ray.wait`` for one finished trial, or none after :data:`WAIT_SECONDS`. A signal
    handler runs inside Ray's C++ wait, which hands its exception (the CLI's Interrupted, a
    KeyboardInterrupt) back wrapped in a SystemError: it is raised as itself."""
    try:
        return ray.wait(pending, num_returns=1, timeout=WAIT_SECONDS)
    except SystemError as exc:
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, Exception):
            raise cause from None
        raise
