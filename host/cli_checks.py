"""Typer callbacks that check options before any work starts.

Each raises a one-line :class:`TinypruneError` naming the option, what it got and what it
expects, so the CLI's error path prints ``error: ...`` and exits 1 (not Click's usage error).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from sdk.errors import TinypruneError


def _name(param: typer.CallbackParam) -> str:
    return param.opts[0] if param.opts else str(param.name)


def positive_int(ctx: typer.Context, param: typer.CallbackParam, value: int | None) -> int | None:
    """A count that must be at least 1."""
    if value is not None and value < 1:
        raise TinypruneError(f"{_name(param)} {value}: expected an integer >= 1")
    return value


def non_negative_int(ctx: typer.Context, param: typer.CallbackParam,
                     value: int | None) -> int | None:
    """An index or seed that must be at least 0."""
    if value is not None and value < 0:
        raise TinypruneError(f"{_name(param)} {value}: expected an integer >= 0")
    return value


def positive_float(ctx: typer.Context, param: typer.CallbackParam,
                   value: float | None) -> float | None:
    """A duration or rate: finite and above 0."""
    if value is not None and (not math.isfinite(value) or value <= 0):
        raise TinypruneError(f"{_name(param)} {value}: expected a finite number > 0")
    return value


def probability(ctx: typer.Context, param: typer.CallbackParam,
                value: float | None) -> float | None:
    """A probability, such as a bit error rate: in [0, 1]."""
    if value is not None and not 0.0 <= value <= 1.0:
        raise TinypruneError(f"{_name(param)} {value}: expected a probability in [0, 1]")
    return value


def percentile_range(ctx: typer.Context, param: typer.CallbackParam,
               value: float | None) -> float | None:
    """A percentile in (0, 100]."""
    if value is not None and (not math.isfinite(value) or not 0 < value <= 100):
        raise TinypruneError(f"{_name(param)} {value}: expected a percentile in (0, 100]")
    return value


def out_file(ctx: typer.Context, param: typer.CallbackParam, value):
    """An output file: not a folder, in a folder that exists (``--force`` is checked by the
    command, which knows whether it replaces files)."""
    if value is None:
        return value
    path = Path(value)
    if path.is_dir():
        raise TinypruneError(f"{_name(param)} {value}: is a folder, expected a file name")
    if not path.parent.is_dir():
        raise TinypruneError(f"{_name(param)} {value}: folder {path.parent} does not exist")
    return value


def out_folder(ctx: typer.Context, param: typer.CallbackParam, value):
    """An output folder: not an existing file, its parent folder existing (unless it is the
    option's default, under tinyprune's own build/ folder, which the command creates)."""
    if value is None:
        return value
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise TinypruneError(f"{_name(param)} {value}: is a file, expected a folder")
    if not path.exists() and not path.parent.is_dir() and value != param.default:
        raise TinypruneError(f"{_name(param)} {value}: folder {path.parent} does not exist")
    return value


def dataset_or_mnist(ctx: typer.Context, param: typer.CallbackParam,
                     value: str | None) -> str | None:
    """A dataset file from ``tinyprune data synth``, or ``mnist`` for the shared digits."""
    if value is not None and value != "mnist" and not Path(value).is_file():
        raise TinypruneError(f"{_name(param)} {value}: no such dataset file (a file from "
                             "`tinyprune data synth`, or `mnist` for the shared digits)")
    return value


def existing_file(ctx: typer.Context, param: typer.CallbackParam, value):
    """A file to read: it must exist and be a file."""
    if value is None:
        return value
    path = Path(value)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "no such file"
        raise TinypruneError(f"{_name(param) if param.opts else 'file'} {value}: {what}")
    return value
