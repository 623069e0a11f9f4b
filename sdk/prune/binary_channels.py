"""Channel pruning of a binary network to a size: packed bytes or binary operations.

The network shrinks in ``rounds`` steps toward the target (each round's target geometrically
between the start and the goal), each step: score the weights over a training interval, pick
per-layer amounts, remove channels (:func:`sdk.bnn.surgery.remove_channels`), retrain. The
criteria (:data:`BINARY_CRITERIA`):

* ``flip_frequency`` (seed 002; patented, US 12,387,101): sign changes of every latent weight
  counted over the late part of the interval (:mod:`sdk.prune.flips`). A layer's amount follows
  its fraction of insensitive weights (flipped at least ``min_flips`` times); within a layer the
  channels whose weights flip most go first;
* ``latent_magnitude``: a layer's amount follows its fraction of latent weights below the
  network's median ``|w|``; the channels of smallest mean ``|w|`` go first;
* ``channel_norm``: the same amount in every layer; the channels of smallest L2 latent norm go
  first.

Per-layer amounts are the criterion's profile ``p`` (per layer, in [0, 1]) raised to a few
exponents (0: uniform), each scaled by the largest factor whose model meets the round's target,
and capped so every layer keeps at least ``floor`` of its original channels. The candidate with
the best validation accuracy (batch norms recalibrated, before retraining) is kept: the search
for "the highest accuracy at this size". Every size reached is recorded with its validation
and test accuracy.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from sdk.bnn.cost import Cost, graph_cost
from sdk.bnn.export import export_binary
from sdk.bnn.layers import _ThresholdBatchNorm, clip_latent_weights
from sdk.bnn.models import BinaryClassifier
from sdk.bnn.surgery import blocks, remove_channels, widths
from sdk.errors import TinypruneError
from sdk.ir import Graph
from sdk.prune.flips import FlipCounter, channel_flip_rate, insensitive_fraction
from sdk.prune.retrain import retrain, steps_per_epoch

BINARY_CRITERIA = ("flip_frequency", "latent_magnitude", "channel_norm")
EXPONENTS = (0.0, 0.5, 1.0, 2.0)
CALIBRATION_FRAMES = 1024


@dataclass
class SizeTarget:
    """At most ``value`` of ``what`` (``"bytes"`` or ``"binary_ops"``)."""

    what: str
    value: int

    def of(self, cost: Cost) -> int:
        """The measured quantity of ``cost``."""
        return int(getattr(cost, self.what))

    @property
    def option(self) -> str:
        """The CLI option that sets it."""
        return "--to-bytes" if self.what == "bytes" else "--to-ops"


@dataclass
class Step:
    """One size reached: round, channel widths, cost, accuracies, per-layer amounts and the
    exponent of the criterion's profile that gave them (0: the same amount everywhere)."""

    round: int
    widths: dict[str, int]
    cost: Cost
    val_accuracy: float
    test_accuracy: float
    amounts: dict[str, float] = field(default_factory=dict)
    exponent: float | None = None

    def to_dict(self) -> dict:
        """Plain dict (JSON, the pruning record)."""
        return {"round": self.round, "widths": self.widths, **self.cost.to_dict(),
                "val_accuracy": self.val_accuracy, "test_accuracy": self.test_accuracy,
                "amounts": self.amounts, "exponent": self.exponent}


@dataclass
class Scores:
    """A criterion's per-layer profile and per-channel importance (higher is kept)."""

    profile: dict[str, float]
    channels: dict[str, np.ndarray]


@dataclass
class Settings:
    """How the pruning runs (see the module docstring)."""

    criterion: str
    rounds: int = 3
    epochs: int = 2
    floor: float = 0.25
    min_flips: int = 2
    late: float = 0.5  # flips are counted over this last fraction of every interval
    seed: int = 0


def cost_of(model: BinaryClassifier, input_shape: tuple[int, int, int, int]) -> Cost:
    """The :class:`Cost` of ``model`` as exported."""
    return graph_cost(export_binary(model, input_shape, "cost"))


def _latent(model: BinaryClassifier) -> dict[str, np.ndarray]:
    return {b.name: b.layer.weight.detach().numpy().copy() for b in blocks(model)}


def scores_of(model: BinaryClassifier, criterion: str, flips: dict[str, np.ndarray] | None,
              min_flips: int) -> Scores:
    """The :class:`Scores` of ``criterion`` from the latent weights (and ``flips``)."""
    latent = _latent(model)
    names = list(latent)
    if criterion == "flip_frequency":
        assert flips is not None
        profile = {n: insensitive_fraction(flips[n], min_flips) for n in names}
        mags = {n: np.abs(latent[n]).reshape(len(latent[n]), -1).mean(axis=1) for n in names}
        # Most flips removed first; among equal counts, the smallest latent magnitude.
        channels = {n: -channel_flip_rate(flips[n]) + 1e-6 * mags[n] for n in names}
        return Scores(profile, channels)
    if criterion == "latent_magnitude":
        median = float(np.median(np.concatenate([np.abs(w).ravel() for w in latent.values()])))
        profile = {n: float(np.mean(np.abs(latent[n]) < median)) for n in names}
        return Scores(profile, {n: np.abs(latent[n]).reshape(len(latent[n]), -1).mean(axis=1)
                                for n in names})
    if criterion == "channel_norm":
        return Scores({n: 1.0 for n in names},
                      {n: np.sqrt((latent[n].reshape(len(latent[n]), -1) ** 2).sum(axis=1))
                       for n in names})
    raise TinypruneError(f"--method {criterion!r}: binary networks are pruned by one of "
                         f"{', '.join(BINARY_CRITERIA)}")


def floor_widths(original: dict[str, int], floor: float) -> dict[str, int]:
    """The fewest channels each layer keeps: ``ceil(floor * width)``, at least 1."""
    return {n: max(1, math.ceil(floor * w - 1e-9)) for n, w in original.items()}


def keep_for_amounts(scores: Scores, current: dict[str, int], least: dict[str, int],
                     amounts: dict[str, float]) -> dict[str, np.ndarray]:
    """The channels each layer keeps (its best-scored) when it loses the fraction ``amounts``
    of its ``current`` channels, never fewer than ``least``; layers that keep all are left out."""
    keep = {}
    for n, w in current.items():
        k = max(least[n], min(w, w - int(round(amounts[n] * w))))
        if k < w:
            order = np.argsort(-scores.channels[n], kind="stable")
            keep[n] = np.sort(order[:k])
    return keep


def _candidate(model: BinaryClassifier, scores: Scores, profile: dict[str, float],
               least: dict[str, int], fits: Callable[[BinaryClassifier], bool]
               ) -> tuple[BinaryClassifier, dict[str, float]] | None:
    """The pruned model with amounts ``s * profile`` for the largest ``s`` that fits
    (bisection), None when even the floor does not."""
    current = widths(model)

    def pruned(s: float) -> tuple[BinaryClassifier, dict[str, float]]:
        amounts = {n: min(1.0, s * profile[n]) for n in current}
        return remove_channels(model, keep_for_amounts(scores, current, least, amounts)), amounts

    top = 1.0 / max(min(v for v in profile.values() if v > 0), 1e-3)
    best = pruned(top)
    if not fits(best[0]):
        return None
    lo, hi = 0.0, top
    for _ in range(16):
        mid = (lo + hi) / 2
        cand = pruned(mid)
        if fits(cand[0]):
            hi, best = mid, cand
        else:
            lo = mid
    return best


def recalibrate(model: BinaryClassifier, frames: torch.Tensor) -> None:
    """Re-estimate every batch norm's running statistics on ``frames`` (train-mode forward,
    no gradient): after channels are removed the layers downstream see other dot products."""
    bns = [m for m in model.modules() if isinstance(m, _ThresholdBatchNorm)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # a cumulative average over the batches
    model.train()
    with torch.no_grad():
        for batch in frames.split(256):
            model.logits(batch)
    for bn, m in zip(bns, momenta):
        bn.momentum = m
    model.eval()


def check_reachable(model: BinaryClassifier, target: SizeTarget, floor: float,
                    input_shape: tuple[int, int, int, int], name: str) -> int:
    """The model's own size in ``target.what``; a one-line error when keeping ``floor`` of
    every layer's channels leaves it above the target."""
    least = floor_widths(widths(model), floor)
    smallest = remove_channels(model, {n: np.arange(k) for n, k in least.items()})
    start, low = target.of(cost_of(model, input_shape)), target.of(cost_of(smallest, input_shape))
    if low > target.value:
        raise TinypruneError(f"{target.option} {target.value:,}: {name} cannot get below "
                             f"{low:,} {target.what.replace('_', ' ')} keeping {floor:g} of every "
                             f"layer's channels (it has {start:,}); expected a larger target or "
                             "a smaller --floor")
    return start


class BinaryPruner:
    """Prunes a binary network of a task (``sdk.prune.task.Task``) to a :class:`SizeTarget`."""

    def __init__(self, task, settings: Settings, progress: bool = False,
                 on_step: Callable[[Step], None] | None = None) -> None:
        self.task = task
        self.settings = settings
        self.progress = progress
        self.on_step = on_step
        gen = np.random.default_rng(settings.seed)
        pick = gen.permutation(len(task.train[0]))[:CALIBRATION_FRAMES]
        self.calibration = torch.as_tensor(np.asarray(task.train[0][pick], np.float32))

    def accuracy(self, model: BinaryClassifier, split) -> float:
        """Eval-mode accuracy on ``split`` (as the exported graph decides)."""
        from sdk.prune.task import accuracy

        return accuracy(model, split)

    def train_interval(self, model: BinaryClassifier, seed: int, cosine: bool
                       ) -> dict[str, np.ndarray]:
        """Train one interval (latent weights clipped after every step); the flips of its last
        ``late`` fraction of steps."""
        s = self.settings
        total = s.epochs * steps_per_epoch(len(self.task.train[0]), self.task.batch_size)
        start = int(total * (1.0 - s.late))
        layers = {b.name: b.layer for b in blocks(model)}
        counter: list[FlipCounter] = []

        def after(step: int) -> None:
            clip_latent_weights(model)
            if step == start:
                counter.append(FlipCounter(layers))
            elif counter:
                counter[0].step()

        x, y = self.task.train
        retrain(model, x, y, s.epochs, seed, self.task.lr, self.task.batch_size,
                self.task.augment, after, self.progress, cosine)
        return counter[0].counts() if counter else {n: np.zeros(m.weight.shape, np.int64)
                                                     for n, m in layers.items()}

    def _record(self, rnd: int, model: BinaryClassifier, amounts: dict[str, float],
                exponent: float | None = None) -> Step:
        step = Step(rnd, widths(model), cost_of(model, self.task.input_shape),
                    self.accuracy(model, self.task.val), self.accuracy(model, self.task.test),
                    amounts, exponent)
        if self.on_step is not None:
            self.on_step(step)
        return step

    def run(self, model: BinaryClassifier, target: SizeTarget
            ) -> tuple[BinaryClassifier, list[Step]]:
        """The pruned and retrained model and every size reached (the start first)."""
        s = self.settings
        shape = self.task.input_shape
        least = floor_widths(widths(model), s.floor)
        start = check_reachable(model, target, s.floor, shape, self.task.model)
        steps = [self._record(0, model, {})]
        if start <= target.value:
            return model, steps
        flips = self.train_interval(model, s.seed, cosine=False)
        for rnd in range(1, s.rounds + 1):
            goal = start * (target.value / start) ** (rnd / s.rounds)
            bound = target.value if rnd == s.rounds else int(goal)

            def fits(m: BinaryClassifier, bound: int = bound) -> bool:
                return target.of(cost_of(m, shape)) <= bound

            model, amounts, exponent = self._best(
                model, scores_of(model, s.criterion, flips, s.min_flips), least, fits)
            last = rnd == s.rounds
            flips = self.train_interval(model, s.seed + rnd, cosine=last)
            steps.append(self._record(rnd, model, amounts, exponent))
        return model, steps

    def _best(self, model: BinaryClassifier, scores: Scores, least: dict[str, int],
              fits: Callable[[BinaryClassifier], bool]
              ) -> tuple[BinaryClassifier, dict[str, float], float]:
        profile = scores.profile if any(v > 0 for v in scores.profile.values()) \
            else {n: 1.0 for n in scores.profile}
        exponents = EXPONENTS if self.settings.criterion != "channel_norm" else (0.0,)
        best: tuple[float, BinaryClassifier, dict[str, float], float] | None = None
        for e in exponents:
            shaped = {n: 1.0 if e == 0 else (v ** e if v > 0 else 0.0) for n, v in profile.items()}
            found = _candidate(model, scores, shaped, least, fits)
            if found is None:
                continue
            recalibrate(found[0], self.calibration)
            acc = self.accuracy(found[0], self.task.val)
            if best is None or acc > best[0]:
                best = (acc, found[0], found[1], e)
        if best is None:  # the floor fits (checked before), so the uniform profile does
            raise TinypruneError("binary pruning: no per-layer amounts meet the target")
        return best[1], best[2], best[3]


def prune_binary(model: BinaryClassifier, task, settings: Settings, target: SizeTarget,
                 progress: bool = False, on_step: Callable[[Step], None] | None = None
                 ) -> tuple[Graph, list[Step]]:
    """Prune ``model`` (trained, not modified) to ``target``; the exported graph and the
    sizes reached, the last one the result. The graph's metadata records the pruning."""
    if settings.criterion not in BINARY_CRITERIA:
        raise TinypruneError(f"--method {settings.criterion!r}: binary networks are pruned by "
                             f"one of {', '.join(BINARY_CRITERIA)}")
    pruned, steps = BinaryPruner(task, settings, progress, on_step).run(copy.deepcopy(model),
                                                                       target)
    graph = export_binary(pruned, task.input_shape, task.model)
    graph.metadata["pruning"] = {
        "method": settings.criterion, "structure": "binary_channels",
        "target": {target.what: target.value}, "rounds": settings.rounds,
        "retrain_epochs": settings.epochs, "floor": settings.floor,
        "min_flips": settings.min_flips, "steps": [s.to_dict() for s in steps],
        **({"patent": "US 12,387,101"} if settings.criterion == "flip_frequency" else {})}
    return graph, steps
