"""Criteria that rank weights (unstructured pruning) and output channels (channel pruning).

Unstructured: ``random``, ``magnitude`` (layer-wise |w|) and ``global_magnitude`` (one |w|
threshold over every pruned layer). Channels: ``random_channel``, ``l1_filter`` (L1 norm of
each filter), ``geometric_median`` (FPGM: a filter's summed distance to the layer's other
filters; the ones nearest the geometric median are the most replaceable) and ``bn_scale``
(|gamma| of the BatchNorm after the convolution). For PyTorch models the channel criteria are
Torch-Pruning's importance classes; :func:`filter_scores` is the same ranking on IR weights.
"""

from __future__ import annotations

import numpy as np
import torch

from sdk.errors import TinypruneError, ToolchainError, UnsupportedError

UNSTRUCTURED = ("random", "magnitude", "global_magnitude")
CHANNEL = ("random_channel", "l1_filter", "geometric_median", "bn_scale")
METHODS = UNSTRUCTURED + CHANNEL


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`METHODS`, else a one-line error listing them."""
    if method not in METHODS:
        raise TinypruneError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
    return method


def unstructured_masks(weights: dict[str, torch.Tensor], sparsity: float, criterion: str,
                       scores: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """Boolean keep-masks removing the ``round(sparsity * n)`` lowest-ranked weights.

    ``weights`` are the layers' current (masked) weights; weights already at zero rank lowest,
    so a rising sparsity never brings a pruned weight back. ``random`` ranks by ``scores``
    (fixed random values per weight, drawn once by the caller). ``global_magnitude`` removes
    ``round(sparsity * total)`` weights over all layers together.
    """
    def rank(name: str, w: torch.Tensor) -> torch.Tensor:
        if criterion == "random":
            assert scores is not None, "random pruning needs its fixed scores"
            return torch.where(w == 0, torch.full_like(w, -1.0), scores[name])
        return w.abs()

    if criterion == "global_magnitude":
        ranked = torch.cat([rank(n, w).flatten() for n, w in weights.items()])
        drop = torch.zeros(ranked.numel(), dtype=torch.bool)
        drop[torch.argsort(ranked, stable=True)[:round(sparsity * ranked.numel())]] = True
        masks, start = {}, 0
        for name, w in weights.items():
            masks[name] = ~drop[start:start + w.numel()].reshape(w.shape)
            start += w.numel()
        return masks
    if criterion not in ("random", "magnitude"):
        raise UnsupportedError(f"unstructured criterion {criterion!r} (use {', '.join(UNSTRUCTURED)})")
    masks = {}
    for name, w in weights.items():
        r = rank(name, w).flatten()
        drop = torch.zeros(r.numel(), dtype=torch.bool)
        drop[torch.argsort(r, stable=True)[:round(sparsity * r.numel())]] = True
        masks[name] = ~drop.reshape(w.shape)
    return masks


def torch_pruning():
    """The ``torch_pruning`` module; a one-line error saying how to install it when missing."""
    try:
        import torch_pruning as tp
    except ImportError:
        raise ToolchainError("channel pruning of PyTorch models needs torch-pruning: "
                             ".venv/bin/pip install -e '.[prune]' (or ./setup.sh)") from None
    return tp


def torch_importance(criterion: str):
    """The Torch-Pruning importance object of a channel criterion."""
    tp = torch_pruning()

    if criterion == "l1_filter":
        return tp.importance.MagnitudeImportance(p=1)
    if criterion == "geometric_median":
        return tp.importance.FPGMImportance(p=2)
    if criterion == "bn_scale":
        return tp.importance.BNScaleImportance()
    if criterion == "random_channel":
        return tp.importance.RandomImportance()
    raise UnsupportedError(f"channel criterion {criterion!r} (use {', '.join(CHANNEL)})")


def filter_scores(filters: np.ndarray, criterion: str, rng: np.random.Generator) -> np.ndarray:
    """One importance score per filter (rows of ``filters`` ``[out, ...]``, real-valued)."""
    flat = np.asarray(filters, np.float64).reshape(len(filters), -1)
    if criterion == "l1_filter":
        return np.abs(flat).sum(axis=1)
    if criterion == "geometric_median":
        return np.sqrt(((flat[:, None, :] - flat[None, :, :]) ** 2).sum(axis=2)).sum(axis=1)
    if criterion == "random_channel":
        return rng.random(len(flat))
    if criterion == "bn_scale":
        raise UnsupportedError("bn_scale on an IR graph: its BatchNorm scales are folded into "
                               "the convolutions (use l1_filter or geometric_median)")
    raise UnsupportedError(f"channel criterion {criterion!r} (use {', '.join(CHANNEL)})")
