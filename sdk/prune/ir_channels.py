"""Channel pruning in the IR, for graphs without a PyTorch model (an imported ``.tflite``,
float or int8), without retraining.

Tensors whose channels must be removed together form one group: a convolution's output, the
pools, (de)quantizations and depthwise convolutions (multiplier 1) that carry its channels
through, and every branch and the output of a residual ADD. A group loses channels only when
every channel in it is made by a Conv2D (not the graph input, not a Dense) and every reader is
one the removal can follow: a Conv2D (its input channels), a depthwise convolution, a pool, an
ADD, or a flatten followed by Dense layers (every position of the channel). Graph outputs and
anything else pin their group.
"""

from __future__ import annotations

import copy

import numpy as np

from sdk.errors import TinypruneError
from sdk.ir import Graph, Op, QuantParams
from sdk.prune.channels import check_ratio, kept_channels, ratio_for_macs
from sdk.prune.criteria import CHANNEL, filter_scores

_CARRY = ("MaxPool2D", "AvgPool2D", "Quantize", "Dequantize")


class _Groups:
    """Union-find over tensor names."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, t: str) -> str:
        self.parent.setdefault(t, t)
        while self.parent[t] != t:
            t = self.parent[t]
        return t

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def channel_groups(graph: Graph) -> dict[str, list[str]]:
    """Prunable groups: ``{group: [tensor, ...]}`` (4-D activations whose channels go
    together), keyed by the group's first tensor."""
    groups = _Groups()
    pinned: set[str] = set(graph.inputs) | set(graph.outputs)
    makers: dict[str, list[Op]] = {}
    for op in graph.ops:
        x, out = op.inputs[0], op.outputs[0]
        rank4 = len(graph.tensors[x].shape) == 4
        if op.type == "Conv2D":
            makers.setdefault(out, []).append(op)
        elif op.type == "DepthwiseConv2D" and op.attrs.get("depth_multiplier", 1) == 1:
            groups.union(x, out)
        elif op.type in _CARRY and rank4:
            groups.union(x, out)
        elif op.type == "Add" and rank4:
            groups.union(op.inputs[0], out)
            groups.union(op.inputs[1], out)
        elif op.type == "Reshape" and rank4 and len(graph.tensors[out].shape) == 2:
            if not all(c.type == "Dense" and c.inputs[0] == out for c in graph.consumers(out)) \
                    or out in graph.outputs:
                pinned.add(x)
        elif rank4:
            pinned.add(x)
    members: dict[str, list[str]] = {}
    for name, t in graph.tensors.items():
        if len(t.shape) == 4 and not t.is_constant:
            members.setdefault(groups.find(name), []).append(name)
    carried = _CARRY + ("Add", "DepthwiseConv2D")
    prunable: dict[str, list[str]] = {}
    for tensors in members.values():
        producers = [graph.producer(t) for t in tensors]
        # Every channel of the group made by a Conv2D, or carried from one (inputs are pinned).
        made_here = all(t in makers or (p is not None and p.type in carried)
                        for t, p in zip(tensors, producers))
        if made_here and any(t in makers for t in tensors) and not set(tensors) & pinned:
            prunable[tensors[0]] = tensors
    return prunable


def _real_weights(graph: Graph, name: str, axis: int) -> np.ndarray:
    """A weight tensor in real values, output channels first."""
    t = graph.tensors[name]
    w = t.const_data().astype(np.float64)
    if t.quant is not None and t.dtype != "float32":
        shape = [1] * w.ndim
        shape[t.quant.axis if t.quant.axis is not None else 0] = -1
        w = (w - t.quant.zero_point.reshape(shape)) * t.quant.scale.reshape(shape)
    return np.moveaxis(w, axis, 0)


def _slice_const(graph: Graph, name: str, keep: np.ndarray, axis: int) -> None:
    """Keep entries ``keep`` of constant ``name`` along ``axis`` (data, mask, per-channel
    quantization parameters)."""
    t = graph.tensors[name]
    t.data = np.ascontiguousarray(np.take(t.const_data(), keep, axis=axis))
    if t.mask is not None:
        t.mask = np.take(t.mask, keep, axis=axis)
    if t.quant is not None and t.quant.axis == axis and t.quant.scale.size > 1:
        t.quant = QuantParams(t.quant.scale[keep], t.quant.zero_point[keep], axis)
    t.shape = t.data.shape


def _remove(graph: Graph, tensors: list[str], keep: np.ndarray) -> None:
    """Keep channels ``keep`` of every tensor of one group, and the weights that make or read
    them."""
    group = set(tensors)
    for op in graph.ops:
        if op.outputs[0] in group and op.type in ("Conv2D", "DepthwiseConv2D"):
            axis = 0 if op.type == "Conv2D" else 3
            _slice_const(graph, op.inputs[1], keep, axis)
            if len(op.inputs) > 2:
                _slice_const(graph, op.inputs[2], keep, 0)
        if op.inputs[0] in group and op.type == "Conv2D":
            _slice_const(graph, op.inputs[1], keep, 3)
        if op.inputs[0] in group and op.type == "Reshape":
            _, h, w, c = graph.tensors[op.inputs[0]].shape
            cols = (np.arange(h * w)[:, None] * c + keep[None, :]).ravel()
            for dense in graph.consumers(op.outputs[0]):
                _slice_const(graph, dense.inputs[1], cols, 1)
            flat = graph.tensors[op.outputs[0]]
            flat.shape = (flat.shape[0], h * w * len(keep))
            op.attrs["shape"] = list(flat.shape)
    for name in tensors:
        t = graph.tensors[name]
        t.shape = (*t.shape[:3], len(keep))


def _scores(graph: Graph, tensors: list[str], criterion: str, rng: np.random.Generator
            ) -> np.ndarray:
    total = None
    for op in graph.ops:
        if op.outputs[0] in tensors and op.type == "Conv2D":
            s = filter_scores(_real_weights(graph, op.inputs[1], 0), criterion, rng)
            total = s if total is None else total + s
    assert total is not None, "a prunable group has a Conv2D maker"
    return total


def _makers(graph: Graph, tensors: list[str]) -> dict[str, int]:
    return {op.name: graph.tensors[op.outputs[0]].shape[3] for op in graph.ops
            if op.type == "Conv2D" and op.outputs[0] in tensors}


def plan_channels(graph: Graph, ratio: float, criterion: str = "l1_filter", seed: int = 0
                  ) -> list[tuple[list[str], np.ndarray]]:
    """For every prunable group, its tensors and the sorted channels it keeps at ``ratio``
    (the highest-ranked by ``criterion``, scores of a group's convolutions summed)."""
    if criterion not in CHANNEL:
        raise TinypruneError(f"channel pruning: criterion {criterion!r}; expected one of "
                             f"{', '.join(CHANNEL)}")
    groups = channel_groups(graph)
    if not groups:
        raise TinypruneError(f"channel pruning {graph.name!r}: no convolution whose channels "
                             "can be removed (every one feeds a graph output or an op the "
                             "removal cannot follow)")
    check_ratio({k: v for tensors in groups.values() for k, v in _makers(graph, tensors).items()},
                ratio)
    rng = np.random.default_rng(seed)
    plan = []
    for tensors in groups.values():
        channels = graph.tensors[tensors[0]].shape[3]
        order = np.argsort(-_scores(graph, tensors, criterion, rng), kind="stable")
        plan.append((tensors, np.sort(order[:kept_channels(channels, ratio)])))
    return plan


def prune_graph_channels(graph: Graph, ratio: float, criterion: str = "l1_filter",
                         seed: int = 0) -> Graph:
    """A copy of ``graph`` without the channels :func:`plan_channels` drops."""
    plan = plan_channels(graph, ratio, criterion, seed)
    pruned = copy.deepcopy(graph)
    for tensors, keep in plan:
        _remove(pruned, tensors, keep)
    total = sum(graph.tensors[t[0]].shape[3] for t, _ in plan)
    kept = sum(len(k) for _, k in plan)
    pruned.metadata = {**graph.metadata, "pruning": {
        "method": criterion, "amount": ratio, "structure": "channels", "retrain_epochs": 0,
        "channels_removed_fraction": (total - kept) / total}}
    pruned.validate()
    return pruned


def prune_graph_to_macs(graph: Graph, target_macs: int, criterion: str = "l1_filter",
                        seed: int = 0) -> Graph:
    """The least-pruned copy of ``graph`` (ratio to 1/256) with at most ``target_macs`` MACs."""
    groups = channel_groups(graph)
    smallest = min((graph.tensors[t[0]].shape[3] for t in groups.values()), default=1)

    def macs(ratio: float) -> int:
        g = prune_graph_channels(graph, ratio, criterion, seed) if ratio > 0 else graph
        return sum(g.macs(op) for op in g.ops)

    ratio = ratio_for_macs(macs, target_macs, f"graph {graph.name!r}", max(smallest, 2))
    return prune_graph_channels(graph, ratio, criterion, seed) if ratio > 0 else graph
