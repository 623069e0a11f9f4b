"""Sliding-window views shared by the reference executors (float and int8)."""

from __future__ import annotations

import numpy as np


def pad_nhwc(x: np.ndarray, padding: list[int], value: float = 0.0) -> np.ndarray:
    """Pad the spatial dimensions of an NHWC array per side ``[top, bottom, left, right]``."""
    pt, pb, pl, pr = padding
    return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=value)


def sliding_windows(x: np.ndarray, kh: int, kw: int, stride: list[int], out_hw: tuple[int, int],
                    dilation: list[int] = (1, 1)) -> np.ndarray:
    """Read-only view of shape [N, OH, OW, KH, KW, C] over the (already padded) input."""
    sh, sw = stride
    dh, dw = dilation
    oh, ow = out_hw
    n, _, _, c = x.shape
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, oh, ow, kh, kw, c), (s[0], s[1] * sh, s[2] * sw, s[1] * dh, s[2] * dw, s[3]),
        writeable=False)
