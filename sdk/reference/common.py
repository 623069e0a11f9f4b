"""Helpers shared by the reference executors (float and int8): input binding, sliding windows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sdk.errors import ShapeError
from sdk.ir.graph import Graph


def pad_nhwc(x: np.ndarray, padding: list[int], value: float = 0.0) -> np.ndarray:
    """Pad the spatial dimensions of an NHWC array per side ``[top, bottom, left, right]``."""
    pt, pb, pl, pr = padding
    return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=value)


def sliding_windows(x: np.ndarray, kh: int, kw: int, stride: Sequence[int], out_hw: Sequence[int],
                    dilation: Sequence[int] = (1, 1)) -> np.ndarray:
    """Read-only view of shape [N, OH, OW, KH, KW, C] over the (already padded) input."""
    sh, sw = stride
    dh, dw = dilation
    oh, ow = out_hw
    n, _, _, c = x.shape
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, oh, ow, kh, kw, c), (s[0], s[1] * sh, s[2] * sw, s[1] * dh, s[2] * dw, s[3]),
        writeable=False)


def bind_inputs(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray) -> dict[str, np.ndarray]:
    """Map the graph's input names to arrays, checking that each is present with its shape.

    ``inputs`` is a dict by input name, or one array for a single-input graph.
    """
    if isinstance(inputs, np.ndarray):
        if len(graph.inputs) != 1:
            raise ShapeError(f"model has {len(graph.inputs)} inputs; pass a dict")
        inputs = {graph.inputs[0]: inputs}
    bound = {}
    for name in graph.inputs:
        shape = graph.tensors[name].shape
        if name not in inputs:
            raise ShapeError(f"input {name!r} is missing")
        arr = np.asarray(inputs[name])
        if arr.shape != shape:
            raise ShapeError(f"input {name!r}: expected shape {list(shape)}, got {list(arr.shape)}")
        bound[name] = arr
    return bound
