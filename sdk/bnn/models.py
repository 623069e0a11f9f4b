"""The zoo's binary networks, built from a short description of their layers.

Every network takes float frames in [0, 1] (NCHW), quantizes them to int8 in its first layer
(binary weights, additions and subtractions of the centered input only), runs binary layers
(sign activations, binary weights, batch norm) and ends in a :class:`sdk.bnn.heads.Head`
(int8 scores then a softmax, or binary). ``float_twin=True`` builds the same layers in float
(ReLU instead of the sign, float weights and input) for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from sdk.bnn.heads import Head
from sdk.bnn.layers import QuantConv2d, QuantLinear, ThresholdBatchNorm1d, ThresholdBatchNorm2d
from sdk.bnn.quantizers import QUANTIZERS, Int8Input, Quantizer, Relu
from sdk.errors import UnsupportedError
from sdk.zoo.classifier import SoftmaxClassifier

# Frames in [0, 1] as int8: scale 1/255 (float32), zero point -128 (activation_params(0, 1)).
INPUT_SCALE, INPUT_ZERO_POINT = float(torch.tensor(1.0 / 255.0, dtype=torch.float32)), -128


@dataclass(frozen=True)
class Conv:
    """One binary convolution block: 3x3 (or ``kernel``) with ``channels`` outputs, stride,
    padding, and a 2x2 max pool after it when ``pool``."""

    channels: int
    stride: int = 1
    padding: int = 1
    pool: bool = False
    kernel: int = 3


class BinaryClassifier(SoftmaxClassifier):
    """``features`` (convolution blocks), ``classifier`` (Flatten, dense blocks, the head).

    ``forward`` returns class probabilities for an int8 head (softmax of its scores) and the
    head's +1/-1 outputs for a binary one.
    """

    def __init__(self, features: nn.Sequential, classifier: nn.Sequential) -> None:
        super().__init__(features, classifier)

    @property
    def head(self) -> Head:
        """The last layer."""
        return cast(Head, cast(nn.Sequential, self.classifier)[-1])

    def margin_scores(self, x: torch.Tensor) -> torch.Tensor:
        """The head's margins in popcount units (:meth:`Head.margin_scores`), for the hinge
        loss."""
        hidden = cast(nn.Sequential, self.classifier)[:-1](self.features(x))
        return self.head.margin_scores(hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities (int8 head) or +1/-1 per class (binary head)."""
        logits = self.logits(x)
        return logits if self.head.kind == "binary" else self.softmax(logits)


def _quantizers(name: str, float_twin: bool) -> tuple[type[Quantizer], Quantizer | None]:
    if float_twin:
        return Relu, None
    if name not in QUANTIZERS:
        raise UnsupportedError(f"quantizer {name!r} (expected "
                               f"{', '.join(QUANTIZERS)})")
    return QUANTIZERS[name], QUANTIZERS["ste_sign"]()


def binary_net(input_shape: tuple[int, int, int], convs: list[Conv], dense: list[int],
               num_classes: int, last: str = "int8", quantizer: str = "ste_sign",
               float_twin: bool = False) -> BinaryClassifier:
    """A binary network on ``input_shape`` (C, H, W): ``convs`` then ``dense`` hidden layers
    then the head with ``num_classes`` outputs; ``quantizer`` names the activations' sign
    (``ste_sign`` or ``approx_sign``; weights always use the STE sign)."""
    act, kernel_q = _quantizers(quantizer, float_twin)
    first: Quantizer | None = None if float_twin else Int8Input(INPUT_SCALE, INPUT_ZERO_POINT)
    channels, h, w = input_shape
    features: list[nn.Module] = []
    for i, c in enumerate(convs):
        features += [QuantConv2d(channels, c.channels, c.kernel, c.stride, c.padding,
                                 first if i == 0 else act(), kernel_q),
                     ThresholdBatchNorm2d(c.channels)]
        h = (h + 2 * c.padding - c.kernel) // c.stride + 1
        w = (w + 2 * c.padding - c.kernel) // c.stride + 1
        if c.pool:
            features.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        channels = c.channels
    width = channels * h * w
    classifier: list[nn.Module] = [nn.Flatten()]
    for units in dense:
        in_q = first if not features and len(classifier) == 1 else act()
        classifier += [QuantLinear(width, units, in_q, kernel_q), ThresholdBatchNorm1d(units)]
        width = units
    head_in = first if not features and not dense else act()
    classifier.append(Head(width, num_classes, "float" if float_twin else last, head_in,
                           kernel_q))
    return BinaryClassifier(nn.Sequential(*features), nn.Sequential(*classifier))


GESTURE_CLASSES = ("swipe", "press", "pick", "empty")
GESTURE_INPUT = (1, 1, 30, 20)
MNIST_CLASSES = tuple(str(d) for d in range(10))
MNIST_INPUT = (1, 1, 28, 28)


def bnn_gesture_msp430(num_classes: int = len(GESTURE_CLASSES), **kw) -> BinaryClassifier:
    """Sized for the MSP430's 18 Hz budget: int8-input 3x3 stride-2 convolution to 16 channels
    (15x10, 21,600 additions), max pool (7x5), binary 3x3 16 -> 32 (161,280 binary MACs), max
    pool (3x2x32 = 192), dense 192 -> 64, head 64 -> 4. Trained with
    ``quantizer="approx_sign"`` (docs/binary.md)."""
    return binary_net(GESTURE_INPUT[1:], [Conv(16, stride=2, pool=True), Conv(32, pool=True)],
                      [64], num_classes, **kw)


def bnn_gesture_cnn(num_classes: int = len(GESTURE_CLASSES), **kw) -> BinaryClassifier:
    """The seed's gesture-CNN shape, binarized: six 3x3 convolutions of 32 channels (the first
    on the int8 input) with a max pool after every second, dense 192 -> 100, head 100 -> 4."""
    blocks = [Conv(32), Conv(32, pool=True)] * 3
    return binary_net(GESTURE_INPUT[1:], blocks, [100], num_classes, **kw)


def bnn_mnist(num_classes: int = len(MNIST_CLASSES), **kw) -> BinaryClassifier:
    """784-256-256-10: an int8-input dense layer to 256, a binary 256 -> 256, head 256 -> 10."""
    return binary_net(MNIST_INPUT[1:], [], [256, 256], num_classes, **kw)
