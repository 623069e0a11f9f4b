"""How much quantization costs: per-layer error against the float graph, and accuracy.

The per-layer figures compare each op's int8 output, dequantized, with the float graph's output
of the same op on the same samples, so errors accumulate from the input onwards exactly as
they do on the device. SQNR is ``10 log10(sum f^2 / sum (f - q)^2)`` in dB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sdk.compress.batched import run_in_chunks
from sdk.ir import Graph
from sdk.quant.layer_params import quantize_float
from sdk.reference import run_float, run_int8


@dataclass
class LayerQuant:
    """One op of a quantized graph: its output parameters, weight scales and error."""

    name: str
    op: str
    output: str
    scale: float
    zero_point: int
    weight_scale_min: float | None
    weight_scale_max: float | None
    sqnr_db: float
    max_abs_error: float

    def to_json(self) -> dict:
        """Plain JSON (infinite SQNR, for an exact layer, becomes null)."""
        d = asdict(self)
        d["sqnr_db"] = None if not np.isfinite(self.sqnr_db) else self.sqnr_db
        return d


def quantize_input(qgraph: Graph, x: np.ndarray) -> np.ndarray:
    """Float samples quantized with the int8 graph's input parameters, as the device does."""
    p = qgraph.tensors[qgraph.inputs[0]].qparams()
    return quantize_float(x, p.scale[0], p.zero_point[0]).astype(np.int8)


def _dequantize(qgraph: Graph, name: str, v: np.ndarray) -> np.ndarray:
    p = qgraph.tensors[name].qparams()
    return (v.astype(np.float64) - float(p.zero_point[0])) * float(p.scale[0])


def layer_report(graph: Graph, qgraph: Graph, x: np.ndarray,
                 progress: bool = True) -> list[LayerQuant]:
    """Per-op output parameters and error of ``qgraph`` against float ``graph`` on ``x``."""
    signal: dict[str, float] = {}
    noise: dict[str, float] = {}
    worst: dict[str, float] = {}
    xq = quantize_input(qgraph, x)
    floats = run_in_chunks(graph, x.astype(np.float32), run_float, keep_intermediates=True,
                           progress=False)
    ints = run_in_chunks(qgraph, xq, run_int8, keep_intermediates=True,
                         description="comparing int8 with float", progress=progress)
    for (_, f), (_, q) in zip(floats, ints):
        for op in qgraph.ops:
            out = op.outputs[0]
            err = f[out].astype(np.float64) - _dequantize(qgraph, out, q[out])
            signal[out] = signal.get(out, 0.0) + float(np.sum(f[out].astype(np.float64) ** 2))
            noise[out] = noise.get(out, 0.0) + float(np.sum(err ** 2))
            worst[out] = max(worst.get(out, 0.0), float(np.abs(err).max()))
    rows = []
    for op in qgraph.ops:
        out = op.outputs[0]
        p = qgraph.tensors[out].qparams()
        w = qgraph.tensors[op.inputs[1]] if len(op.inputs) > 1 else None
        wscale = w.qparams().scale if w is not None and w.is_constant else None
        sqnr = (float("inf") if noise[out] == 0.0
                else 10.0 * np.log10(max(signal[out], 1e-300) / noise[out]))
        rows.append(LayerQuant(op.name, op.type, out, float(p.scale[0]), int(p.zero_point[0]),
                               None if wscale is None else float(wscale.min()),
                               None if wscale is None else float(wscale.max()),
                               float(sqnr), worst[out]))
    return rows


def predict_float(graph: Graph, x: np.ndarray, progress: bool = True) -> np.ndarray:
    """The float graph's (first) output on every sample of ``x``."""
    out = graph.outputs[0]
    parts = [res[out] for _, res in run_in_chunks(graph, x.astype(np.float32), run_float,
                                                  description="float model", progress=progress)]
    return np.concatenate(parts)


def predict_int8(qgraph: Graph, x: np.ndarray, progress: bool = True) -> np.ndarray:
    """The int8 graph's (first) output, dequantized, on float samples ``x``."""
    out = qgraph.outputs[0]
    parts = [_dequantize(qgraph, out, res[out])
             for _, res in run_in_chunks(qgraph, quantize_input(qgraph, x), run_int8,
                                         description="int8 model", progress=progress)]
    return np.concatenate(parts)


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose highest score is at their label (ties: the first index)."""
    scores = scores.reshape(len(scores), -1)
    return float(np.mean(scores.argmax(axis=1) == np.asarray(labels).reshape(-1)))


def accuracy_before_after(graph: Graph, qgraph: Graph, x: np.ndarray, labels: np.ndarray,
                          progress: bool = True) -> tuple[float, float]:
    """``(float accuracy, int8 accuracy)`` on the labelled samples."""
    return (accuracy(predict_float(graph, x, progress), labels),
            accuracy(predict_int8(qgraph, x, progress), labels))
