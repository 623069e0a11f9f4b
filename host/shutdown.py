"""Clean shutdown: SIGINT, SIGTERM and SIGHUP end a command with no process left behind.

The CLI entry installs one handler (:func:`install`) for the three signals. It kills every
descendant of this process first (compilers and their helpers, QEMU, mspdebug, native
firmware: whatever is running, found from the process table, so no launcher has to remember
to register), then raises :class:`Interrupted`, so ``finally`` blocks and context managers
unwind: links close, private work folders and temporary files are removed. The entry then
exits with 128 + the signal number (130, 143, 129).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """A shutdown signal arrived (a BaseException, so ``except Exception`` cannot swallow it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """The shell's convention: 128 + the signal number."""
        return 128 + self.signum


def _children_map() -> dict[int, list[int]]:
    """parent pid -> child pids, from /proc (Linux); empty where there is no /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name is in parentheses and may hold spaces: the ppid follows the last ')'.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int | None = None) -> list[int]:
    """Every live descendant of ``pid`` (this process by default), parents before children."""
    tree = _children_map()
    found: list[int] = []
    todo = [os.getpid() if pid is None else pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants() -> int:
    """SIGKILL every descendant of this process (parents first, so none starts a new child
    after its turn); returns how many were signalled."""
    killed = 0
    # Two passes: a parent may have forked between the scan and its kill.
    for _ in range(2):
        for pid in descendants():
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def _handle(signum: int, frame: FrameType | None) -> None:
    # Ignore repeats while unwinding: a second Ctrl-C must not interrupt the cleanup.
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    kill_descendants()
    raise Interrupted(signum)


def install() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to the shutdown handler (call once, in the main
    thread, from the CLI entry)."""
    for sig in SIGNALS:
        signal.signal(sig, _handle)
