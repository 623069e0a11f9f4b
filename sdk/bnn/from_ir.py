"""A binary network's IR graph (from ``tinyprune train --binary``, possibly pruned) back as a
trainable PyTorch module, so that pruning can retrain it.

The graph keeps only the signs of the weights and integer thresholds, so the module is the
zoo network of the graph's name with the graph's layer widths, and:

* latent weights ``LATENT_INIT * w`` (``w`` the graph's +1/-1 weights, already negated where
  the export folded a negative batch-norm scale; OHWI back to OIHW, NHWC-flattened dense
  columns back to PyTorch's NCHW order): the signs are the graph's, and a weight that the
  retraining pushes the other way flips within a few steps;
* every batch norm rebuilt with a positive scale around the statistics its layer produces on
  ``frames`` (running mean and variance measured in one eval pass), and a shift that puts its
  sign change at the graph's threshold ``t`` (``dot >= t``, crossing at ``t - 0.5``); the int8
  head gets the scale ``s[o] * input_scale``, the bias and the output range of the graph.

The module then decides as the graph does (the export of it recomputes the thresholds from
the module itself, so the exported graph always decides exactly as the module).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import torch

from sdk.bnn.layers import QuantConv2d, QuantLinear, _ThresholdBatchNorm
from sdk.bnn.models import BinaryClassifier
from sdk.bnn.surgery import blocks, remove_channels
from sdk.errors import UnsupportedError
from sdk.ir import Graph
from sdk.zoo import get as zoo_get
from sdk.zoo import names as zoo_names

LATENT_INIT = 0.02
_FAR = float(2 ** 22)  # beyond every reachable dot product: a constant channel


def _binary_ops(graph: Graph) -> list:
    return [op for op in graph.ops if op.type in ("BinaryConv2D", "BinaryDense")]


def _torch_weights(graph: Graph) -> list[np.ndarray]:
    """Each binary layer's weights in PyTorch's layout (OIHW, NCHW-flattened columns)."""
    out, flattened = [], None
    for op in graph.ops:
        if op.type == "Reshape" and len(graph.tensors[op.inputs[0]].shape) == 4:
            flattened = graph.tensors[op.inputs[0]].shape[1:]
        elif op.type in ("BinaryConv2D", "BinaryDense"):
            w = graph.tensors[op.inputs[1]].const_data().astype(np.float32)
            if w.ndim == 4:
                w = w.transpose(0, 3, 1, 2)
            elif flattened is not None:
                h, wd, c = flattened
                w = w.reshape(-1, h, wd, c).transpose(0, 3, 1, 2).reshape(w.shape[0], -1)
                flattened = None
            out.append(np.ascontiguousarray(w))
    return out


def network_of(graph: Graph) -> BinaryClassifier:
    """The zoo network of binary ``graph`` with its layer widths (fresh weights: what its size
    and operations are computed from); a one-line error for a graph that is not one."""
    if graph.name not in zoo_names(binary=True) or "binary" not in graph.metadata:
        raise UnsupportedError(f"not supported: model {graph.name!r} is not a binary zoo "
                               "network from `tinyprune train --binary` (binary ones: "
                               f"{', '.join(zoo_names(binary=True))})")
    options = dict(graph.metadata.get("training", {}).get("model_options", {}))
    options["last"] = graph.metadata["binary"].get("last", options.get("last", "int8"))
    classes = graph.tensors[graph.outputs[0]].shape[-1]
    model = cast(BinaryClassifier, zoo_get(graph.name).factory(num_classes=classes, **options))
    ops = _binary_ops(graph)
    found = blocks(model)
    if len(ops) != len(found) + 1:
        raise UnsupportedError(f"not supported: graph {graph.name} has {len(ops)} binary "
                               f"layers, its zoo network {len(found) + 1}")
    keep = {b.name: np.arange(graph.tensors[op.inputs[1]].shape[0])
            for b, op in zip(found, ops) if graph.tensors[op.inputs[1]].shape[0] != b.width}
    return remove_channels(model, keep) if keep else model


def _layers_and_bns(model: BinaryClassifier
                    ) -> list[tuple[QuantConv2d | QuantLinear, _ThresholdBatchNorm]]:
    return [(b.layer, b.bn) for b in blocks(model)] + [(model.head.linear, model.head.bn)]


def _set_bn(bn: _ThresholdBatchNorm, mean: np.ndarray, var: np.ndarray, gain: np.ndarray,
            shift: np.ndarray) -> None:
    """Eval output ``(d - mean) * gain + shift`` with the given running statistics."""
    sigma = np.sqrt(var + bn.eps)
    running_mean, running_var = bn.running_stats()
    with torch.no_grad():
        running_mean.copy_(torch.from_numpy(mean))
        running_var.copy_(torch.from_numpy(var))
        bn.weight.copy_(torch.from_numpy(gain * sigma))
        bn.bias.copy_(torch.from_numpy(shift))


def module_from_graph(graph: Graph, frames: np.ndarray) -> BinaryClassifier:
    """The trainable module of binary ``graph``, its batch-norm statistics measured on NCHW
    float ``frames`` (a few hundred training frames); see the module docstring."""
    model = network_of(graph)
    ops = _binary_ops(graph)
    pairs = _layers_and_bns(model)
    for (layer, _), w, op in zip(pairs, _torch_weights(graph), ops):
        if tuple(layer.weight.shape) != w.shape:
            raise UnsupportedError(f"not supported: layer {op.name} weights "
                                   f"{list(w.shape)}, the network expects "
                                   f"{list(layer.weight.shape)}")
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w * LATENT_INIT))
    head_op = ops[-1]
    int8_head = graph.tensors[head_op.outputs[0]].dtype == "int8"
    # The thresholds first with unit statistics (exact signs), then the statistics measured.
    targets = []
    for (_, bn), op in zip(pairs, ops):
        t = graph.tensors[op.inputs[2]].const_data().astype(np.float64)
        n = bn.num_features
        target = -t if (op is head_op and int8_head) else np.clip(t, -_FAR, _FAR) - 0.5
        targets.append(target)
        _set_bn(bn, target.astype(np.float32), np.ones(n, np.float32) - np.float32(bn.eps),
                np.ones(n), np.zeros(n))
    if int8_head:
        q = graph.tensors[head_op.outputs[0]].qparams()
        scale, zp = float(q.scale[0]), int(q.zero_point[0])
        with torch.no_grad():
            model.head.low.fill_(scale * (-128 - zp))
            model.head.high.fill_(scale * (127 - zp))
            model.head.seen.fill_(True)
    seen: dict[int, torch.Tensor] = {}
    hooks = [bn.register_forward_hook(lambda m, a, o: seen.__setitem__(id(m), a[0]))
             for _, bn in pairs]
    model.eval()
    with torch.no_grad():
        model.logits(torch.as_tensor(np.asarray(frames, np.float32)))
    for h in hooks:
        h.remove()
    for (_, bn), target, op in zip(pairs, targets, ops):
        d = seen[id(bn)].double()
        per = (d.transpose(0, 1).reshape(bn.num_features, -1) if d.dim() == 4
               else d.transpose(0, 1)).numpy()
        # + 1: a channel whose dot product never changes keeps a finite scale.
        mean, var = per.mean(axis=1), per.var(axis=1) + 1.0
        if op is head_op and int8_head:
            s = graph.tensors[op.inputs[1]].qparams().scale.astype(np.float64)
            in_scale = 1.0 if graph.tensors[op.inputs[0]].dtype == "binary" else float(
                graph.tensors[op.inputs[0]].qparams().scale[0])
            gain = s * in_scale
            _set_bn(bn, mean.astype(np.float32), var.astype(np.float32), gain,
                    gain * (mean - target))
        else:
            gain = 1.0 / np.sqrt(var + bn.eps)
            _set_bn(bn, mean.astype(np.float32), var.astype(np.float32), gain,
                    gain * (mean - target))
    return model


def is_binary_graph(graph: Graph) -> bool:
    """True for a graph exported from a binary network."""
    return "binary" in graph.metadata and any(
        op.type in ("BinaryConv2D", "BinaryDense") for op in graph.ops)

