"""A binary network's float twin: the same layers trained in float with the shared loop, for
the accuracy a binary network is compared with (``tinyprune train --binary --float-twin``).

Binary networks themselves train through :func:`sdk.train.zoo_fit.fit_zoo_model` (which clips
their latent weights after every step and exports them with :mod:`sdk.bnn.export`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from sdk.train.loop import evaluate, train_classifier
from sdk.train.zoo_fit import nchw
from sdk.zoo import get as zoo_get


def float_twin_accuracy(name: str, train: tuple[np.ndarray, np.ndarray],
                        val: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                        classes: list[str], epochs: int, seed: int, lr: float,
                        batch_size: int = 32, patience: int | None = None,
                        progress: bool = True,
                        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor]
                        | None = None, schedule: str = "constant") -> float:
    """Test accuracy of binary zoo network ``name`` built as its float twin (ReLU, float
    weights and input) and trained like the binary one (same splits, seed and schedule)."""
    entry = zoo_get(name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = entry.factory(num_classes=len(classes), float_twin=True)
    train_classifier(module, (nchw(train[0]), train[1]), (nchw(val[0]), val[1]),
                     epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, patience=patience,
                     progress=progress, augment=augment, schedule=schedule)
    return evaluate(module, nchw(test[0]), test[1]).accuracy
