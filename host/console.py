"""Shared console helpers: Rich output on stderr, one JSON object on stdout for ``--json``."""

from __future__ import annotations

import json
import sys

from rich.console import Console

# Human-readable output goes to stderr when --json is given, so stdout holds exactly one object.
# Piped output (CI logs, `| tee`) gets a wide page instead of Rich's 80-column default, so the
# profile tables stay one line per step.
_PIPED_WIDTH = 140
console = Console(width=None if sys.stdout.isatty() else _PIPED_WIDTH)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else _PIPED_WIDTH)


def human(json_mode: bool) -> Console:
    """The console for tables and progress: stderr in --json mode, else stdout."""
    return err_console if json_mode else console


def emit_json(obj: dict) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(obj, default=_default) + "\n")
    sys.stdout.flush()


def _default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
