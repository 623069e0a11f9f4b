"""Open any model file tinyprune reads: our ``.tpm`` or a TFLite ``.tflite`` flatbuffer."""

from __future__ import annotations

from pathlib import Path

from sdk.errors import ModelFileError
from sdk.ir import Graph, load_model

MODEL_SUFFIXES = (".tpm", ".tflite")


def load_any(path: str | Path) -> Graph:
    """Load ``path`` as an IR graph, choosing the reader by its suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".tflite":
        from sdk.frontends.tflite import load_tflite  # needs the 'interop' extra

        return load_tflite(path)
    if suffix == ".tpm":
        return load_model(path)
    raise ModelFileError(f"{path}: unknown model format {suffix or '(no suffix)'!r}; "
                         f"expected one of {', '.join(MODEL_SUFFIXES)}")
