"""A binary network's architecture as a plain JSON dict, and its IR graph.

``{"input": [C, H, W], "convs": [[channels, kernel, stride, pool], ...], "dense": [units,
...], "classes": N}``: the first convolution (or the first dense layer when there is none)
reads the int8 input, the others are binary, a 2x2 max pool follows a convolution whose
``pool`` is 1, and an int8 head ends it (:func:`sdk.bnn.models.binary_net`). Plain dicts, so
an architecture is a sweep configuration and the key of its results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sdk.errors import TinypruneError
from sdk.ir import Graph

if TYPE_CHECKING:
    from sdk.bnn.models import BinaryClassifier


def check_arch(arch: dict) -> dict:
    """``arch`` if every layer leaves at least one output pixel, else a one-line error."""
    _, h, w = arch["input"]
    for i, (channels, kernel, stride, pool) in enumerate(arch["convs"]):
        pad = kernel // 2
        h, w = (h + 2 * pad - kernel) // stride + 1, (w + 2 * pad - kernel) // stride + 1
        if pool:
            h, w = h // 2, w // 2
        if channels < 1 or h < 1 or w < 1:
            raise TinypruneError(f"architecture: convolution {i} leaves a {h}x{w}x{channels} "
                                 "output; expected at least one pixel and channel")
    if any(units < 1 for units in arch["dense"]):
        raise TinypruneError(f"architecture: dense widths {arch['dense']}: expected >= 1")
    return arch


def build_module(arch: dict, quantizer: str = "ste_sign") -> BinaryClassifier:
    """The untrained :class:`sdk.bnn.models.BinaryClassifier` of ``arch``, its activations'
    sign ``quantizer`` (``ste_sign`` or ``approx_sign``; no effect on the exported graph)."""
    from sdk.bnn.models import Conv, binary_net

    convs = [Conv(c, stride=s, padding=k // 2, pool=bool(p), kernel=k)
             for c, k, s, p in check_arch(arch)["convs"]]
    return binary_net(tuple(arch["input"]), convs, list(arch["dense"]), arch["classes"],
                      quantizer=quantizer)


def arch_graph(arch: dict, seed: int = 0, name: str = "candidate") -> Graph:
    """The IR graph of ``arch`` with seeded random weights (what the board budget and the
    cost model see: shapes, packing and kernels, not accuracy)."""
    import torch

    from sdk.bnn.export import export_binary

    torch.manual_seed(seed)
    module = build_module(arch)
    return export_binary(module, (1, *arch["input"]), name)
