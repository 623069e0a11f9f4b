"""Training-time augmentation of handwritten digits: small random translations.

The shared MNIST split trains on only 7,000 digits; a digit moved by a pixel or two is still
the same digit (they are centred by their centre of mass in a 28x28 field with a 4-pixel
border), so each training batch sees every digit at a fresh whole-pixel offset. Opt-in
(``tinyprune train --binary --data mnist --augment``, ``tinyprune nas --augment``), so the
published figures trained without it stay reproducible (docs/benchmarks.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

MAX_SHIFT = 2  # pixels on each axis: stays inside the digits' 4-pixel empty border


def random_shift(batch: torch.Tensor, generator: torch.Generator,
                 max_shift: int = MAX_SHIFT) -> torch.Tensor:
    """Move every image of ``batch`` (NCHW) by its own offset of ``-max_shift`` to
    ``max_shift`` whole pixels down and right (drawn from ``generator``), filling with zeros:
    the background of the digits in [0, 1]. Pixels moved past the edge are lost."""
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    if max_shift == 0:
        return batch
    n, _, h, w = batch.shape
    offsets = torch.randint(-max_shift, max_shift + 1, (2, n), generator=generator)
    padded = F.pad(batch, (max_shift,) * 4)
    # output pixel (y, x) reads input pixel (y - dy, x - dx), at (y - dy + m, x - dx + m) padded
    rows = torch.arange(h)[None, :] + max_shift - offsets[0][:, None]
    cols = torch.arange(w)[None, :] + max_shift - offsets[1][:, None]
    picked = padded[torch.arange(n)[:, None, None], :, rows[:, :, None], cols[:, None, :]]
    return picked.permute(0, 3, 1, 2).contiguous()  # advanced indices first: N, H, W, C


DIGIT_AUGMENTS = {"random_shift": random_shift}
