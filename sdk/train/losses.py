"""Training losses of a classifier: cross-entropy (the default) and the modified hinge loss
that maximizes margins (``tinyprune train --loss hinge``).

A loss is a small object with two parts, so the training loop never needs to know which one it
has: :meth:`ClassifierLoss.scores` takes what the loss needs from the model (the logits, or a
binary network's margins in popcount units), and calling it with those scores and the integer
labels gives the mean loss of the batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sdk.errors import TinypruneError, UnsupportedError

LOSSES = ("ce", "hinge")
# The reference's margin for a binary last layer (seed 001): 128 in popcount units.
POPCOUNT_MARGIN = 128.0
# For float or int8 logits: the margin as a fraction of half the batch's logit range.
RELATIVE_MARGIN = 0.5


def logits_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model.logits(x)`` when the model has it (zoo models end in a softmax), else
    ``model(x)``."""
    fn = getattr(model, "logits", None)
    return fn(x) if callable(fn) else model(x)


class ClassifierLoss:
    """Cross-entropy of the logits: ``mean_n -log softmax(z_n)[y_n]``."""

    name = "ce"

    def scores(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """What the loss is computed on: the logits ``[N, classes]``."""
        return logits_of(model, x)

    def __call__(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean loss of the batch (``target``: class indices)."""
        return F.cross_entropy(scores, target)

    def describe(self) -> dict:
        """How the model was trained, for the model's metadata."""
        return {"name": self.name}


class HingeLoss(ClassifierLoss):
    """The modified hinge loss of margin maximization (seed 001's reference)::

        L = mean over the batch and the C classes of  max(0, b - y_c * out_c) / b

    with ``y_c = +1`` for the true class and ``-1`` for every other, so the true class's output
    is pushed to at least ``+b`` and every other to at most ``-b``; the loss is 0 once every
    output is beyond its margin, and dividing by ``b`` makes it 1 where an output sits on its
    threshold.

    ``units="popcount"`` (a binary network's last layer): ``out_c`` is the class's signed
    distance from its threshold in dot-product units (``model.margin_scores``,
    :meth:`sdk.bnn.heads.Head.margin_scores`); a flipped input or weight bit moves a dot
    product by 2, so a margin of ``b`` survives ``b / 2`` flips in the last layer. ``b`` is
    128 by default, as in the reference.
    ``units="relative"`` (float or int8 logits, which have no natural unit): ``out_c`` are the
    logits and ``b = margin * (max - min) / 2`` of the batch's logits (a constant in the
    gradient), so the loss does not change when every logit is scaled and the network cannot
    meet the margin by growing its logits; ``margin`` is 0.5 by default.
    """

    name = "hinge"

    def __init__(self, margin: float | None = None, units: str = "popcount") -> None:
        if units not in ("popcount", "relative"):
            raise UnsupportedError(f"hinge margin units {units!r} (popcount or relative)")
        default = POPCOUNT_MARGIN if units == "popcount" else RELATIVE_MARGIN
        self.margin = float(default if margin is None else margin)
        if not self.margin > 0:
            raise UnsupportedError(f"hinge margin {self.margin}: expected a positive number")
        self.units = units

    def scores(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Margins in popcount units (``model.margin_scores``) or the logits."""
        if self.units == "relative":
            return logits_of(model, x)
        fn = getattr(model, "margin_scores", None)
        if not callable(fn):
            raise UnsupportedError(f"a hinge margin in popcount units for "
                                   f"{type(model).__name__} (a binary network's last layer "
                                   "has them; use relative units for float or int8 logits)")
        return fn(x)

    def bound(self, scores: torch.Tensor) -> torch.Tensor:
        """``b`` for this batch (see the class docstring)."""
        if self.units == "popcount":
            return scores.new_tensor(self.margin)
        spread = (scores.max() - scores.min()).detach() / 2
        return torch.clamp(self.margin * spread, min=1e-6)

    def __call__(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean of ``max(0, b - y_c * out_c) / b`` over the batch and the classes."""
        y = torch.full_like(scores, -1.0)
        y.scatter_(1, target.long()[:, None], 1.0)
        b = self.bound(scores)
        return torch.clamp(b - y * scores, min=0.0).mean() / b

    def describe(self) -> dict:
        """How the model was trained, for the model's metadata."""
        return {"name": self.name, "margin": self.margin, "units": self.units}


def make_loss(name: str, margin: float | None = None, binary: bool = False) -> ClassifierLoss:
    """The loss ``name`` (``ce`` or ``hinge``); a hinge margin is in popcount units for a
    binary network, relative to the logit range otherwise."""
    if name not in LOSSES:
        raise UnsupportedError(f"loss {name!r} (expected {' or '.join(LOSSES)})")
    if name == "ce":
        if margin is not None:
            raise TinypruneError("--margin applies to --loss hinge only")
        return ClassifierLoss()
    return HingeLoss(margin, "popcount" if binary else "relative")
