"""A generic, seeded training loop for classifiers, with early stopping on validation.

The loss is cross-entropy on the model's logits unless another is given
(:mod:`sdk.train.losses`, e.g. the hinge loss of margin maximization). Zoo models end in
Softmax (so the exported graph outputs probabilities) and expose the pre-softmax scores as
``model.logits(x)``; for any other model ``model(x)`` is taken to return logits.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch import nn

from sdk.errors import ShapeError, TinypruneError
from sdk.train.losses import ClassifierLoss, logits_of


@dataclass(frozen=True)
class Metrics:
    """Mean cross-entropy ``loss`` and ``accuracy`` (fraction correct) over a data set."""

    loss: float
    accuracy: float


@dataclass(frozen=True)
class EpochStats:
    """One epoch: training metrics (averaged over its batches), validation metrics, time."""

    epoch: int
    train: Metrics
    val: Metrics
    seconds: float


@dataclass
class TrainResult:
    """The outcome of :func:`train_classifier`; the model holds the weights of ``best_epoch``."""

    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    best_val_accuracy: float = 0.0
    stopped_early: bool = False


def _as_tensors(data: tuple[np.ndarray, np.ndarray], what: str) -> tuple[torch.Tensor, ...]:
    x, y = data
    if len(x) != len(y) or len(x) == 0:
        raise ShapeError(f"{what}: {len(x)} inputs and {len(y)} labels (need the same, > 0)")
    return torch.as_tensor(np.asarray(x, dtype=np.float32)), torch.as_tensor(
        np.asarray(y, dtype=np.int64))


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> Metrics:
    """Loss and accuracy of ``model`` (in eval mode) on inputs ``x`` (NCHW) and labels ``y``."""
    xt, yt = _as_tensors((x, y), "evaluate")
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(xt), batch_size):
            logits = logits_of(model, xt[start:start + batch_size])
            target = yt[start:start + batch_size]
            total_loss += float(F.cross_entropy(logits, target, reduction="sum"))
            correct += int((logits.argmax(dim=1) == target).sum())
    model.train(was_training)
    return Metrics(total_loss / len(xt), correct / len(xt))


def train_classifier(model: nn.Module, train_set: tuple[np.ndarray, np.ndarray],
                     val_set: tuple[np.ndarray, np.ndarray], epochs: int, lr: float,
                     batch_size: int, seed: int, patience: int | None = None,
                     progress: bool = True,
                     augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
                     schedule: str = "constant", weight_decay: float = 0.0,
                     after_step: Callable[[nn.Module], None] | None = None,
                     loss_fn: ClassifierLoss | None = None) -> TrainResult:
    """Train ``model`` with Adam on ``loss_fn`` (cross-entropy by default); keep the weights
    with the best validation.

    ``train_set`` and ``val_set`` are ``(x, y)`` with ``x`` NCHW float and ``y`` integer
    class labels. Each epoch shuffles with a generator seeded by ``seed``; dropout and any
    other randomness draw from torch's global generator, seeded by ``seed`` inside a forked
    RNG state (the caller's state is left as it was). So two runs with the same arguments,
    initial weights and thread count give the same history. The best epoch has the highest
    validation accuracy, ties going to the lower validation loss; training stops after
    ``patience`` epochs without a new best (never, when ``patience`` is None), and the best
    weights are loaded back into ``model``. Progress goes to stderr as a Rich bar.

    ``augment(batch, generator)`` (optional) transforms every training batch (NCHW) with its
    own generator seeded by ``seed``; ``schedule`` is ``"constant"`` or ``"cosine"`` (the
    learning rate falls from ``lr`` to 0 along a half cosine over ``epochs`` epochs, stepped
    per batch); ``weight_decay`` is Adam's L2 penalty; ``after_step(model)`` (optional) runs
    after every optimizer step (binary networks clip their latent weights there);
    ``loss_fn`` (:mod:`sdk.train.losses`) takes its scores from the model and gives the batch's
    loss (validation is always scored by accuracy, ties broken by cross-entropy).
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs}, {batch_size}")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    x, y = _as_tensors(train_set, "train_set")
    loss_fn = loss_fn or ClassifierLoss()
    x_val, y_val = val_set
    result = TrainResult()
    best_key = (-1.0, 0.0)
    best_state = copy.deepcopy(model.state_dict())
    batches = -(-len(x) // batch_size)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), disable=not progress,
                   transient=False)
    with torch.random.fork_rng(devices=[]), bar:
        torch.manual_seed(seed)
        order_gen = torch.Generator().manual_seed(seed)
        augment_gen = torch.Generator().manual_seed(seed + 1)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * batches)
                     if schedule == "cosine" else None)
        task = bar.add_task("training", total=epochs * batches)
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            model.train()
            total_loss, correct = 0.0, 0
            for idx in torch.randperm(len(x), generator=order_gen).split(batch_size):
                batch = x[idx] if augment is None else augment(x[idx], augment_gen)
                logits = loss_fn.scores(model, batch)
                loss = loss_fn(logits, y[idx])
                if not torch.isfinite(loss):
                    raise TinypruneError(f"training: the loss is {loss.item()} in epoch {epoch}; "
                                         "expected a finite loss (check the data for NaN or "
                                         "infinity, or lower the learning rate)")
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if after_step is not None:
                    after_step(model)
                if scheduler is not None:
                    scheduler.step()
                total_loss += loss.item() * len(idx)
                correct += int((logits.argmax(dim=1) == y[idx]).sum())
                bar.advance(task)
            val = evaluate(model, x_val, y_val)
            stats = EpochStats(epoch, Metrics(total_loss / len(x), correct / len(x)), val,
                               time.perf_counter() - started)
            result.history.append(stats)
            key = (val.accuracy, -val.loss)
            if key > best_key:
                best_key, result.best_epoch = key, epoch
                result.best_val_accuracy = val.accuracy
                best_state = copy.deepcopy(model.state_dict())
            bar.update(task, description=(
                f"epoch {epoch}/{epochs} loss {stats.train.loss:.3f} "
                f"val acc {val.accuracy:.3f} (best {result.best_val_accuracy:.3f})"))
            if patience is not None and epoch - result.best_epoch >= patience:
                result.stopped_early = epoch < epochs
                break
    model.load_state_dict(best_state)
    model.eval()
    return result
