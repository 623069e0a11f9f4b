"""Channel removal in a binary network (:mod:`sdk.bnn.models`), keeping every shape consistent.

Removing output channels of a binary block (``QuantConv2d`` or hidden ``QuantLinear`` and its
threshold batch norm) removes the same rows of its weights and batch norm, and the matching
inputs of the layer that reads it: the next convolution's input channels (through a max pool,
which keeps channels), or, after a Flatten of an NCHW tensor, every position of the channel in
the next dense layer (columns ``c * H * W + p``), or the next dense layer's inputs. The first
layer (int8 input, binary weights) can lose output channels like any other; the head keeps its
outputs (the classes) and only loses inputs. The export then packs the smaller layers as usual
(the dense packing group after a Flatten is the new channel count).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sdk.bnn.heads import Head
from sdk.bnn.layers import QuantConv2d, QuantLinear, _ThresholdBatchNorm
from sdk.bnn.models import BinaryClassifier
from sdk.errors import ShapeError


@dataclass(frozen=True)
class Block:
    """A prunable block: its name (the layer's module name), layer and batch norm."""

    name: str
    layer: QuantConv2d | QuantLinear
    bn: _ThresholdBatchNorm

    @property
    def width(self) -> int:
        """Output channels (or units)."""
        return int(self.layer.weight.shape[0])


def _sequence(model: BinaryClassifier) -> list[tuple[str, nn.Module]]:
    return [*((f"features.{n}", m) for n, m in model.features.named_children()),
            *((f"classifier.{n}", m) for n, m in model.classifier.named_children())]


def blocks(model: BinaryClassifier) -> list[Block]:
    """The blocks whose output channels can be removed, in order (every binary layer but the
    head)."""
    seq = _sequence(model)
    found = []
    for (name, m), (_, nxt) in zip(seq, seq[1:]):
        if isinstance(m, (QuantConv2d, QuantLinear)) and isinstance(nxt, _ThresholdBatchNorm):
            found.append(Block(name, m, nxt))
    return found


def _rows(p: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    return p.detach()[idx].clone()


def _slice_bn(bn: _ThresholdBatchNorm, idx: torch.Tensor) -> None:
    bn.weight = nn.Parameter(_rows(bn.weight, idx))
    bn.bias = nn.Parameter(_rows(bn.bias, idx))
    mean, var = bn.running_stats()
    bn.running_mean = _rows(mean, idx)
    bn.running_var = _rows(var, idx)
    bn.num_features = int(idx.numel())


def _slice_inputs(layer: QuantConv2d | QuantLinear, idx: torch.Tensor) -> None:
    layer.weight = nn.Parameter(layer.weight.detach()[:, idx].clone())
    if isinstance(layer, QuantConv2d):
        layer.in_channels = int(idx.numel())
    else:
        layer.in_features = int(idx.numel())


def _slice_outputs(layer: QuantConv2d | QuantLinear, idx: torch.Tensor) -> None:
    layer.weight = nn.Parameter(_rows(layer.weight, idx))
    if isinstance(layer, QuantConv2d):
        layer.out_channels = int(idx.numel())
    else:
        layer.out_features = int(idx.numel())


def remove_channels(model: BinaryClassifier, keep: dict[str, np.ndarray]) -> BinaryClassifier:
    """A copy of ``model`` keeping, for each block named in ``keep``, only the output channels
    listed there (indices, at least one); other blocks are unchanged. ``model`` is not
    modified."""
    by_name = {b.name: b for b in blocks(model)}
    for name, idx in keep.items():
        if name not in by_name:
            raise ShapeError(f"channel removal: {name!r} is not a prunable binary layer "
                             f"(expected one of {', '.join(by_name)})")
        width = by_name[name].width
        idx = np.asarray(idx)
        if idx.size < 1 or len(np.unique(idx)) != idx.size or idx.min() < 0 or idx.max() >= width:
            raise ShapeError(f"channel removal: layer {name} keeps {idx.tolist()} of its "
                             f"{width} channels; expected distinct indices in [0, {width})")
    pruned = copy.deepcopy(model)
    pending: torch.Tensor | None = None  # kept channels of the last block's output
    width = 0  # channels of that output before removal
    seq = _sequence(pruned)
    for i, (name, m) in enumerate(seq):
        if isinstance(m, nn.Flatten) and pending is not None:
            reader = next(r for _, r in seq[i + 1:] if isinstance(r, (QuantLinear, Head)))
            linear = reader.linear if isinstance(reader, Head) else reader
            positions = linear.in_features // width
            pending = (pending[:, None] * positions + torch.arange(positions)).reshape(-1)
        elif isinstance(m, (QuantConv2d, QuantLinear, Head)):
            layer = m.linear if isinstance(m, Head) else m
            if pending is not None:
                _slice_inputs(layer, pending)
                pending = None
            if name in keep:
                rows = torch.as_tensor(np.sort(np.asarray(keep[name])), dtype=torch.long)
                width = int(layer.weight.shape[0])
                _slice_outputs(layer, rows)
                bn = seq[i + 1][1]
                assert isinstance(bn, _ThresholdBatchNorm)
                _slice_bn(bn, rows)
                pending = rows
    return pruned


def widths(model: BinaryClassifier) -> dict[str, int]:
    """Output channels of every prunable block."""
    return {b.name: b.width for b in blocks(model)}
