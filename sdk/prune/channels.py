"""Channel pruning of a PyTorch model with Torch-Pruning's dependency graph.

Removing an output channel of a convolution removes the matching input channel of every layer
that reads it, through pooling, flatten (every position of the channel in the following dense
layer) and residual additions (every branch of an ADD drops the same channels): Torch-Pruning
traces those dependencies from the model's autograd graph. Only convolutions lose output
channels; the dense layers keep theirs (the last one is the classes). The result is a smaller
dense model, converted and run as any other.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sdk.errors import TinypruneError
from sdk.prune.criteria import CHANNEL, torch_importance, torch_pruning
from sdk.prune.retrain import Augment, retrain
from sdk.prune.schedule import check_sparsity


def kept_channels(channels: int, ratio: float) -> int:
    """Channels a layer keeps at ``ratio`` (Torch-Pruning's rounding: ``int(C * (1 - r))``)."""
    return int(channels * (1.0 - ratio) + 1e-9)


def check_ratio(layers: dict[str, int], ratio: float) -> None:
    """A one-line error when ``ratio`` is not in [0, 1) or would remove every channel of a
    layer (``layers``: name -> output channels)."""
    check_sparsity(ratio, "--amount")
    for name, channels in layers.items():
        if kept_channels(channels, ratio) < 1:
            raise TinypruneError(f"--amount {ratio:g}: would remove every one of the {channels} "
                                 f"output channels of layer {name}; expected a smaller amount")


def conv_layers(module: nn.Module) -> dict[str, int]:
    """Output channels of every Conv2d (the layers channel pruning shrinks)."""
    return {n: m.out_channels for n, m in module.named_modules() if isinstance(m, nn.Conv2d)}


def _prune_copy(module: nn.Module, example: torch.Tensor, ratio: float, criterion: str,
                seed: int) -> nn.Module:
    tp = torch_pruning()
    pruned = copy.deepcopy(module).eval()
    if criterion == "bn_scale" and not any(isinstance(m, nn.BatchNorm2d) for m in pruned.modules()):
        raise TinypruneError(f"--method bn_scale: model has no BatchNorm layer; use one of "
                             f"{', '.join(c for c in CHANNEL if c != 'bn_scale')}")
    if ratio == 0.0:
        return pruned
    ignored = [m for m in pruned.modules() if isinstance(m, nn.Linear)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # RandomImportance draws from torch's generator
        pruner = tp.pruner.MetaPruner(pruned, example, importance=torch_importance(criterion),
                                      pruning_ratio=ratio, ignored_layers=ignored,
                                      global_pruning=False)
        pruner.step()
    return pruned


def macs_of(module: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one inference as the IR counts them."""
    from sdk.frontends.pytorch import from_torch

    graph = from_torch(module, input_shape, "macs")
    return sum(graph.macs(op) for op in graph.ops)


def ratio_for_macs(macs: Callable[[float], int], target: int, what: str,
                   smallest_layer: int) -> float:
    """The smallest ratio (bisection, 8 halvings) whose model has at most ``target`` MACs
    (``macs(ratio)``); a one-line error when even the largest ratio keeping a channel in the
    ``smallest_layer``-channel layer is above it."""
    lo, hi = 0.0, 1.0 - 1.0 / smallest_layer
    if macs(lo) <= target:
        return lo
    if macs(hi) > target:
        raise TinypruneError(f"--target-macs {target:,}: {what} cannot get that small while "
                             "keeping a channel in every layer")
    for _ in range(8):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if macs(mid) <= target else (mid, hi)
    return hi


@dataclass
class ChannelResult:
    """A channel-pruned model and the record of what was removed."""

    module: nn.Module
    record: dict


def channel_prune(module: nn.Module, input_shape: tuple[int, ...], criterion: str,
                  amount: float | None = None, target_macs: int | None = None,
                  train: tuple[np.ndarray, np.ndarray] | None = None, epochs: int = 0,
                  seed: int = 0, lr: float = 5e-4, batch_size: int = 32,
                  augment: Augment | None = None, progress: bool = False,
                  cosine: bool = False) -> ChannelResult:
    """Remove the fraction ``amount`` of every convolution's output channels (or as many as it
    takes to reach ``target_macs``), ranked by ``criterion``, then retrain ``epochs`` epochs
    on ``train`` (none for 0; Adam at ``lr``, falling along a half cosine with ``cosine``).
    ``module`` is not modified."""
    if criterion not in CHANNEL:
        raise TinypruneError(f"channel pruning: criterion {criterion!r}; expected one of "
                             f"{', '.join(CHANNEL)}")
    if (amount is None) == (target_macs is None):
        raise TinypruneError("channel pruning: give exactly one of --amount and --target-macs")
    layers = conv_layers(module)
    example = torch.zeros(input_shape)
    if target_macs is not None:
        def macs(ratio: float) -> int:
            check_ratio(layers, ratio)
            return macs_of(_prune_copy(module, example, ratio, criterion, seed), input_shape)

        amount = ratio_for_macs(macs, target_macs, f"model {type(module).__name__}",
                                min(layers.values()))
    assert amount is not None
    check_ratio(layers, amount)
    pruned = _prune_copy(module, example, amount, criterion, seed)
    if epochs > 0:
        if train is None:
            raise TinypruneError("channel pruning with retraining needs training data")
        retrain(pruned, train[0], train[1], epochs, seed, lr, batch_size, augment, None, progress,
                cosine)
    after = conv_layers(pruned)
    removed = sum(layers.values()) - sum(after.values())
    record = {"method": criterion, "amount": amount, "structure": "channels",
              "retrain_epochs": epochs, "channels": {n: [layers[n], after[n]] for n in layers},
              "channels_removed_fraction": removed / max(1, sum(layers.values()))}
    if target_macs is not None:
        record["target_macs"] = target_macs
    return ChannelResult(pruned, record)
