"""What a pruning run works on: a zoo model, its data splits, and the trained dense model.

``--data`` is a gesture dataset file (from ``tinyprune data synth``; the model defaults to
``gesture_cnn`` and training mirrors the Doppler axis of half of every batch) or ``mnist``,
the shared MNIST digits (``mnist_cnn``; the seeded split of :func:`sdk.train.mnist.mnist_splits`).
The dense model of a seed is trained once and cached as plain arrays (``.npz``, no pickles).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sdk.atomic import write_bytes_atomic
from sdk.errors import ShapeError, TinypruneError
from sdk.prune.retrain import Augment
from sdk.sweep.store import trial_key
from sdk.zoo import get as zoo_get

Split = tuple[np.ndarray, np.ndarray]


@dataclass
class Task:
    """A zoo model and NCHW float splits ``(x, y)`` of its data."""

    model: str
    data: str
    train: Split
    val: Split
    test: Split
    classes: list[str]
    input_shape: tuple[int, int, int, int]
    augment: Augment | None
    lr: float
    batch_size: int
    metadata: dict


def load_task(data: str, model: str | None = None, mnist_seed: int = 0,
              preprocess: dict | None = None, shape_from_data: bool = False,
              digit_augment: str | None = None) -> Task:
    """The splits of ``data`` (a gesture dataset file or ``mnist``, split with ``mnist_seed``
    as `tinyprune train --seed` splits it) for zoo ``model`` (default: the data's own), made
    with ``preprocess`` (a trained model's metadata; None: the data's own); a model whose
    input or preprocessing does not match the data is a one-line error, unless
    ``shape_from_data`` (the input shape is the data's: an architecture search builds its
    candidates for it, and the model only lends its training recipe). ``digit_augment``
    names an augmentation of the MNIST digits (:data:`sdk.train.augment_digits.DIGIT_AUGMENTS`;
    none by default, as the published MNIST figures were trained); gesture data is always
    Doppler-mirrored."""
    if digit_augment is not None:
        from sdk.train.augment_digits import DIGIT_AUGMENTS

        if data != "mnist" or digit_augment not in DIGIT_AUGMENTS:
            raise TinypruneError(f"augmentation {digit_augment!r} on {data}: expected "
                                 f"{' or '.join(DIGIT_AUGMENTS)} on mnist (gesture data is "
                                 "always Doppler-mirrored)")
    if data == "mnist":
        from sdk.train.augment_digits import DIGIT_AUGMENTS
        from sdk.train.mnist import mnist_splits

        s = mnist_splits(mnist_seed)
        name = model or "mnist_cnn"
        task = Task(name, data, s.train, s.val, s.test, [str(d) for d in range(10)],
                    zoo_get(name).input_shape,
                    DIGIT_AUGMENTS[digit_augment] if digit_augment is not None else None,
                    3e-3, 64, {})
    else:
        from sdk.radar.augment import doppler_mirror
        from sdk.radar.dataset import model_splits
        from sdk.train.zoo_fit import nchw

        g = model_splits(data, preprocess, f"model {model or 'gesture_cnn'}")
        name = model or "gesture_cnn"
        task = Task(name, data, (nchw(g.train.x), g.train.y), (nchw(g.val.x), g.val.y),
                    (nchw(g.test.x), g.test.y), list(g.classes), zoo_get(name).input_shape,
                    doppler_mirror, 2e-3, 32, {"preprocess": g.preprocess.to_dict()})
    if shape_from_data:
        c, h, w = task.train[0].shape[1:]
        task.input_shape = (1, int(c), int(h), int(w))
    elif tuple(task.train[0].shape[1:]) != task.input_shape[1:]:
        raise ShapeError(f"--data {data}: samples are {list(task.train[0].shape[1:])} (CHW), "
                         f"model {name} expects {list(task.input_shape[1:])}")
    return task


def dense_module(task: Task, seed: int, epochs: int, cache: Path | None = None,
                 progress: bool = False) -> nn.Module:
    """The dense model of ``task`` trained with ``seed`` (cosine schedule, early stopping on
    validation, at most ``epochs`` epochs), read from ``cache`` when it was trained before."""
    from sdk.train.loop import train_classifier

    key = trial_key({"model": task.model, "data": task.data, "seed": seed, "epochs": epochs})
    path = cache / f"dense-{task.model}-{key}.npz" if cache is not None else None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = zoo_get(task.model).factory()
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as npz:
            module.load_state_dict({k: torch.as_tensor(npz[k]) for k in npz.files})
        return module.eval()
    train_classifier(module, task.train, task.val, epochs=epochs, lr=task.lr,
                     batch_size=task.batch_size, seed=seed, patience=8, progress=progress,
                     augment=task.augment, schedule="cosine")
    if path is not None:
        buf = io.BytesIO()
        np.savez(buf, **{k: v.numpy() for k, v in module.state_dict().items()})
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, buf.getvalue())
    return module.eval()


def accuracy(module: nn.Module, split: Split) -> float:
    """Fraction of ``split`` the module classifies correctly (eval mode)."""
    from sdk.train.loop import evaluate

    return evaluate(module, split[0], split[1]).accuracy
