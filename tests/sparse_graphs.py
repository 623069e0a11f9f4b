"""Seeded graphs with sparse weights for the sparse kernels' tests: small conv chains, lone
convolutions and dense layers whose weights are pruned at random, with the patterns the packed
format must get right: empty rows (an output channel without weights), fully dense rows, a
whole layer of zeros, and gaps longer than one position step (255)."""

from __future__ import annotations

import numpy as np

from graphs import GraphBuilder
from int8_graphs import quantize_randomly
from sdk.ir import Graph


def _chain(b: GraphBuilder) -> str:
    x = b.conv("input", 8, activation="relu")
    x = b.conv(x, 12, activation="relu")
    return b.pool(x, "MaxPool2D")


def _strided(b: GraphBuilder) -> str:
    return b.conv("input", 6, kernel=(3, 2), stride=(2, 2), activation="relu6")


def _pooled(b: GraphBuilder) -> str:
    return b.pool(b.conv("input", 16, kernel=(1, 1)), "MaxPool2D")


def _dense(b: GraphBuilder) -> str:
    return b.dense(b.flatten("input"), 10, activation="relu")


def _wide(b: GraphBuilder) -> str:
    # 600 inputs per output: gaps longer than 255 positions at low density.
    return b.dense(b.dense(b.flatten("input"), 9), 3)


# name: (input shape, builder)
SHAPES = {"chain": ((1, 9, 7, 8), _chain), "strided": ((1, 11, 9, 5), _strided),
          "pooled": ((1, 6, 10, 12), _pooled), "dense": ((1, 4, 3, 8), _dense),
          "wide": ((1, 10, 10, 6), _wide)}


def sparsify(graph: Graph, seed: int, zero_layer: bool = False) -> Graph:
    """Prune every Conv2D and Dense at a random density in [0.02, 0.4] (first output channel
    empty, second fully dense; with ``zero_layer`` the first layer all zeros) and store its
    weights sparse, as it is (metadata ``weight_storage: fixed``)."""
    rng = np.random.default_rng(seed)
    first = True
    for op in graph.ops:
        if op.type not in ("Conv2D", "Dense"):
            continue
        w = graph.tensors[op.inputs[1]]
        keep = rng.random(w.shape) < rng.uniform(0.02, 0.4)
        keep[0] = False
        if w.shape[0] > 2:
            keep[1] = True
        if zero_layer and first:
            keep[:] = False
        w.data = np.where(keep, w.data, 0).astype(w.data.dtype)
        w.storage = "sparse_csr"
        first = False
    graph.metadata["weight_storage"] = "fixed"
    return graph


def sparse_case(name: str, seed: int, dtype: str, zero_layer: bool = False) -> Graph:
    """Case ``name`` of SHAPES, pruned and stored sparse, in ``dtype`` (float32 or int8)."""
    shape, build = SHAPES[name]
    b = GraphBuilder(f"sparse_{name}_{seed}", shape, seed)
    g = b.finish(build(b))
    if dtype == "int8":
        g = quantize_randomly(g, seed)
    return sparsify(g, seed, zero_layer)
