"""Weights between the IR and PyTorch for pruning: unstructured pruning of an IR graph's
weights (no retraining: imported ``.tflite`` models), and an IR graph's weights loaded back
into its zoo module so a ``.tpm`` from ``tinyprune train`` can be pruned with retraining."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from sdk.errors import TinypruneError, UnsupportedError
from sdk.ir import Graph
from sdk.prune.criteria import unstructured_masks
from sdk.prune.schedule import check_sparsity

_WEIGHTED = ("Conv2D", "DepthwiseConv2D", "Dense")


def prune_graph_weights(graph: Graph, sparsity: float, criterion: str = "magnitude",
                        exclude: Sequence[str] | None = None, seed: int = 0) -> Graph:
    """A copy of ``graph`` whose weights (every Conv2D/DepthwiseConv2D/Dense but ``exclude``,
    op names; by default the first and the last) are zeroed to ``sparsity`` by ``criterion``,
    with their masks. Integer weights are ranked by their real values."""
    check_sparsity(sparsity, "--amount")
    ops = [op for op in graph.ops if op.type in _WEIGHTED]
    names = [op.name for op in ops]
    if exclude is None:
        exclude = [names[0], names[-1]] if len(names) > 2 else []
    chosen = [op for op in ops if op.name not in exclude]
    if not chosen:
        raise TinypruneError(f"pruning {graph.name!r}: no weighted layer left to prune")
    pruned = copy.deepcopy(graph)
    weights = {}
    for op in chosen:
        t = pruned.tensors[op.inputs[1]]
        w = t.const_data().astype(np.float64)
        if t.quant is not None and t.quant.scale.size > 1:
            shape = [1] * w.ndim
            shape[t.quant.axis or 0] = -1
            w = w * t.quant.scale.reshape(shape)
        if t.mask is not None:
            w = np.where(t.mask, w, 0.0)
        weights[op.name] = torch.as_tensor(w)
    gen = torch.Generator().manual_seed(seed)
    scores = {n: torch.rand(w.shape, generator=gen, dtype=torch.float64) for n, w in weights.items()}
    masks = unstructured_masks(weights, sparsity, criterion, scores)
    layers = {}
    for op in chosen:
        t = pruned.tensors[op.inputs[1]]
        t.mask = masks[op.name].numpy()
        t.data = np.where(t.mask, t.const_data(), 0).astype(t.const_data().dtype)
        layers[op.name] = float(1.0 - t.mask.mean())
    pruned.metadata = {**graph.metadata, "pruning": {
        "method": criterion, "amount": sparsity, "structure": "unstructured",
        "retrain_epochs": 0, "layers": layers}}
    pruned.validate()
    return pruned


def load_into_module(module: nn.Module, graph: Graph) -> nn.Module:
    """Load the float weights of ``graph`` (converted from a module of the same class) into
    ``module``: Conv2d/Linear layers in order against the graph's Conv2D/Dense ops; a folded
    BatchNorm becomes the identity with the folded bias as its shift."""
    if any(t.dtype != "float32" for t in graph.tensors.values()):
        raise UnsupportedError(f"retraining the quantized graph {graph.name!r} (prune its float "
                               "model, then quantize)")
    layers = [m for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    ops = [op for op in graph.ops if op.type in ("Conv2D", "Dense")]
    if len(layers) != len(ops):
        raise UnsupportedError(f"retraining {graph.name!r}: its {len(ops)} Conv2D/Dense ops do "
                               f"not match the {len(layers)} layers of zoo model "
                               f"{type(module).__name__}")
    norms = {id(m): m for m in module.modules() if isinstance(m, nn.BatchNorm2d)}
    following = _batchnorm_after(module)
    with torch.no_grad():
        for layer, op in zip(layers, ops):
            w = graph.tensors[op.inputs[1]].const_data()
            if isinstance(layer, nn.Conv2d):
                w = w.transpose(0, 3, 1, 2)
            elif _reads_flatten(graph, op):
                _, h, wd, c = graph.tensors[graph.producer(op.inputs[0]).inputs[0]].shape  # type: ignore[union-attr]
                w = w.reshape(-1, h, wd, c).transpose(0, 3, 1, 2).reshape(w.shape[0], -1)
            if tuple(w.shape) != tuple(layer.weight.shape):
                raise UnsupportedError(f"retraining {graph.name!r}: op {op.name} has weights "
                                       f"{list(w.shape)}, zoo layer expects "
                                       f"{list(layer.weight.shape)}")
            layer.weight.copy_(torch.as_tensor(w))
            bias = graph.tensors[op.inputs[2]].const_data() if len(op.inputs) > 2 else None
            bn = norms.get(following.get(id(layer), -1))
            if bn is not None:
                bn.reset_parameters()
                bn.running_mean.zero_()  # type: ignore[union-attr]
                bn.running_var.fill_(1.0 - bn.eps)  # type: ignore[union-attr]
                if bias is not None:
                    bn.bias.copy_(torch.as_tensor(bias))
                    if layer.bias is not None:
                        layer.bias.zero_()
            elif bias is not None and layer.bias is not None:
                layer.bias.copy_(torch.as_tensor(bias))
    return module.eval()


def _reads_flatten(graph: Graph, op) -> bool:
    src = graph.producer(op.inputs[0])
    return (src is not None and src.type == "Reshape"
            and len(graph.tensors[src.inputs[0]].shape) == 4)


def _batchnorm_after(module: nn.Module) -> dict[int, int]:
    """``{id(conv): id(batchnorm)}`` for BatchNorm2d layers that directly follow a Conv2d in a
    Sequential (how the zoo writes them)."""
    pairs = {}
    for seq in module.modules():
        if isinstance(seq, nn.Sequential):
            items = list(seq)
            for a, b in zip(items, items[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    pairs[id(a)] = id(b)
    return pairs
