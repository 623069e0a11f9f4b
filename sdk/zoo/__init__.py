"""The model zoo: named PyTorch models with their input shape and class names.

``get("gesture_cnn")`` returns a :class:`ZooEntry`; ``entry.factory()`` builds a fresh,
untrained ``nn.Module`` whose ``forward`` returns class probabilities and whose ``logits``
method returns the pre-softmax scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sdk.errors import ShapeError, TinypruneError

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class ZooEntry:
    """A zoo model: ``factory()`` builds it (``factory(num_classes=N)`` with another number of
    classes than ``class_names``); ``input_shape`` is NCHW with batch 1, the default one.
    ``shaped_by_data`` models also take ``input_hw`` (rows, columns) and ``context_frames``
    (:meth:`build`)."""

    factory: Callable[..., nn.Module]
    input_shape: tuple[int, int, int, int]
    class_names: tuple[str, ...]
    description: str
    shaped_by_data: bool = False

    def build(self, num_classes: int, input_hw: tuple[int, int],
              context_frames: int = 1) -> nn.Module:
        """A fresh model for ``num_classes`` classes and inputs of ``input_hw`` (one channel);
        a model of fixed shape refuses another one in one line."""
        if self.shaped_by_data:
            return self.factory(num_classes=num_classes, input_hw=input_hw,
                                context_frames=context_frames)
        if tuple(input_hw) != self.input_shape[2:]:
            raise ShapeError(f"zoo: this model takes {self.input_shape[2]} x "
                             f"{self.input_shape[3]} inputs, the data has "
                             f"{input_hw[0]} x {input_hw[1]}")
        return self.factory(num_classes=num_classes)


def _gesture() -> ZooEntry:
    from sdk.zoo import gesture_cnn

    return ZooEntry(gesture_cnn.GestureCNN, gesture_cnn.INPUT_SHAPE, gesture_cnn.CLASS_NAMES,
                    "the seed's radar gesture CNN (30x20 range-Doppler image, 66,264 params; "
                    "any frame shape)", shaped_by_data=True)


def _gesture_tcn() -> ZooEntry:
    from sdk.zoo import gesture_tcn

    return ZooEntry(gesture_tcn.GestureTCN, gesture_tcn.INPUT_SHAPE, gesture_tcn.CLASS_NAMES,
                    "a temporal convolution over a sequence of range-Doppler frames (time "
                    "context, about 9 k params at 8 frames of 6 x 16)", shaped_by_data=True)


def _mnist() -> ZooEntry:
    from sdk.zoo import mnist_cnn

    return ZooEntry(mnist_cnn.MnistCNN, mnist_cnn.INPUT_SHAPE, mnist_cnn.CLASS_NAMES,
                    "a small MNIST CNN with BatchNorm (28x28 digits, about 25 k params)")


# Entries are built lazily so that listing the zoo does not import torch.
_ENTRIES: dict[str, Callable[[], ZooEntry]] = {"gesture_cnn": _gesture,
                                               "gesture_tcn": _gesture_tcn, "mnist_cnn": _mnist}


def names() -> list[str]:
    """The zoo's model names."""
    return sorted(_ENTRIES)


def get(name: str) -> ZooEntry:
    """The zoo entry called ``name``; an unknown name raises a one-line error listing them."""
    if name not in _ENTRIES:
        raise TinypruneError(f"zoo: no model {name!r}; known: {', '.join(names())}")
    return _ENTRIES[name]()
