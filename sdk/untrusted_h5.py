"""Reading untrusted HDF5 files in a child process with a CPU-time and a memory limit.

libhdf5 can spin for minutes on a corrupt global heap, in C code no Python signal handler can
interrupt (docs/reliability.md F1), and can allocate gigabytes for a corrupt chunk of a 15 kB
file (F2). Neither can be stopped inside the process that runs libhdf5, so every reader of a
file the user hands us (recordings, datasets) is decorated with :func:`isolated`: the reader
runs in a forked child whose address space is limited (``RLIMIT_AS``), its result (numpy
arrays and all) comes back pickled through a pipe, and a child that spins past its CPU time
(``RLIMIT_CPU``) dies of SIGXCPU. The limit is CPU time, not wall time, so a valid read on a
loaded machine is never mistaken for a hang; a wall-clock backstop of ``WALL_FACTOR`` times
the limit ends a child that blocks without spinning. Fork, not spawn: the child shares the
parent's imported modules, so a normal read costs one fork (a few milliseconds) instead of a
new interpreter.

The child is a plain descendant of the CLI process, so host/shutdown.py's handler kills it on
SIGINT, SIGTERM and SIGHUP; the child restores the default signal actions, so a Ctrl-C sent to
the whole process group ends it too.
"""

from __future__ import annotations

import faulthandler
import functools
import math
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sdk.errors import DataFileError, TinypruneError

T = TypeVar("T")

# Limits grow with the file: reading is linear in its size, and a Record's arrays are stored
# uncompressed, so a valid file never needs much more memory than a few times its size.
BASE_SECONDS = 10.0
SECONDS_PER_MB = 0.5
WALL_FACTOR = 10.0
BASE_MEMORY_MB = 512
MEMORY_PER_FILE_MB = 6


class IsolatedReadError(DataFileError):
    """The child reading an HDF5 file took longer or needed more memory than a valid file of
    its size needs, or died (libhdf5 can crash on a corrupt file: docs/reliability.md F3)."""


# True in the child: a nested isolated read runs there directly, since a grandchild could not
# raise the address-space limit its parent already lowered.
_in_child = False


def limits(path: Path) -> tuple[float, int]:
    """(CPU seconds, megabytes of new address space) allowed for reading ``path``."""
    size_mb = path.stat().st_size / 2**20 if path.is_file() else 0.0
    return BASE_SECONDS + SECONDS_PER_MB * size_mb, int(BASE_MEMORY_MB + MEMORY_PER_FILE_MB * size_mb)


def _address_space_bytes() -> int | None:
    """This process's current virtual size (the child starts with the parent's); None where
    there is no /proc (macOS, which does not enforce RLIMIT_AS either)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def _child(write_fd: int, seconds: float, memory_mb: int, call: Callable[[], Any]) -> None:
    """Run ``call`` and send ("ok", result) or ("error", exception) to ``write_fd``; never returns."""
    global _in_child
    _in_child = True
    status = 0
    try:
        faulthandler.disable()  # a crash is the parent's one-line error, not a dump on stderr
        # Shutdown signals end the child at once; a crash inside libhdf5 ends it by its signal,
        # which the parent reports (not a handler inherited from the parent, like a fuzzer's).
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGSEGV, signal.SIGBUS,
                    signal.SIGFPE, signal.SIGILL, signal.SIGABRT, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        cpu = math.ceil(seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        size = _address_space_bytes()
        if size is not None:
            limit = size + memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            outcome: tuple[str, Any] = ("ok", call())
        except MemoryError:
            outcome = ("memory", None)
        except TinypruneError as exc:
            # Class and text: pickling the object would call __init__ with its message again
            # (UnsupportedError would say "not supported: not supported: ...").
            outcome = ("ours", (type(exc), str(exc)))
        except Exception as exc:  # sent to the parent, which raises it there
            outcome = ("error", exc)
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", None))
        except Exception:  # an exception object that does not pickle: keep its text
            value = outcome[1]
            payload = pickle.dumps(("error", RuntimeError(f"{type(value).__name__}: {value}")))
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:
        status = 1
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _receive(read_fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe, or None at the deadline."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read_fd], [], [], left)[0]:
            return None
        chunk = os.read(read_fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_isolated(reader: Callable[..., T], path: str | Path, *args: Any,
                 seconds: float | None = None, memory_mb: int | None = None, **kwargs: Any) -> T:
    """``reader(path, *args, **kwargs)`` in a child process within the limits (by default
    :func:`limits` of the file: ``seconds`` of CPU time, rounded up to whole seconds, and
    ``memory_mb``); a child that exceeds them becomes one :class:`IsolatedReadError` line naming
    the file, and the reader's own errors are raised here as they were raised there."""
    default_seconds, default_mb = limits(Path(path))
    seconds = default_seconds if seconds is None else seconds
    memory_mb = default_mb if memory_mb is None else memory_mb
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(write_fd, seconds, memory_mb, lambda: reader(path, *args, **kwargs))
    os.close(write_fd)
    alive = True
    try:
        wall = WALL_FACTOR * math.ceil(seconds)
        payload = _receive(read_fd, time.monotonic() + wall)
        if payload is None:
            raise IsolatedReadError(f"{path}: no answer after {wall:g} s: corrupt HDF5?")
        _, status = os.waitpid(pid, 0)
        alive = False
        if not payload and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
            raise IsolatedReadError(f"{path}: took more than {math.ceil(seconds)} s of CPU time "
                                    "to read: corrupt HDF5?")
        if not payload:
            how = (f"signal {signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status)
                   else f"status {os.waitstatus_to_exitcode(status)}")
            raise IsolatedReadError(f"{path}: the HDF5 reader died ({how}) without an answer: "
                                    "corrupt HDF5?")
        kind, value = pickle.loads(payload)
    finally:
        os.close(read_fd)
        if alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # already reaped
    if kind == "memory" or (kind == "ours" and "memory allocation failed" in value[1]):
        # libhdf5 reports a refused allocation as an ordinary read error; either way the file
        # asked for more than a valid one of its size needs.
        raise IsolatedReadError(f"{path}: needed more than {memory_mb} MB to read: corrupt HDF5?")
    if kind == "ours":
        cls, text = value
        exc = cls.__new__(cls)
        exc.args = (text,)
        raise exc
    if kind == "error":
        raise value
    return value


def isolated(reader: Callable[..., T]) -> Callable[..., T]:
    """Decorator: the reader (whose first argument is the file's path) runs in
    :func:`run_isolated`; the undecorated reader stays reachable as ``__wrapped__``."""
    @functools.wraps(reader)
    def run(path: str | Path, *args: Any, **kwargs: Any) -> T:
        if _in_child:  # one isolated reader calling another: already within the limits
            return reader(path, *args, **kwargs)
        return run_isolated(reader, path, *args, **kwargs)
    return run
