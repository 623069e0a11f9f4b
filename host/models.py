"""Loading the MODEL argument of CLI commands."""

from __future__ import annotations

from pathlib import Path

from sdk.frontends.load import load_any
from sdk.ir import Graph


def load_model_arg(path: str | Path) -> Graph:
    """Load a model file given on the command line: our .tpm or a .tflite flatbuffer."""
    return load_any(path)
