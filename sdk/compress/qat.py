"""Quantization-aware fine-tuning in PyTorch, for when post-training quantization loses too much.

The recipe (as TensorFlow's QAT): BatchNorm is first folded into the convolution before it,
because int8 weights are the *folded* ones; then every Conv2d/Linear weight is fake-quantized
per output channel, symmetric in [-127, 127], exactly as :func:`sdk.compress.quantize.
quantize_weights` will quantize it, and activations are fake-quantized per tensor with ranges
tracked as an exponential moving average of their min/max, where the int8 graph will hold them:
after each ReLU/ReLU6, after a Conv2d/Linear that no activation follows, and at the model
input (in front of the first Conv2d/Linear). Gradients pass straight through the rounding
(straight-through estimator) and are zero where an activation is clipped.

Not modelled: the requantization of residual additions (functional ``+``) and the int8
softmax; both cost little. The result goes back through ``from_torch`` and
:func:`sdk.compress.quantize.quantize_graph` like any float model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from sdk.compress.quantize import WEIGHT_MAX
from sdk.errors import UnsupportedError
from sdk.train.loop import TrainResult, train_classifier

_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.Hardtanh)
_TRANSPARENT = (nn.Identity, nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout)


class FakeQuantWeight(nn.Module):
    """Parametrization: per-output-channel symmetric int8 fake quantization (axis 0)."""

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        """``round(w / s) * s`` with ``s = max|w_c| / 127`` per channel; identity gradient."""
        dims = tuple(range(1, w.dim()))
        scale = w.detach().abs().amax(dim=dims, keepdim=True) / WEIGHT_MAX
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        q = torch.clamp(torch.round(w / scale), -WEIGHT_MAX, WEIGHT_MAX) * scale
        return w + (q - w).detach()


class FakeQuantActivation(nn.Module):
    """Per-tensor asymmetric int8 fake quantization with an EMA of the observed range."""

    # Buffers (registered in __init__), declared for the type checker.
    low: torch.Tensor
    high: torch.Tensor
    seen: torch.Tensor

    def __init__(self, momentum: float = 0.01) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer("low", torch.tensor(0.0))
        self.register_buffer("high", torch.tensor(0.0))
        self.register_buffer("seen", torch.tensor(False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Quantize-dequantize ``x`` with the tracked range (updated in training mode)."""
        if self.training:
            lo, hi = x.detach().min(), x.detach().max()
            if not bool(self.seen):
                self.low.copy_(lo)
                self.high.copy_(hi)
                self.seen.fill_(True)
            else:
                self.low.lerp_(lo, self.momentum)
                self.high.lerp_(hi, self.momentum)
        lo, hi = torch.clamp(self.low, max=0.0), torch.clamp(self.high, min=0.0)
        if float(hi - lo) <= 0.0:
            return x
        scale = (hi - lo) / 255.0
        zero_point = torch.round(-128.0 - lo / scale)
        clipped = torch.minimum(torch.maximum(x, lo), hi)  # zero gradient outside the range
        q = (torch.clamp(torch.round(clipped / scale) + zero_point, -128, 127) - zero_point) * scale
        return clipped + (q - clipped).detach()


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Fold each BatchNorm2d that directly follows a Conv2d in an ``nn.Sequential`` into it
    (in place; the BatchNorm becomes Identity). Returns ``model``."""
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        for i in range(1, len(seq)):
            conv, bn = seq[i - 1], seq[i]
            if not (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)):
                continue
            mean, var = bn.running_mean, bn.running_var
            if mean is None or var is None:
                raise UnsupportedError(f"folding BatchNorm2d {i} of a Sequential without running "
                                       "statistics (track_running_stats=False)")
            with torch.no_grad():
                gain = bn.weight / torch.sqrt(var + bn.eps)
                bias = conv.bias if conv.bias is not None else torch.zeros_like(mean)
                conv.weight.mul_(gain.reshape(-1, 1, 1, 1))
                conv.bias = nn.Parameter((bias - mean) * gain + bn.bias)
            seq[i] = nn.Identity()
    return model


@dataclass
class QatHandle:
    """What :func:`prepare_qat` attached, so :func:`finish_qat` can take it off again."""

    model: nn.Module
    layers: list[nn.Module] = field(default_factory=list)
    hooks: list = field(default_factory=list)
    observers: list[FakeQuantActivation] = field(default_factory=list)


def _followed_by_activation(model: nn.Module) -> set[int]:
    """ids of Conv2d/Linear modules whose next non-transparent sibling is an activation."""
    covered = set()
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        kids = list(seq)
        for i, m in enumerate(kids):
            rest = [k for k in kids[i + 1:] if not isinstance(k, _TRANSPARENT)]
            if rest and isinstance(rest[0], _ACTIVATIONS):
                covered.add(id(m))
    return covered


def prepare_qat(model: nn.Module) -> QatHandle:
    """Fold BatchNorm and attach weight and activation fake quantization to ``model`` (in place)."""
    fold_batchnorm(model)
    handle = QatHandle(model)
    covered = _followed_by_activation(model)
    first = True
    for m in list(model.modules()):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            parametrize.register_parametrization(m, "weight", FakeQuantWeight())
            handle.layers.append(m)
            if first:
                handle.hooks.append(m.register_forward_pre_hook(
                    _observer_hook(handle, pre=True)))
                first = False
            if id(m) not in covered:
                handle.hooks.append(m.register_forward_hook(_observer_hook(handle)))
        elif isinstance(m, _ACTIVATIONS):
            handle.hooks.append(m.register_forward_hook(_observer_hook(handle)))
    return handle


def _observer_hook(handle: QatHandle, pre: bool = False):
    observer = FakeQuantActivation()
    handle.observers.append(observer)
    if pre:
        return lambda module, args: (observer.train(module.training)(args[0]),) + args[1:]
    return lambda module, args, out: observer.train(module.training)(out)


def finish_qat(handle: QatHandle) -> nn.Module:
    """Remove the fake quantization; the weights keep their fake-quantized (int8-exact) values."""
    for h in handle.hooks:
        h.remove()
    for m in handle.layers:
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    return handle.model


def qat_finetune(model: nn.Module, train_set: tuple[np.ndarray, np.ndarray],
                 val_set: tuple[np.ndarray, np.ndarray], epochs: int = 3, lr: float = 1e-4,
                 batch_size: int = 64, seed: int = 0,
                 progress: bool = True) -> tuple[nn.Module, TrainResult]:
    """Fine-tune a copy of the trained ``model`` with fake quantization; returns the plain float
    copy (BatchNorm folded, weights on the int8 grid) and the training history.

    Convert the result with ``from_torch`` and quantize it with ``quantize_graph``.
    """
    handle = prepare_qat(copy.deepcopy(model))
    result = train_classifier(handle.model, train_set, val_set, epochs=epochs, lr=lr,
                              batch_size=batch_size, seed=seed, progress=progress)
    return finish_qat(handle), result
