"""Train the zoo's gesture CNN briefly on placeholder data and convert it (for the demo).

A few seconds of CPU time on an idle 2-core machine; the result is a real trained network
whose IR graph the demo compiles and runs on a board. The data is PLACEHOLDER data (see
:mod:`sdk.train.placeholder`) until the radar simulator replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sdk.frontends.pytorch import from_torch
from sdk.ir import Graph
from sdk.train.loop import TrainResult, evaluate, train_classifier
from sdk.train.placeholder import placeholder_gestures
from sdk.zoo import get as zoo_get


@dataclass
class TrainedGestureModel:
    """A trained gesture CNN, its IR graph and held-out test data.

    ``x_test_nhwc`` is in the IR's (and the device's) input layout ``[N, 30, 20, 1]``; feed
    ``x_test_nhwc[i:i+1]`` to the graph. ``y_test`` indexes the graph's
    ``metadata["class_names"]``.
    """

    module: nn.Module
    graph: Graph
    x_test_nhwc: np.ndarray
    y_test: np.ndarray
    result: TrainResult
    test_accuracy: float


def train_gesture_demo(seed: int = 0, n_per_class: int = 150, epochs: int = 8,
                       progress: bool = True) -> TrainedGestureModel:
    """Train ``gesture_cnn`` on placeholder data (seeded) and convert it to IR.

    Train, validation and test sets are drawn independently (``n_per_class``, and a quarter
    of it each for validation and test). Early stopping keeps the epoch with the best
    validation accuracy. The graph's metadata records the class names and how it was trained.
    """
    entry = zoo_get("gesture_cnn")
    train = placeholder_gestures(n_per_class, seed)
    val = placeholder_gestures(max(n_per_class // 4, 1), seed + 1)
    x_test, y_test = placeholder_gestures(max(n_per_class // 4, 1), seed + 2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = entry.factory()
    result = train_classifier(module, train, val, epochs=epochs, lr=2e-3, batch_size=32,
                              seed=seed, patience=3, progress=progress)
    test_accuracy = evaluate(module, x_test, y_test).accuracy
    graph = from_torch(module, entry.input_shape, "gesture_cnn")
    graph.metadata["class_names"] = list(entry.class_names)
    graph.metadata["training"] = {
        "data": "placeholder (invented images, sdk.train.placeholder), not radar",
        "seed": seed, "n_per_class": n_per_class, "epochs_run": len(result.history),
        "best_epoch": result.best_epoch, "best_val_accuracy": result.best_val_accuracy,
        "test_accuracy": test_accuracy,
    }
    return TrainedGestureModel(module, graph, x_test.transpose(0, 2, 3, 1).copy(), y_test,
                               result, test_accuracy)
