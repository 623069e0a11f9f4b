"""``tinyprune prune MODEL``: prune one model file."""

from __future__ import annotations

from pathlib import Path

from sdk.errors import TinypruneError


def prune_file(model: str, method: str, amount: float | None, target_macs: int | None,
               data: str | None, epochs: int, seed: int, out: Path) -> dict:
    """Prune the model in file ``model`` and save it to ``out``; returns the report."""
    raise TinypruneError("not yet")
