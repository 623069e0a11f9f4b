"""The shape every zoo model shares: a feature extractor, a classifier head, a softmax."""

from __future__ import annotations

import torch
from torch import nn


class SoftmaxClassifier(nn.Module):
    """``features`` then ``classifier`` give class scores; ``forward`` ends in a softmax.

    The softmax is part of the module (and so of the converted IR graph) because a device
    should report class probabilities; training losses use :meth:`logits`.
    """

    def __init__(self, features: nn.Module, classifier: nn.Module) -> None:
        super().__init__()
        self.features = features
        self.classifier = classifier
        self.softmax = nn.Softmax(dim=1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Pre-softmax class scores ``[N, classes]`` (what a training loss wants)."""
        return self.classifier(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities ``[N, classes]``."""
        return self.softmax(self.logits(x))
