"""Work folders: each command invocation gets its own unless the user names one.

Two commands run at once in one checkout must never read each other's firmware or result
files, so a command without ``--out`` builds and runs in a fresh private folder under
``build/runs/`` (made with :func:`tempfile.mkdtemp`, so the name is unique even across
processes) and removes it when it ends, also on an error or a signal. A folder the user
names is used as is and kept.

``build``'s folder (``--out``, default ``build/MODEL-BOARD``) is the user's product, yet two
builds of one model and board may run at once: each builds in a private folder beside it and
publishes it whole by renaming (:func:`published_folder`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sdk.errors import TinypruneError

RUNS_DIR = Path("build") / "runs"


@contextmanager
def work_folder(out: str | Path | None, label: str) -> Iterator[Path]:
    """``out`` if given (created, kept), else a new private folder ``build/runs/LABEL-*``
    removed when the block exits however it exits."""
    if out is not None:
        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=RUNS_DIR))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# A folder `build` made: it may replace it without --force.
BUILD_MARKER = ".tinyprune-build"


def check_replaceable(out: Path, force: bool) -> None:
    """Refuse (one line) to replace an existing folder that is not empty and was not made by
    ``build``, unless ``force``; called before any work."""
    if out.is_dir() and not force and not (out / BUILD_MARKER).is_file() and any(out.iterdir()):
        raise TinypruneError(f"--out {out}: folder exists and was not made by `tinyprune build`; "
                             "pass --force to replace it")


@contextmanager
def published_folder(out: str | Path, force: bool = False) -> Iterator[Path]:
    """A private folder beside ``out`` to build in; when the block succeeds it replaces ``out``
    by renames, so ``out`` is always one whole build: two builds into the same folder at once
    never mix (the later publication wins whole). On an error or a signal the private folder
    is removed and ``out`` is left as it was."""
    out = Path(out)
    check_replaceable(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".tp-{out.name}-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    work.chmod(0o777 & ~umask)  # mkdtemp's 0700 would be published as the user's folder
    try:
        yield work
        (work / BUILD_MARKER).write_text("made by tinyprune build; replaced by the next build\n")
        _publish(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _publish(work: Path, out: Path) -> None:
    """Rename ``work`` to ``out``, moving an existing ``out`` aside first and removing it after.
    A directory cannot be renamed over a non-empty one, so the two renames are serialized with
    an exclusive lock on the parent folder (no lock file to leave behind)."""
    fd = os.open(out.parent, os.O_RDONLY)
    old = None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".tp-{out.name}-old-", dir=out.parent))
            os.rename(out, old / out.name)
        os.rename(work, out)
    finally:
        os.close(fd)  # releases the lock
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
