"""Sparse or dense weights, per layer, by measured cost.

For every Conv2D and Dense whose constant weights are stored ``dense``, :func:`choose_storage`
predicts the instructions of the layer's dense kernel and of its sparse kernel on the layer's
own shape and number of sparse entries, and switches the weights to ``sparse_csr`` when the
sparse prediction is lower by more than both models' stated errors (where the models cannot
tell, the layer stays dense). The predictions are linear cost models fitted to kernel runs
measured on the emulated Cortex-M7 (``scripts/fit_sparse_cost.py`` re-measures and refits;
the coefficients and each model's largest relative error on its measurements are in
``sparse_cost.json`` beside this module, and tests/system/test_sparse_cost.py checks fresh
measurements against it).

Features of a layer (a Dense layer is one pixel whose window is its inputs, one row high; the
convolution kernels work in tiles of 8 pixels, ``lanes`` = 8 x tiles): ``calls`` (1),
``mac_lanes`` (lanes x window x outputs: the dense MACs), ``entry_lanes`` (sparse entries x
lanes, fillers included), ``window_pixels`` (pixels x window values: the gather),
``segment_tiles`` (tiles x outputs x segments per output), ``output_pixels`` (pixels x
outputs), ``stored_outputs`` (values written: a fused 2x2 max pool stores a quarter) and
``generic_outputs`` (pixels x outputs of an int8 layer whose requantization takes TFLite's
arithmetic as written, several times the cost of the proven-exact fast form) and
``bytewise_window_pixels`` (window_pixels of an int8 convolution whose input channels are not
a multiple of 4: its sparse gather widens the values one by one instead of in words) and
``pixel_rows`` (pixels x segments per output: the int8 sparse kernel gathers and walks its
channels once per tile and window row, whose fixed costs dominate narrow layers).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdk.ir.graph import Graph, Op
from sdk.ir.tensor import Tensor
from sdk.kernels.requant import requantization
from sdk.kernels.storage import SPARSE_MAX_DELTA, SPARSE_MAX_ENTRIES, sparse_segments
from sdk.quant import layer_params as lp

COST_FILE = Path(__file__).with_name("sparse_cost.json")
SPARSE = "sparse_csr"
OPS = ("Conv2D", "Dense")
FEATURES = ("calls", "mac_lanes", "entry_lanes", "window_pixels", "segment_tiles",
            "output_pixels", "stored_outputs", "generic_outputs", "bytewise_window_pixels",
            "pixel_rows")
# Pixels per tile of the convolution kernels: work per weight is done for whole tiles.
TILE = 8


def sparse_entries(tensor: Tensor) -> int:
    """Entries of ``tensor`` in sparse storage: its non-zero values and the zero entries that
    bridge gaps longer than the largest position step (as sdk.kernels.storage.pack_sparse)."""
    rows = sparse_segments(tensor) != 0
    seg, pos = np.nonzero(rows)
    prev = np.concatenate([[-1], seg[:-1]]) == seg
    gaps = pos - np.where(prev, np.concatenate([[0], pos[:-1]]), 0)
    return int(pos.size + np.sum(np.maximum(gaps - 1, 0) // SPARSE_MAX_DELTA))


def _generic_requant(graph: Graph, op: Op) -> bool:
    """True for an int8 layer whose kernels requantize with TFLite's arithmetic as written
    (the fast form not proved exact: sdk.kernels.requant)."""
    w = graph.tensors[op.inputs[1]]
    inq, outq = graph.tensors[op.inputs[0]].quant, graph.tensors[op.outputs[0]].quant
    if w.dtype != "int8" or w.quant is None or inq is None or outq is None:
        return False
    multipliers = lp.conv_multipliers if op.type == "Conv2D" else lp.dense_multipliers
    m, shifts = multipliers(inq, w.quant, outq, w.shape[0])
    bias = (graph.tensors[op.inputs[2]].const_data().astype(np.int64) if len(op.inputs) > 2
            else np.zeros(w.shape[0], dtype=np.int64))
    rq = requantization(op, "", m, shifts, w.const_data().astype(np.int64).reshape(w.shape[0], -1),
                        bias, input_offset=-int(inq.zero_point[0]), input_magnitude=128)
    return not rq.fast


def layer_features(graph: Graph, op: Op, entries: int) -> dict[str, int]:
    """The cost features of Conv2D or Dense ``op`` with ``entries`` sparse entries (a Conv2D
    whose only reader is a MaxPool2D stores the pooled outputs)."""
    w = graph.tensors[op.inputs[1]]
    if op.type == "Conv2D":
        o, kh, kw, c = w.shape
        _, h, wd, _ = graph.tensors[op.outputs[0]].shape
        # int8 segments are window rows (chunks), float ones whole windows.
        pixels, window, rows = h * wd, kh * kw * c, kh if w.dtype == "int8" else 1
        tiles = -(-pixels // TILE)
        bytewise = pixels * window if w.dtype == "int8" and c % 4 else 0
    else:
        o, window = w.shape
        pixels, rows = int(np.prod(graph.tensors[op.inputs[0]].shape[:-1])), 1
        tiles, bytewise = pixels, 0
    lanes = tiles * TILE if op.type == "Conv2D" else pixels
    readers = graph.consumers(op.outputs[0])
    pooled = len(readers) == 1 and readers[0].type == "MaxPool2D"
    return {"calls": 1, "mac_lanes": lanes * window * o, "entry_lanes": entries * lanes,
            "window_pixels": pixels * window, "segment_tiles": tiles * o * rows,
            "output_pixels": pixels * o, "stored_outputs": pixels * o // (4 if pooled else 1),
            "generic_outputs": pixels * o if _generic_requant(graph, op) else 0,
            "bytewise_window_pixels": bytewise, "pixel_rows": pixels * rows}


@dataclass(frozen=True)
class CostModel:
    """``instructions = sum(coefficient x feature)`` for one (op, dtype, storage), and the
    largest relative error of that prediction on the runs it was fitted to."""

    coefficients: dict[str, float]
    max_rel_error: float

    def predict(self, features: dict[str, int]) -> float:
        """Predicted instructions of a layer with these features."""
        return sum(c * features[f] for f, c in self.coefficients.items())


def load_models(path: Path = COST_FILE) -> dict[tuple[str, str, str], CostModel]:
    """The fitted models by (op, dtype, storage) (empty when the file is missing)."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {(m["op"], m["dtype"], m["storage"]): CostModel(m["coefficients"], m["max_rel_error"])
            for m in data["models"]}


@dataclass(frozen=True)
class StorageChoice:
    """One layer's decision: predicted instructions and flash bytes of both storages."""

    layer: str
    weights: str
    dense_instructions: float
    sparse_instructions: float
    dense_bytes: int
    sparse_bytes: int
    storage: str

    def to_json(self) -> dict:
        """The entry of a size report."""
        return {"layer": self.layer, "weights": self.weights, "storage": self.storage,
                "dense_bytes": self.dense_bytes, "sparse_bytes": self.sparse_bytes,
                "dense_instructions": round(self.dense_instructions),
                "sparse_instructions": round(self.sparse_instructions)}


def storage_choices(graph: Graph) -> list[StorageChoice]:
    """The decision for every Conv2D and Dense with dense-stored int8 or float32 weights that
    have at least one zero (a layer without zeros gains nothing from sparse storage)."""
    models = load_models()
    found = []
    for op in graph.ops:
        if op.type not in OPS or len(op.inputs) < 2:
            continue
        w = graph.tensors[op.inputs[1]]
        if (not w.is_constant or w.storage != "dense" or w.dtype not in ("int8", "float32")
                or w.data is None or np.all(w.data != 0)):
            continue
        dense = models.get((op.type, w.dtype, "dense"))
        sparse = models.get((op.type, w.dtype, SPARSE))
        if dense is None or sparse is None:
            continue
        entries = sparse_entries(w)
        if entries > SPARSE_MAX_ENTRIES:
            continue
        feats = layer_features(graph, op, entries)
        cost_d, cost_s = dense.predict(feats), sparse.predict(feats)
        segments = sparse_segments(w).shape[0]
        packed = 2 * (segments + 1) + entries * (1 + w.itemsize)
        # Sparse only where it wins beyond both models' stated errors.
        wins = cost_s * (1 + sparse.max_rel_error) < cost_d * (1 - dense.max_rel_error)
        found.append(StorageChoice(op.name, w.name, cost_d, cost_s, w.nbytes, packed,
                                   SPARSE if wins else "dense"))
    return found


def choose_storage(graph: Graph) -> tuple[Graph, list[StorageChoice]]:
    """``graph`` with the weights of every layer whose sparse kernel is predicted cheaper
    stored ``sparse_csr`` (a copy when any changes), and every decision taken."""
    choices = storage_choices(graph)
    chosen = [c for c in choices if c.storage == SPARSE]
    if not chosen:
        return graph, choices
    out = copy.copy(graph)
    out.tensors = dict(graph.tensors)
    for c in chosen:
        t = copy.copy(graph.tensors[c.weights])
        t.storage = SPARSE
        out.tensors[c.weights] = t
    return out, choices
