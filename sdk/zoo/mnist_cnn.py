"""A small MNIST CNN (about 25 k parameters), the test bed for int8 and pruning work.

Input ``[N, 1, 28, 28]``. Three 3x3 "same" convolutions (8, 16, 32 filters), each with
BatchNorm (folded away by the frontend), ReLU and a 2x2 max pool: 28 -> 14 -> 7 -> 3; then
Flatten (288), Dense 64 + ReLU, Dense 10, Softmax.
"""

from __future__ import annotations

from torch import nn

from sdk.zoo.classifier import SoftmaxClassifier

CLASS_NAMES = tuple(str(d) for d in range(10))
INPUT_SHAPE = (1, 1, 28, 28)


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(), nn.MaxPool2d(2)]


class MnistCNN(SoftmaxClassifier):
    """Conv-BN-ReLU-MaxPool x3 (8, 16, 32 filters); Dense 64 + ReLU; Dense 10; Softmax."""

    def __init__(self, num_classes: int = len(CLASS_NAMES)) -> None:
        super().__init__(
            nn.Sequential(*_block(1, 8), *_block(8, 16), *_block(16, 32)),
            nn.Sequential(nn.Flatten(), nn.Linear(32 * 3 * 3, 64), nn.ReLU(),
                          nn.Linear(64, num_classes)))
