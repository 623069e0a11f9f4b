"""Sparse weight storage (sdk.kernels.storage) and the per-layer choice of storage
(sdk.kernels.sparse_cost): the packed tables hold exactly the weights, long gaps and empty rows
included; the code generator stores a pruned layer sparse only where the fitted cost models
predict it faster, and keeps a graph's storage when told to."""

from __future__ import annotations

import numpy as np
import pytest

from graphs import GraphBuilder
from int8_graphs import quantize_randomly
from sdk.codegen import generate_model
from sdk.ir import Tensor
from sdk.kernels.sparse_cost import choose_storage, load_models, sparse_entries
from sdk.kernels.storage import SPARSE_MAX_DELTA, pack_sparse, sparse_segments, storage_of


def _unpack(t: Tensor) -> np.ndarray:
    """The dense segments a packed tensor stands for (the kernels' reading of the format)."""
    p = pack_sparse(t)
    rows = np.zeros_like(sparse_segments(t))
    for s in range(rows.shape[0]):
        pos = 0
        for e in range(p.start[s], p.start[s + 1]):
            pos += int(p.delta[e])
            rows[s, pos] += p.value[e]
    return rows


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("shape", [(6, 3, 3, 5), (4, 700), (3, 1, 1, 300)])
@pytest.mark.parametrize("density", [0.0, 0.003, 0.1, 1.0])
def test_packing_holds_exactly_the_weights(dtype, shape, density):
    rng = np.random.default_rng(len(shape) + int(1000 * density))
    data = np.where(rng.random(shape) < density, rng.integers(1, 100, shape), 0)
    data[0] = 0  # an empty row
    t = Tensor("w", shape, dtype, data)
    assert np.array_equal(_unpack(t), sparse_segments(t))
    p = pack_sparse(t)
    assert p.value.size == sparse_entries(t) >= np.count_nonzero(data)
    assert p.delta.max(initial=0) <= SPARSE_MAX_DELTA
    assert storage_of(Tensor("w", shape, dtype, data, storage="sparse_csr")).packed_bytes(t) \
        == p.nbytes == p.start.nbytes + p.value.size * (1 + np.dtype(p.value.dtype).itemsize)


def test_int8_convolutions_split_windows_by_row_and_float_ones_do_not():
    data = np.ones((4, 3, 2, 5))
    assert sparse_segments(Tensor("w", data.shape, "int8", data)).shape == (12, 10)
    assert sparse_segments(Tensor("w", data.shape, "float32", data)).shape == (4, 30)


def _graph(sparsity: float, seed: int = 0):
    b = GraphBuilder("net", (1, 10, 8, 16), seed)
    x = b.conv("input", 16, activation="relu")
    g = quantize_randomly(b.finish(b.dense(b.flatten(x), 8)), seed)
    for op in g.ops:
        if op.type in ("Conv2D", "Dense"):
            w = g.tensors[op.inputs[1]]
            order = np.argsort(np.abs(w.data.astype(np.int64)).ravel(), kind="stable")
            data = w.data.copy()
            data.ravel()[order[:int(sparsity * w.size)]] = 0
            w.data = data
    return g


def test_the_cost_models_exist_for_every_sparse_family():
    models = load_models()
    for op in ("Conv2D", "Dense"):
        for dtype in ("int8", "float32"):
            for storage in ("dense", "sparse_csr"):
                m = models[(op, dtype, storage)]
                assert 0 <= m.max_rel_error < 0.25


def test_pruned_layers_go_sparse_and_dense_ones_stay():
    chosen, choices = choose_storage(_graph(0.9))
    assert [c.storage for c in choices] == ["sparse_csr", "sparse_csr"]
    assert all(c.sparse_instructions < c.dense_instructions for c in choices)
    assert all(c.sparse_bytes < c.dense_bytes / 3 for c in choices)
    dense = _graph(0.0)
    same, choices = choose_storage(dense)
    assert same is dense and all(c.storage == "dense" for c in choices)
    # A little sparsity does not pay: the sparse kernel costs more per weight than the dense.
    _, choices = choose_storage(_graph(0.3))
    assert all(c.storage == "dense" and c.sparse_instructions > c.dense_instructions
               for c in choices)


def test_generated_model_reports_dense_and_packed_bytes():
    g = _graph(0.9)
    gen = generate_model(g)
    assert any("sparse" in s.kernel for s in gen.steps)
    saved = sum(c.dense_bytes - c.sparse_bytes for c in gen.storage)
    assert gen.dense_weights_bytes == gen.weights_bytes + saved
    g.metadata["weight_storage"] = "fixed"
    fixed = generate_model(g)
    assert not fixed.storage and not any("sparse" in s.kernel for s in fixed.steps)
    assert fixed.weights_bytes == gen.dense_weights_bytes
