"""Atomic file writes: every file tinyprune writes appears whole or not at all.

A writer gets a temporary path in the target's folder (so the final rename stays on one file
system); the temporary file replaces the target only when the writer returns, and is removed
when it raises or is interrupted (KeyboardInterrupt, SystemExit included).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sdk.errors import TinypruneError

TMP_PREFIX = ".tp-"
TMP_SUFFIX = ".tmp"


def check_target(path: str | Path, force: bool = True, what: str = "--out") -> Path:
    """Refuse an output path that cannot be written: a folder, a missing parent folder, or an
    existing file when ``force`` is False."""
    path = Path(path)
    if path.is_dir():
        raise TinypruneError(f"{what} {path}: is a folder, expected a file name")
    parent = path.parent
    if not parent.is_dir():
        raise TinypruneError(f"{what} {path}: folder {parent} does not exist")
    if path.exists() and not force:
        raise TinypruneError(f"{path}: exists (pass --force to replace it)")
    return path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, otherwise it is
    removed. The temporary name keeps ``path``'s suffix, for writers that look at it."""
    path = Path(path)
    check_target(path, force=True, what="output")
    fd, name = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", suffix=TMP_SUFFIX + path.suffix,
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
