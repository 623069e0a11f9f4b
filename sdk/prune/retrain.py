"""A short, seeded fine-tuning loop for pruned models, with a hook after every optimizer step.

Pruning retrains with a fixed budget (epochs, learning rate) rather than early stopping, so
every method and amount gets the same; the magnitude schedule updates its masks from the hook.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from torch import nn

from sdk.errors import TinypruneError

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Optimizer steps in one epoch of ``n`` samples."""
    return -(-n // batch_size)


def retrain(module: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, seed: int,
            lr: float = 5e-4, batch_size: int = 32, augment: Augment | None = None,
            on_step: Callable[[int], None] | None = None, progress: bool = False,
            cosine: bool = False) -> None:
    """Train ``module`` in place for ``epochs`` epochs on NCHW ``x`` and labels ``y`` (Adam,
    cross-entropy on ``module.logits`` when it has one; with ``cosine`` the learning rate
    falls from ``lr`` to 0 along a half cosine); ``on_step(step)`` runs before step 0 and after
    every optimizer step. Seeded like :func:`sdk.train.loop.train_classifier`."""
    xt = torch.as_tensor(np.asarray(x, np.float32))
    yt = torch.as_tensor(np.asarray(y, np.int64))
    logits = getattr(module, "logits", module)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   console=Console(stderr=True), disable=not progress, transient=True)
    with torch.random.fork_rng(devices=[]), bar:
        torch.manual_seed(seed)
        order = torch.Generator().manual_seed(seed)
        aug_gen = torch.Generator().manual_seed(seed + 1)
        optimizer = torch.optim.Adam([p for p in module.parameters() if p.requires_grad], lr=lr)
        total = epochs * steps_per_epoch(len(xt), batch_size)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total) if cosine else None
        task = bar.add_task("retraining", total=total)
        step = 0
        if on_step is not None:
            on_step(step)
        module.train()
        for epoch in range(epochs):
            for idx in torch.randperm(len(xt), generator=order).split(batch_size):
                batch = xt[idx] if augment is None else augment(xt[idx], aug_gen)
                loss = F.cross_entropy(logits(batch), yt[idx])
                if not torch.isfinite(loss):
                    raise TinypruneError(f"retraining: the loss is {loss.item()} in epoch "
                                         f"{epoch + 1}; expected a finite loss")
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                step += 1
                if on_step is not None:
                    on_step(step)
                bar.advance(task)
    module.eval()
