"""Small trial functions for the sweep executor's tests (module-level, so a process pool or a
Ray worker with this folder on its path can import them)."""

from __future__ import annotations

import os
from pathlib import Path

from sdk.errors import TinypruneError


def torch_fit(config: dict) -> dict:
    """A seeded least-squares fit by gradient descent in float32 torch (its sums depend on
    the thread count, which the executor pins): the final loss, its weights' sum and the
    thread count the trial saw. A negative seed is a user-level error."""
    import torch

    if config["seed"] < 0:
        raise TinypruneError(f"seed {config['seed']} is negative")
    gen = torch.Generator().manual_seed(config["seed"])
    x = torch.randn(512, config["width"], generator=gen)
    y = x @ torch.randn(config["width"], 4, generator=gen) + 0.1 * torch.randn(512, 4, generator=gen)
    w = torch.zeros(config["width"], 4, requires_grad=True)
    for _ in range(config["steps"]):
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.05 * w.grad
            w.grad.zero_()
    return {"loss": loss.item(), "weight_sum": w.sum().item(), "threads": torch.get_num_threads()}


def crash_while_file(config: dict) -> dict:
    """Squares ``x``, except that ``x`` 3 crashes (a bug, not a user error) while the file
    ``config["crash_file"]`` exists; the result names the process that ran it."""
    if config["x"] == 3 and Path(config["crash_file"]).exists():
        raise RuntimeError("trial 3 crashed")
    return {"y": config["x"] ** 2, "pid": os.getpid()}
