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
    binary: bool = False
    shaped_by_data: bool = False

    def build(self, num_classes: int, input_hw: tuple[int, int], context_frames: int = 1,
              **options: object) -> nn.Module:
        """A fresh model for ``num_classes`` classes and inputs of ``input_hw`` (one channel);
        a model of fixed shape refuses another one in one line. ``options`` go to the factory
        (a binary network's last layer and quantizer)."""
        if self.shaped_by_data:
            return self.factory(num_classes=num_classes, input_hw=input_hw,
                                context_frames=context_frames, **options)
        if tuple(input_hw) != self.input_shape[2:]:
            raise ShapeError(f"zoo: this model takes {self.input_shape[2]} x "
                             f"{self.input_shape[3]} inputs, the data has "
                             f"{input_hw[0]} x {input_hw[1]}")
        return self.factory(num_classes=num_classes, **options)


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
    "gesture_cnn": _gesture, "gesture_tcn": _gesture_tcn, "mnist_cnn": _mnist,
    "bnn_gesture_msp430": _binary("bnn_gesture_msp430", "a binary gesture network sized for "
                                  "the MSP430 (int8-input stride-2 first layer, 2 binary layers)"),
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
