"""Running the `tinyprune` CLI from tests as a user would, and checking its one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TINYPRUNE = [sys.executable, "-m", "host"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*TINYPRUNE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0]
