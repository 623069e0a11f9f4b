"""The seed's radar gesture CNN (thesis appendix C), as a PyTorch module.

Input: one 30 (depth) x 20 (slow-time/Doppler) range-Doppler image, NCHW ``[N, 1, 30, 20]``.
Three blocks of two 3x3 "same" convolutions (32 filters, ReLU) and a 2x2 max pool take it to
32 x 3 x 2; Flatten (192), Dense 100 + ReLU, Dropout, Dense 4, Softmax over
``swipe, press, pick, empty``. 66,264 parameters, exactly as the seed's Keras summary.

The Softmax is part of the module (and so of the exported IR graph) because the seed's Keras
model ends in one and a device should report class probabilities. Training losses use the
pre-softmax scores from :meth:`GestureCNN.logits` (as :func:`sdk.train.loop.train_classifier`
does).
"""

from __future__ import annotations

from torch import nn

from sdk.zoo.classifier import SoftmaxClassifier

CLASS_NAMES = ("swipe", "press", "pick", "empty")
INPUT_SHAPE = (1, 1, 30, 20)


def _conv_block(c_in: int, filters: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, filters, 3, padding="same"), nn.ReLU(),
            nn.Conv2d(filters, filters, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2)]


class GestureCNN(SoftmaxClassifier):
    """Conv(3x3, 32, same)+ReLU x2 + MaxPool(2), three times; Dense 100 + ReLU; Dense 4; Softmax."""

    def __init__(self, filters: int = 32, hidden: int = 100, dropout: float = 0.5,
                 num_classes: int = len(CLASS_NAMES)) -> None:
        features = nn.Sequential(*_conv_block(1, filters), *_conv_block(filters, filters),
                                 *_conv_block(filters, filters))
        # 30x20 -> 15x10 -> 7x5 -> 3x2 (floor pooling, as Keras "valid").
        classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(filters * 3 * 2, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes))
        super().__init__(features, classifier)
