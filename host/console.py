"""Shared console helpers: Rich output on stderr, one JSON object on stdout for ``--json``."""

from __future__ import annotations

import json
import math
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
    """Print exactly one strict JSON object on stdout.

    JSON has no NaN or infinity: a non-finite number (an SQNR of an exact layer, a figure that
    could not be measured) is printed as ``null``, as the README documents.
    """
    text = json.dumps(_finite(obj), allow_nan=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _finite(value):
    """``value`` with numpy types made plain and non-finite floats replaced by None."""
    import numpy as np

    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
