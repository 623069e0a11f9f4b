"""Measure the dense and sparse kernels on the emulated Cortex-M7 and fit the cost models the
code generator picks weight storage with (sdk/kernels/sparse_cost.json).

Each measurement is one small seeded graph (a Conv2D, a Conv2D + 2x2 max pool, or a Dense
layer; float32 or int8) whose weights have a given density of random non-zeros, built with
its weight storage fixed (graph metadata ``weight_storage: fixed``) and run on ``qemu_m7``;
the layer's step instructions are the measured cost. :func:`fit` solves, per (op, dtype,
storage), the least-squares coefficients of the features of sdk.kernels.sparse_cost
(weighted by 1 / measured, so the relative error is what is minimized) and records the
largest relative error. ``scripts/fit_sparse_cost.py`` runs it all and rewrites the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdk.ir import Graph, Op, Tensor
from sdk.kernels.sparse_cost import COST_FILE, SPARSE, layer_features, sparse_entries

# Features each model uses: a dense kernel's work follows the MACs, a sparse one's the entries.
MODEL_FEATURES = {"dense": ("mac_lanes", "window_pixels", "segment_tiles", "output_pixels",
                            "stored_outputs", "generic_outputs"),
                  SPARSE: ("entry_lanes", "window_pixels", "segment_tiles",
                           "output_pixels", "stored_outputs", "generic_outputs",
                           "bytewise_window_pixels", "pixel_rows", "calls")}
DENSITIES = (0.5, 0.2, 0.1, 0.05, 0.02)
# (height, width, input channels, output channels, kernel, pool, stride) of the measured
# convolutions.
CONV_SHAPES = ((16, 12, 16, 16, 3, False, 1), (12, 10, 32, 32, 3, True, 1),
               (8, 8, 8, 24, 3, False, 1), (10, 8, 32, 16, 1, False, 1),
               (14, 10, 4, 8, 3, True, 1), (16, 10, 32, 32, 3, True, 1),
               (6, 6, 24, 40, 3, False, 1), (8, 12, 12, 16, 1, True, 1),
               (20, 16, 1, 16, 3, False, 1), (13, 11, 6, 12, 5, False, 2),
               (15, 9, 20, 8, 3, False, 2), (7, 7, 40, 4, 5, False, 1))
# (inputs, outputs) of the measured Dense layers.
DENSE_SHAPES = ((192, 100), (100, 4), (64, 48), (300, 20))


@dataclass(frozen=True)
class Case:
    """One measured layer: which model it belongs to, its features and its instructions."""

    op: str
    dtype: str
    storage: str
    features: dict[str, int]
    instructions: int

    def to_json(self) -> dict:
        """The case as written beside the fit."""
        return {"op": self.op, "dtype": self.dtype, "storage": self.storage,
                "features": self.features, "instructions": self.instructions}


def _masked(rng: np.random.Generator, shape: tuple[int, ...], density: float) -> np.ndarray:
    w = rng.normal(0.0, 0.3, shape).astype(np.float32)
    return np.where(rng.random(shape) < density, w, 0.0).astype(np.float32)


def layer_graph(kind: str, shape: tuple, density: float, seed: int) -> Graph:
    """A float graph of one seeded layer: ``conv`` (shape as CONV_SHAPES) or ``dense``."""
    rng = np.random.default_rng(seed)
    g = Graph(f"sparse_cost_{kind}")
    if kind == "conv":
        h, w, c, o, k, pool, stride = shape
        g.add_tensor(Tensor("x", (1, h, w, c)))
        g.add_tensor(Tensor("w", (o, k, k, c), "float32", _masked(rng, (o, k, k, c), density)))
        g.add_tensor(Tensor("b", (o,), "float32", rng.normal(0, 0.1, o).astype(np.float32)))
        p = k // 2
        g.add_op(Op("conv", "Conv2D", ["x", "w", "b"], ["y"],
                    {"stride": [stride, stride], "padding": [p, p, p, p], "activation": "relu"}))
        out = "y"
        if pool:
            g.add_op(Op("pool", "MaxPool2D", ["y"], ["z"], {"kernel": [2, 2], "stride": [2, 2],
                                                            "padding": [0, 0, 0, 0], "activation": "none"}))
            out = "z"
    else:
        n_in, n_out = shape
        g.add_tensor(Tensor("x", (1, n_in)))
        g.add_tensor(Tensor("w", (n_out, n_in), "float32", _masked(rng, (n_out, n_in), density)))
        g.add_tensor(Tensor("b", (n_out,), "float32", rng.normal(0, 0.1, n_out).astype(np.float32)))
        g.add_op(Op("fc", "Dense", ["x", "w", "b"], ["y"], {"activation": "relu"}))
        out = "y"
    g.inputs, g.outputs = ["x"], [out]
    g.metadata["weight_storage"] = "fixed"
    return g


def quantized(graph: Graph, seed: int) -> Graph:
    """``graph`` in int8, calibrated on 8 seeded normal inputs."""
    from sdk.compress.quantize import quantize_graph

    shape = graph.tensors[graph.inputs[0]].shape
    calib = np.random.default_rng(seed).normal(size=(8, *shape[1:])).astype(np.float32)
    q = quantize_graph(graph, calib, progress=False)
    q.metadata["weight_storage"] = "fixed"
    return q


def measure(graph: Graph, storage: str, work: Path, seed: int = 0) -> Case:
    """Run ``graph`` (one Conv2D or Dense first) with its weights stored ``storage`` on
    qemu_m7; its first step's instructions, and the layer's features."""
    from host.device_run import run_on_board

    op = graph.ops[0]
    w = graph.tensors[op.inputs[1]]
    w.storage = storage
    x_t = graph.tensors[graph.inputs[0]]
    rng = np.random.default_rng(seed)
    x = (rng.integers(-128, 128, x_t.shape).astype(np.int8) if x_t.dtype == "int8"
         else rng.normal(size=x_t.shape).astype(np.float32))
    run = run_on_board(graph, "qemu_m7", x, work)
    if not (run.bit_exact if x_t.dtype == "int8" else run.max_rel_diff <= 1e-5):
        raise RuntimeError(f"sparse cost: {graph.name} ({storage}) differs from the reference")
    count = run.steps[0].instructions
    if count is None:
        raise RuntimeError(f"sparse cost: no instruction count for {graph.name}")
    return Case(op.type, w.dtype, storage, layer_features(graph, op, sparse_entries(w)), count)


def cases(work: Path, dtypes: Iterable[str] = ("int8", "float32"),
          densities: Iterable[float] = DENSITIES,
          progress: Callable[[str], None] | None = None) -> list[Case]:
    """Every measurement: each shape dense (at density 1) and sparse at each density."""
    found = []
    plan = [("conv", s) for s in CONV_SHAPES] + [("dense", s) for s in DENSE_SHAPES]
    for dtype in dtypes:
        for n, (kind, shape) in enumerate(plan):
            for density in (1.0, *densities):
                g = layer_graph(kind, shape, density, seed=n)
                if dtype == "int8":
                    g = quantized(g, seed=n)
                storage = "dense" if density == 1.0 else SPARSE
                if progress:
                    progress(f"{dtype} {kind} {shape} density {density}")
                found.append(measure(g, storage, work / f"{dtype}_{kind}_{n}_{density}"))
    return found


def fit(found: list[Case]) -> dict:
    """The cost file's contents: per (op, dtype, storage) the coefficients and the largest
    relative error on its cases."""
    models = []
    keys = sorted({(c.op, c.dtype, c.storage) for c in found})
    for op, dtype, storage in keys:
        mine = [c for c in found if (c.op, c.dtype, c.storage) == (op, dtype, storage)]
        names = MODEL_FEATURES[storage]
        a = np.array([[c.features[f] for f in names] for c in mine], dtype=np.float64)
        y = np.array([c.instructions for c in mine], dtype=np.float64)
        coef, *_ = np.linalg.lstsq(a / y[:, None], np.ones_like(y), rcond=None)
        err = float(np.max(np.abs(a @ coef - y) / y))
        models.append({"op": op, "dtype": dtype, "storage": storage,
                       "coefficients": {f: round(float(v), 6) for f, v in zip(names, coef)},
                       "max_rel_error": round(err, 4), "cases": len(mine)})
    return {"about": "instructions on qemu_m7 = sum(coefficient x feature); features and "
                     "fitting in sdk/kernels/sparse_cost.py and host/sparse_cost_fit.py; "
                     "re-measure with scripts/fit_sparse_cost.py",
            "models": models}


def write(data: dict, path: Path = COST_FILE) -> Path:
    """Write the cost file."""
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path
