"""Run a batch-1 IR graph on many samples at once with the numpy reference executors.

IR graphs are built for one sample (batch 1, as the device runs them). For calibration and
accuracy the executors are far faster on a batch, so :func:`with_batch` makes a copy whose
activations carry a leading batch of ``n``; :func:`run_in_chunks` feeds a data set through it
chunk by chunk with a Rich progress bar on stderr.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir import Graph

Executor = Callable[..., dict[str, np.ndarray]]


def with_batch(graph: Graph, n: int) -> Graph:
    """A copy of ``graph`` whose every activation has a leading batch dimension of ``n``.

    Every non-constant tensor must have batch 1 as its first dimension (Reshape targets too).
    """
    g = copy.deepcopy(graph)
    for t in g.tensors.values():
        if t.is_constant:
            continue
        if not t.shape or t.shape[0] != 1:
            raise UnsupportedError(f"batched evaluation of tensor {t.name!r} with shape "
                                   f"{list(t.shape)} (the first dimension must be the batch, 1)")
        t.shape = (n, *t.shape[1:])
    for op in g.ops:
        if op.type == "Reshape":
            op.attrs["shape"] = [n, *list(op.attrs["shape"])[1:]]
    return g


def check_samples(graph: Graph, x: np.ndarray, what: str) -> np.ndarray:
    """``x`` as ``[N, *input_shape[1:]]``; raises a one-line ShapeError naming ``what``."""
    if len(graph.inputs) != 1:
        raise UnsupportedError(f"model {graph.name!r} with {len(graph.inputs)} inputs (one only)")
    expected = graph.tensors[graph.inputs[0]].shape[1:]
    x = np.asarray(x)
    if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != tuple(expected) or len(x) == 0:
        raise ShapeError(f"{what}: expected samples of shape [N, {', '.join(map(str, expected))}]"
                         f" for model input {graph.inputs[0]!r}, got {list(x.shape)}")
    return x


def run_in_chunks(graph: Graph, x: np.ndarray, executor: Executor, chunk: int = 256,
                  keep_intermediates: bool = False, description: str = "running",
                  progress: bool = True) -> Iterator[tuple[slice, dict[str, np.ndarray]]]:
    """Yield ``(rows, results)`` of ``executor`` (run_float or run_int8) on ``x`` chunk by chunk.

    ``x`` holds samples ``[N, ...]`` already in the dtype the graph's input expects.
    """
    x = check_samples(graph, x, description)
    batched: dict[int, Graph] = {}
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), disable=not progress)
    with bar:
        task = bar.add_task(description, total=len(x))
        for start in range(0, len(x), chunk):
            rows = slice(start, min(start + chunk, len(x)))
            n = rows.stop - rows.start
            if n not in batched:
                batched[n] = with_batch(graph, n)
            yield rows, executor(batched[n], x[rows], keep_intermediates=keep_intermediates)
            bar.advance(task, n)
