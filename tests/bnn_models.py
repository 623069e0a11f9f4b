"""Helpers for the binary-network tests: zoo networks with seeded, deliberately awkward batch
norms (negative and zero scales, thresholds right at reachable dot products), and the binary
activations of the torch model and of its exported graph side by side."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sdk.bnn.heads import Head
from sdk.bnn.layers import _ThresholdBatchNorm
from sdk.bnn.models import INPUT_SCALE, INPUT_ZERO_POINT, BinaryClassifier
from sdk.ir import Graph
from sdk.radar.gestures import quantize_input
from sdk.reference import run_int8


def seeded_batchnorms(model: BinaryClassifier, seed: int = 0) -> BinaryClassifier:
    """Random batch-norm statistics: a third of the scales negative, channel 0 of every layer
    with scale 0, means spread like the dot products; the head's output range [-20, 20]."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, _ThresholdBatchNorm):
                c = m.num_features
                gamma = rng.uniform(0.2, 2.0, c) * np.where(rng.random(c) < 1 / 3, -1, 1)
                gamma[0] = 0.0
                m.weight.copy_(torch.from_numpy(gamma))
                m.bias.copy_(torch.from_numpy(rng.normal(0, 1, c)))
                m.running_mean.copy_(torch.from_numpy(rng.normal(0, 8, c)))
                m.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 30, c)))
        model.head.bn.weight[0] = 1.0  # an int8 head refuses a zero scale
        model.head.low.fill_(-20.0)
        model.head.high.fill_(20.0)
    return model.eval()


def thresholds_at_observed_dots(model: BinaryClassifier, x: torch.Tensor,
                                offset: float = 0.0) -> None:
    """Move every hidden batch norm's mean to a dot product the layer really produces on ``x``
    (plus ``offset``) and its shift to 0, so the pre-activation of many outputs is exactly
    (or within ``offset`` of) the threshold."""
    seen: list[tuple[_ThresholdBatchNorm, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda mod, args, out: seen.append((mod, args[0])))
             for m in hidden_batchnorms(model)]
    with torch.no_grad():
        model.logits(x)
        for h in hooks:
            h.remove()
        for bn, dots in seen:
            per_channel = dots.transpose(0, 1).reshape(bn.num_features, -1)
            bn.running_mean.copy_(per_channel.median(dim=1).values + offset)
            bn.bias.zero_()


def hidden_batchnorms(model: BinaryClassifier) -> list[_ThresholdBatchNorm]:
    """The batch norms of the binary layers (not the head's)."""
    head = set(map(id, model.head.modules()))
    return [m for m in model.modules() if isinstance(m, _ThresholdBatchNorm)
            and id(m) not in head]


def torch_binary_activations(model: BinaryClassifier, x: torch.Tensor) -> list[np.ndarray]:
    """sign(output) of every hidden batch norm and max pool, in order, NHWC / [N, C] int8."""
    outs: list[np.ndarray] = []

    def keep(mod, args, out):
        v = torch.where(out >= 0, 1, -1).to(torch.int8).numpy()
        outs.append(v.transpose(0, 2, 3, 1) if v.ndim == 4 else v)

    mods = hidden_batchnorms(model) + [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    hooks = [m.register_forward_hook(keep) for m in mods]
    with torch.no_grad():
        model.logits(x)
    for h in hooks:
        h.remove()
    return outs


def graph_input(x: torch.Tensor) -> np.ndarray:
    """Frames NCHW in [0, 1] quantized for the graph (NHWC int8), as the device does."""
    return quantize_input(x.numpy().transpose(0, 2, 3, 1), INPUT_SCALE, INPUT_ZERO_POINT)


def graph_activations(graph: Graph, xq: np.ndarray) -> tuple[list[np.ndarray], np.ndarray,
                                                             np.ndarray]:
    """The binary activations of every binary op but Reshape (in order) and the head's output
    (int8 scores or +1/-1) for each sample, stacked over the batch; then the graph output."""
    per_sample = [run_int8(graph, xq[i:i + 1], keep_intermediates=True) for i in range(len(xq))]
    names = [op.outputs[0] for op in graph.ops if op.type != "Reshape"
             and graph.tensors[op.outputs[0]].dtype == "binary"]
    head = next(op for op in reversed(graph.ops) if op.type == "BinaryDense").outputs[0]
    if graph.tensors[head].dtype == "binary":
        names = names[:-1]
    stack = [np.concatenate([v[n] for v in per_sample]) for n in names]
    return (stack, np.concatenate([v[head] for v in per_sample]),
            np.concatenate([v[graph.outputs[0]] for v in per_sample]))


def head_scores(model: BinaryClassifier, x: torch.Tensor) -> np.ndarray:
    """The eval-mode head's output as the graph holds it: int8 scores, or +1/-1."""
    head: Head = model.head
    with torch.no_grad():
        logits = model.logits(x).numpy()
    if head.kind == "binary":
        return logits.astype(np.int8)
    p = head.int8_params().output
    return (np.rint(logits / p.scale[0]) + p.zero_point[0]).astype(np.int8)
