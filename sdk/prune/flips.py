"""Weight-flipping frequency of a binary network (seed 002: Li and Ren, "BNN Pruning: Pruning
Binary Neural Network Guided by Weight Flipping Frequency").

A binary weight is the sign of its latent float weight (``sign(0) = +1``). Over a late interval
of training, when the network is close to convergence, a weight whose sign keeps changing does
not matter much to the loss: the gradient pushes it both ways. The count of sign changes per
weight over the interval ranks the weights; a layer's fraction of *insensitive* weights (those
that flipped at least ``min_flips`` times) is the fraction of its channels that pruning removes,
and a channel's mean flip count ranks its channels (the most-flipping go first).

The method is patented (US 12,387,101); docs/pruning.md says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import numpy as np
import torch
from torch import nn


class FlipCounter:
    """Counts the sign changes of the latent weights of ``layers`` (name -> a module with a
    ``weight``) between calls of :meth:`step` (call it after every optimizer step)."""

    def __init__(self, layers: Mapping[str, nn.Module]) -> None:
        self.layers = layers
        self.signs = {n: self._sign(m) for n, m in layers.items()}
        self.flips = {n: torch.zeros_like(s, dtype=torch.int64) for n, s in self.signs.items()}
        self.steps = 0

    @staticmethod
    def _sign(m: nn.Module) -> torch.Tensor:
        return cast(torch.Tensor, m.weight).detach() >= 0

    def step(self) -> None:
        """Compare every weight's sign with the previous step's and count the changes."""
        for n, m in self.layers.items():
            now = self._sign(m)
            self.flips[n] += (now != self.signs[n]).long()
            self.signs[n] = now
        self.steps += 1

    def counts(self) -> dict[str, np.ndarray]:
        """Flips per weight, in each layer's torch layout."""
        return {n: f.numpy().copy() for n, f in self.flips.items()}


def insensitive_fraction(flips: np.ndarray, min_flips: int) -> float:
    """Fraction of a layer's weights that flipped at least ``min_flips`` times."""
    return float(np.mean(np.asarray(flips) >= min_flips)) if np.size(flips) else 0.0


def channel_flip_rate(flips: np.ndarray) -> np.ndarray:
    """Mean flips over each output channel's weights (axis 0 of a conv or dense weight)."""
    f = np.asarray(flips, np.float64)
    return f.reshape(f.shape[0], -1).mean(axis=1)
