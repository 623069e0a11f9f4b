"""Loading the MODEL argument of CLI commands."""

from __future__ import annotations

from pathlib import Path

from sdk.ir import Graph, load_model


def load_model_arg(path: str | Path) -> Graph:
    """Load a model file given on the command line (our .tpm format)."""
    return load_model(path)
