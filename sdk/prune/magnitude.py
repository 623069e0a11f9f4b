"""Magnitude (unstructured) pruning of a PyTorch model with retraining, and its masks in the IR.

Masks use PyTorch's own reparametrization (``torch.nn.utils.prune``: ``weight_orig`` times a
``weight_mask`` buffer, applied before every forward), so gradients never revive a pruned
weight. The masks are recomputed on the :class:`~sdk.prune.schedule.PolynomialDecay` schedule
during retraining, from the current masked weights, so a weight once pruned stays pruned.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from sdk.errors import TinypruneError
from sdk.ir import Graph
from sdk.prune.criteria import UNSTRUCTURED, unstructured_masks
from sdk.prune.retrain import Augment, retrain, steps_per_epoch
from sdk.prune.schedule import PolynomialDecay, check_sparsity

WEIGHTED = (nn.Conv2d, nn.Linear)


def _weight(m: nn.Module) -> torch.Tensor:
    return getattr(m, "weight")  # noqa: B009 (a plain tensor attribute once pruned)


def _orig(m: nn.Module) -> torch.Tensor:
    return m.get_parameter("weight_orig")


def _mask(m: nn.Module) -> torch.Tensor:
    return m.get_buffer("weight_mask")


def weighted_layers(module: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, layer)`` of every Conv2d and Linear in definition order."""
    return [(n, m) for n, m in module.named_modules() if isinstance(m, WEIGHTED)]


def prunable_layers(module: nn.Module, exclude: Sequence[str] | None = None
                    ) -> list[tuple[str, nn.Module]]:
    """The layers magnitude pruning touches: every Conv2d/Linear except ``exclude`` (layer
    names; by default the first and the last, which hold few weights and cost the most
    accuracy). An unknown name is a one-line error."""
    layers = weighted_layers(module)
    names = [n for n, _ in layers]
    if exclude is None:
        exclude = [names[0], names[-1]] if len(names) > 2 else []
    unknown = sorted(set(exclude) - set(names))
    if unknown:
        raise TinypruneError(f"--exclude {', '.join(unknown)}: no such Conv2d/Linear layer; "
                             f"layers: {', '.join(names)}")
    kept = [(n, m) for n, m in layers if n not in exclude]
    if not kept:
        raise TinypruneError("magnitude pruning: every weighted layer is excluded")
    return kept


@dataclass
class MagnitudePruner:
    """Masks on ``layers`` of a module, ranked by ``criterion`` (see :mod:`.criteria`)."""

    layers: list[tuple[str, nn.Module]]
    criterion: str
    seed: int = 0

    def __post_init__(self) -> None:
        if self.criterion not in UNSTRUCTURED:
            raise TinypruneError(f"magnitude pruning: criterion {self.criterion!r}; expected "
                                 f"one of {', '.join(UNSTRUCTURED)}")
        gen = torch.Generator().manual_seed(self.seed)
        self.scores = {n: torch.rand(_weight(m).shape, generator=gen) for n, m in self.layers}
        for _, m in self.layers:
            if not prune.is_pruned(m):
                prune.identity(m, "weight")

    def apply(self, sparsity: float) -> None:
        """Recompute every mask for ``sparsity``."""
        with torch.no_grad():
            weights = {n: _orig(m) * _mask(m) for n, m in self.layers}
            masks = unstructured_masks(weights, sparsity, self.criterion, self.scores)
            for n, m in self.layers:
                _mask(m).copy_(masks[n].to(_mask(m).dtype))
                _weight(m).data = _orig(m) * _mask(m)  # what the next forward sees

    def sparsity(self) -> dict[str, float]:
        """Fraction of zeroed weights per layer."""
        return {n: float((_mask(m) == 0).float().mean()) for n, m in self.layers}

    def finish(self) -> None:
        """Make the masks permanent (``prune.remove``): the zeros stay in ``weight``."""
        for _, m in self.layers:
            prune.remove(m, "weight")


def schedule_for(epochs: int, n: int, batch_size: int, final: float,
                 frequency: int = 50) -> PolynomialDecay:
    """The schedule of a retraining run: from 0 at step 0 to ``final`` after two thirds of the
    steps (the last third trains at the final sparsity), every ``frequency`` steps or often
    enough for ten updates."""
    total = epochs * steps_per_epoch(n, batch_size)
    freq = max(1, min(frequency, (2 * total // 3) // 10))
    end = max(freq, (2 * total // 3) // freq * freq)
    return PolynomialDecay(0.0, final, 0, end, freq)


def magnitude_prune(module: nn.Module, amount: float, criterion: str = "magnitude",
                    train: tuple[np.ndarray, np.ndarray] | None = None, epochs: int = 0,
                    seed: int = 0, exclude: Sequence[str] | None = None, batch_size: int = 32,
                    lr: float = 5e-4, augment: Augment | None = None,
                    progress: bool = False, cosine: bool = False) -> tuple[nn.Module, dict]:
    """A pruned copy of ``module`` at sparsity ``amount`` over its prunable layers, and the
    record of what was done. With ``epochs`` > 0 it retrains on ``train`` (NCHW, labels)
    while the sparsity follows :func:`schedule_for` (Adam at ``lr``, falling along a half cosine
    with ``cosine``); with 0 it prunes once (no retraining)."""
    check_sparsity(amount, "--amount")
    pruned = copy.deepcopy(module)
    pruner = MagnitudePruner(prunable_layers(pruned, exclude), criterion, seed)
    record: dict = {"method": criterion, "amount": amount, "structure": "unstructured",
                    "retrain_epochs": epochs}
    if epochs > 0:
        if train is None:
            raise TinypruneError("magnitude pruning with retraining needs training data")
        schedule = schedule_for(epochs, len(train[0]), batch_size, amount)

        def on_step(step: int) -> None:
            if schedule.should_prune(step):
                pruner.apply(schedule.sparsity(step))

        retrain(pruned, train[0], train[1], epochs, seed, lr, batch_size, augment, on_step,
                progress, cosine)
        record["schedule"] = {"initial_sparsity": schedule.initial_sparsity,
                              "final_sparsity": schedule.final_sparsity,
                              "begin_step": schedule.begin_step, "end_step": schedule.end_step,
                              "frequency": schedule.frequency, "power": schedule.power}
    pruner.apply(amount)  # exactly the final sparsity, whatever the last scheduled step was
    record["layers"] = pruner.sparsity()
    pruner.finish()
    pruned.eval()
    return pruned, record


def masks_to_ir(module: nn.Module, graph: Graph, input_shape: tuple[int, ...],
                layers: Sequence[str]) -> None:
    """Set ``Tensor.mask`` on the IR weights of the pruned ``layers`` of ``module`` (already
    converted to ``graph``): the masks go through the frontend themselves (a copy of the
    module whose weights are its 0/1 masks), so every layout change applies to them too."""
    from sdk.frontends.pytorch import from_torch

    probe = copy.deepcopy(module)
    with torch.no_grad():
        for name, m in weighted_layers(probe):
            w = _weight(m)
            w.copy_((w != 0).to(w.dtype) if name in layers else torch.ones_like(w))
    mask_graph = from_torch(probe, input_shape, graph.name)
    for op in graph.ops:
        if op.type not in ("Conv2D", "DepthwiseConv2D", "Dense"):
            continue
        if not set(op.attrs.get("fused", [])) & set(layers):
            continue
        weight = graph.tensors[op.inputs[1]]
        weight.mask = np.asarray(mask_graph.tensors[op.inputs[1]].const_data() != 0)
        weight.data = np.where(weight.mask, weight.const_data(), 0).astype(weight.const_data().dtype)


def sparsity_record(graph: Graph) -> dict[str, float]:
    """Fraction of zeros in every masked weight of ``graph`` (``{tensor: sparsity}``)."""
    return {t.name: float(1.0 - np.mean(t.mask)) for t in graph.tensors.values()
            if t.mask is not None}
