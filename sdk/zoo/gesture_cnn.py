"""The seed's radar gesture CNN (thesis appendix C), as a PyTorch module, shaped by the data.

Input: one range-Doppler image, NCHW ``[N, 1, rows, columns]``; the seed's is 30 (depth) x 20
(slow-time/Doppler). Three blocks of two 3x3 "same" convolutions (32 filters, ReLU) and a 2x2
max pool take it to 32 x 3 x 2; Flatten (192), Dense 100 + ReLU, Dropout, Dense (one output per
class: the seed's 4, ``swipe, press, pick, empty``), Softmax. 66,264 parameters at the seed's
shape, exactly as the seed's Keras summary.

Another input shape (few depth points, a 16-sweep burst, several frames of time context
stacked along the rows) keeps the layers and pools an axis only while it is at least 2 long,
so 6 x 16 works as 30 x 20 does.

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


def _conv_block(c_in: int, filters: int, hw: tuple[int, int]) -> tuple[list[nn.Module], tuple[int, int]]:
    """Two 3x3 convolutions and a max pool over the axes still at least 2 long (floor, as
    Keras "valid"); returns the layers and the output's (rows, columns)."""
    kernel = (2 if hw[0] >= 2 else 1, 2 if hw[1] >= 2 else 1)
    layers: list[nn.Module] = [nn.Conv2d(c_in, filters, 3, padding="same"), nn.ReLU(),
                               nn.Conv2d(filters, filters, 3, padding="same"), nn.ReLU()]
    if kernel != (1, 1):
        layers.append(nn.MaxPool2d(kernel))
    return layers, (hw[0] // kernel[0], hw[1] // kernel[1])


class GestureCNN(SoftmaxClassifier):
    """Conv(3x3, 32, same)+ReLU x2 + MaxPool(2), three times; Dense 100 + ReLU; Dense; Softmax."""

    def __init__(self, filters: int = 32, hidden: int = 100, dropout: float = 0.5,
                 num_classes: int = len(CLASS_NAMES),
                 input_hw: tuple[int, int] = INPUT_SHAPE[2:], context_frames: int = 1) -> None:
        del context_frames  # the image is the stacked frames; the convolutions need no more
        hw = (int(input_hw[0]), int(input_hw[1]))
        blocks: list[nn.Module] = []
        c_in = 1
        for _ in range(3):
            layers, hw = _conv_block(c_in, filters, hw)
            blocks += layers
            c_in = filters
        classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(filters * hw[0] * hw[1], hidden), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(hidden, num_classes))
        super().__init__(nn.Sequential(*blocks), classifier)
