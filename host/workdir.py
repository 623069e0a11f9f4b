"""Work folders: each command invocation gets its own unless the user names one.

Two commands run at once in one checkout must never read each other's firmware or result
files, so a command without ``--out`` builds and runs in a fresh private folder under
``build/runs/`` (made with :func:`tempfile.mkdtemp`, so the name is unique even across
processes) and removes it when it ends, also on an error or a signal. A folder the user
names is used as is and kept.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
