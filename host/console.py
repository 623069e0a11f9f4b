"""Shared console helpers: Rich output on stderr, one JSON object on stdout for ``--json``."""

from __future__ import annotations

import json
import sys

from rich.console import Console

# Human-readable output goes to stderr when --json is given, so stdout holds exactly one object.
console = Console()
err_console = Console(stderr=True)


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
