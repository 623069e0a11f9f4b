"""The model zoo: named PyTorch models with their input shape and class names.

``get("gesture_cnn")`` returns a :class:`ZooEntry`; ``entry.factory()`` builds a fresh,
untrained ``nn.Module`` whose ``forward`` returns class probabilities and whose ``logits``
method returns the pre-softmax scores. Binary networks (``entry.binary``, :mod:`sdk.bnn`)
convert with :func:`sdk.bnn.export.export_binary`, the others with
:func:`sdk.frontends.pytorch.from_torch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sdk.errors import TinypruneError

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class ZooEntry:
    """A zoo model: ``factory()`` builds it (``factory(num_classes=N)`` with another number of
    classes than ``class_names``); ``input_shape`` is NCHW with batch 1."""

    factory: Callable[..., nn.Module]
    input_shape: tuple[int, int, int, int]
    class_names: tuple[str, ...]
    description: str
    binary: bool = False


def _gesture() -> ZooEntry:
    from sdk.zoo import gesture_cnn

    return ZooEntry(gesture_cnn.GestureCNN, gesture_cnn.INPUT_SHAPE, gesture_cnn.CLASS_NAMES,
                    "the seed's radar gesture CNN (30x20 range-Doppler image, 66,264 params)")


def _mnist() -> ZooEntry:
    from sdk.zoo import mnist_cnn

    return ZooEntry(mnist_cnn.MnistCNN, mnist_cnn.INPUT_SHAPE, mnist_cnn.CLASS_NAMES,
                    "a small MNIST CNN with BatchNorm (28x28 digits, about 25 k params)")


def _binary(name: str, description: str) -> Callable[[], ZooEntry]:
    def entry() -> ZooEntry:
        from sdk.bnn import models

        gesture = name.startswith("bnn_gesture")
        return ZooEntry(getattr(models, name),
                        models.GESTURE_INPUT if gesture else models.MNIST_INPUT,
                        models.GESTURE_CLASSES if gesture else models.MNIST_CLASSES,
                        description, binary=True)
    return entry


# Entries are built lazily so that listing the zoo does not import torch.
_ENTRIES: dict[str, Callable[[], ZooEntry]] = {
    "gesture_cnn": _gesture, "mnist_cnn": _mnist,
    "bnn_gesture_msp430": _binary("bnn_gesture_msp430", "a binary gesture network sized for "
                                  "the MSP430 (int8-input stride-2 first layer, 3 binary layers)"),
    "bnn_gesture_cnn": _binary("bnn_gesture_cnn", "the seed's gesture-CNN shape, binarized"),
    "bnn_mnist": _binary("bnn_mnist", "a binary 784-256-256-10 MNIST network"),
}
_BINARY = {"bnn_gesture_msp430", "bnn_gesture_cnn", "bnn_mnist"}


def names(binary: bool | None = None) -> list[str]:
    """The zoo's model names: all, or only the binary (``True``) or float (``False``) ones."""
    return sorted(n for n in _ENTRIES if binary is None or (n in _BINARY) == binary)


def get(name: str) -> ZooEntry:
    """The zoo entry called ``name``; an unknown name raises a one-line error listing them."""
    if name not in _ENTRIES:
        raise TinypruneError(f"zoo: no model {name!r}; known: {', '.join(names())}")
    return _ENTRIES[name]()
