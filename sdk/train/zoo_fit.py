"""Train a zoo model on preprocessed frames and convert it to IR, with its test report.

This is what ``tinyprune train`` and the demo do: fit (seeded, early stopping on
validation), evaluate on the held-out test split, build the confusion matrix, and convert the
best weights to an IR graph whose metadata carries the class names, the preprocessing
configuration and how it was trained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sdk.frontends.pytorch import from_torch
from sdk.ir import Graph
from sdk.train.loop import TrainResult, evaluate, train_classifier
from sdk.train.losses import ClassifierLoss
from sdk.zoo import ZooEntry
from sdk.zoo import get as zoo_get


@dataclass
class FitReport:
    """A trained model, its graph, and its accuracy on validation and test frames.

    ``confusion[i, j]`` counts test frames of true class i predicted as class j.
    """

    module: nn.Module
    graph: Graph
    result: TrainResult
    val_accuracy: float
    test_accuracy: float
    confusion: np.ndarray
    classes: list[str]


def nchw(frames: np.ndarray) -> np.ndarray:
    """Frames ``[N, H, W]`` (or ``[N, H, W, 1]``) as the ``[N, 1, H, W]`` PyTorch expects."""
    x = np.asarray(frames, dtype=np.float32)
    return x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true, predicted) pairs."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def predict(module: nn.Module, x_nchw: np.ndarray) -> np.ndarray:
    """Class indices predicted by ``module`` in eval mode."""
    module.eval()
    with torch.no_grad():
        return module(torch.as_tensor(x_nchw)).argmax(dim=1).numpy()


def fit_zoo_model(name: str, train: tuple[np.ndarray, np.ndarray],
                  val: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                  classes: list[str], epochs: int = 15, seed: int = 0, lr: float = 2e-3,
                  batch_size: int = 32, patience: int = 4, progress: bool = True,
                  metadata: dict | None = None,
                  augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
                  schedule: str = "constant", weight_decay: float = 0.0,
                  model_options: dict | None = None, context_frames: int = 1,
                  loss_fn: ClassifierLoss | None = None,
                  train_ber: float | None = None) -> FitReport:
    """Train zoo model ``name`` on ``(frames, labels)`` splits and convert it to IR.

    Frames are ``[N, H, W]`` (one channel) or NHWC; the model takes their shape and one output
    per class (``context_frames`` tells a time-context model how many frames the rows stack).
    The initial weights, shuffling and dropout
    all follow ``seed``; ``torch`` uses at most 2 threads so results do not depend on the core
    count of a bigger machine. ``augment``, ``schedule`` and ``weight_decay`` go to
    :func:`sdk.train.loop.train_classifier`, and ``loss_fn`` (cross-entropy by default,
    :mod:`sdk.train.losses`); ``model_options`` to the zoo factory. A binary
    network (``entry.binary``) has its latent weights clipped after every step
    (:func:`sdk.bnn.layers.clip_latent_weights`) and is converted by
    :func:`sdk.bnn.export.export_binary`, whose graph decides exactly as the eval-mode module.
    ``train_ber`` flips its binary weights' bits at that rate in every training forward
    (:mod:`sdk.bnn.bit_flip`).
    """
    entry = zoo_get(name)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    x_train, x_val, x_test = nchw(train[0]), nchw(val[0]), nchw(test[0])
    input_shape = (1, *x_train.shape[1:])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = entry.build(len(classes), input_shape[2:], context_frames,
                             **(model_options or {}))
    after_step = None
    if entry.binary:
        from sdk.bnn.layers import clip_latent_weights

        after_step = clip_latent_weights
    if train_ber is not None:
        from sdk.bnn.bit_flip import add_bit_flips

        add_bit_flips(module, train_ber, seed)
    result = train_classifier(module, (x_train, train[1]), (x_val, val[1]), epochs=epochs,
                              lr=lr, batch_size=batch_size, seed=seed, patience=patience,
                              progress=progress, augment=augment, schedule=schedule,
                              weight_decay=weight_decay, after_step=after_step,
                              loss_fn=loss_fn)
    test_accuracy = evaluate(module, x_test, test[1]).accuracy
    confusion = confusion_matrix(test[1], predict(module, x_test), len(classes))
    graph = _convert(module, entry, name, input_shape)
    graph.metadata.update(metadata or {})
    graph.metadata["class_names"] = list(classes)
    graph.metadata["training"] = {
        "seed": seed, "epochs_run": len(result.history), "best_epoch": result.best_epoch,
        "lr": lr, "schedule": schedule, "weight_decay": weight_decay,
        "loss": (loss_fn or ClassifierLoss()).describe(),
        "augment": getattr(augment, "__name__", None) if augment is not None else None,
        "val_accuracy": result.best_val_accuracy, "test_accuracy": test_accuracy,
        "frames": {"train": len(train[1]), "val": len(val[1]), "test": len(test[1])},
        **({"model_options": dict(model_options)} if model_options else {}),
        **({"train_ber": train_ber} if train_ber is not None else {}),
    }
    return FitReport(module, graph, result, result.best_val_accuracy, test_accuracy, confusion,
                     list(classes))


def _convert(module: nn.Module, entry: ZooEntry, name: str,
             input_shape: tuple[int, ...]) -> Graph:
    if entry.binary:
        from sdk.bnn.export import export_binary

        return export_binary(module, input_shape, name)  # type: ignore[arg-type]
    return from_torch(module, input_shape, name)
