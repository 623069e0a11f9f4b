"""Post-training quantization: a float IR graph plus calibration samples -> an int8 IR graph.

The result has exactly the form the .tflite importer produces for a fully int8 model, so the
int8 reference executor, the C backend and the .tflite exporter all take it as is:

* activations: int8, per-tensor asymmetric, range from calibration (min/max, or a percentile
  to ignore outliers) widened to include 0 so that zero padding is exact; the graph's input
  and output are int8 too (the device quantizes its float input itself);
* the rest is per op type, one entry of :data:`RULES` each: which input holds weights and
  along which axis they are per-channel (int8, symmetric in [-127, 127], along the output
  channels), which input is the bias (int32 with scale ``input_scale * weight_scale[c]`` and
  zero point 0; an op without one gets a zero bias, as the TFLite converter writes, because
  LiteRT's int8 CONV_2D needs it), and where the output's parameters come from: calibrated
  (Conv2D, Dense, Add ...), the input's (MaxPool2D, AvgPool2D, Reshape: TFLite's kernels do
  not rescale) or fixed (Softmax: scale 1/256, zero point -128);
* fused ReLU/ReLU6 need nothing special: the calibrated range is already the activated one.

Scales are rounded to float32 when chosen, because a .tflite file stores float32 and the
integer multipliers are derived from those exact values.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from sdk.compress.batched import check_samples, run_in_chunks
from sdk.errors import ShapeError, UnsupportedError
from sdk.ir import Graph, Op, QuantParams, Tensor
from sdk.quant.arith import INT32_MAX, INT32_MIN, tflite_round
from sdk.quant.layer_params import INT8_MAX, INT8_MIN
from sdk.reference import run_float

WEIGHT_MAX = 127  # symmetric int8 weights never use -128 (TFLite's per-channel convention)


@dataclass(frozen=True)
class QuantRule:
    """How post-training quantization treats one op type.

    ``weight`` is ``(input index, axis)`` of a weight tensor quantized per channel along
    ``axis``; ``bias`` the input index of its int32 bias, added as zeros when the op has none.
    The output's parameters are the input's when ``shares_input_params``, ``fixed_output``
    ``(scale, zero point)`` when given, and calibrated otherwise.
    """

    weight: tuple[int, int] | None = None
    bias: int | None = None
    shares_input_params: bool = False
    fixed_output: tuple[float, int] | None = None


RULES: dict[str, QuantRule] = {
    "Conv2D": QuantRule(weight=(1, 0), bias=2),            # OHWI
    "Dense": QuantRule(weight=(1, 0), bias=2),             # [out, in]
    "DepthwiseConv2D": QuantRule(weight=(1, 3), bias=2),   # [1, kh, kw, C*M]
    "MaxPool2D": QuantRule(shares_input_params=True),
    "AvgPool2D": QuantRule(shares_input_params=True),
    "Reshape": QuantRule(shares_input_params=True),
    "Add": QuantRule(),
    "Softmax": QuantRule(fixed_output=(1.0 / 256.0, -128)),
}


def _f32(value: float) -> float:
    return float(np.float32(value))


def activation_params(rmin: float, rmax: float) -> QuantParams:
    """Per-tensor asymmetric int8 parameters covering ``[rmin, rmax]`` and 0 (TFLite's
    ChooseQuantizationParams: zero point nudged to an integer inside [-128, 127])."""
    rmin, rmax = min(float(rmin), 0.0), max(float(rmax), 0.0)
    if rmax - rmin <= 0.0:
        # A tensor that is always 0: any scale represents it exactly.
        return QuantParams(np.array([_f32(1.0 / 255.0)]), np.array([INT8_MIN]))
    scale = _f32((rmax - rmin) / (INT8_MAX - INT8_MIN))
    zero_point = int(np.clip(tflite_round(INT8_MIN - rmin / scale), INT8_MIN, INT8_MAX))
    return QuantParams(np.array([scale]), np.array([zero_point]))


def quantize_weights(w: np.ndarray, axis: int) -> tuple[np.ndarray, QuantParams]:
    """Per-channel symmetric int8 weights in [-127, 127] along ``axis``."""
    others = tuple(d for d in range(w.ndim) if d != axis)
    absmax = np.abs(w.astype(np.float64)).max(axis=others)
    # An all-zero channel (a pruned filter) quantizes to zeros at any scale: it takes its
    # layer's largest, which keeps its bias and requantization multiplier like its neighbours'
    # (1.0 would make them about 1,000 times larger); a layer of zeros takes 1.
    fallback = absmax.max() / WEIGHT_MAX if np.any(absmax > 0) else 1.0
    scale = np.where(absmax > 0, absmax / WEIGHT_MAX, fallback).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = tflite_round(w.astype(np.float32) / scale.reshape(shape))
    q = np.clip(q, -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
    return q, QuantParams(scale.astype(np.float64), np.zeros(scale.size, np.int64), axis)


def quantize_bias(b: np.ndarray, input_scale: float, weights: QuantParams) -> tuple[np.ndarray,
                                                                                   QuantParams]:
    """int32 bias with per-channel scale ``input_scale * weight_scale[c]``, zero point 0."""
    scale = (np.float32(input_scale) * weights.scale.astype(np.float32)).astype(np.float32)
    scale = np.broadcast_to(scale, b.shape)
    q = tflite_round(b.astype(np.float64) / scale.astype(np.float64))
    q = np.clip(q, INT32_MIN, INT32_MAX).astype(np.int32)
    axis = 0 if scale.size > 1 else None
    return q, QuantParams(scale.astype(np.float64), np.zeros(scale.size, np.int64), axis)


def _check_float_graph(graph: Graph) -> None:
    for t in graph.tensors.values():
        if t.dtype != "float32" or t.quant is not None:
            raise UnsupportedError(f"quantizing graph {graph.name!r}: tensor {t.name!r} is "
                                   f"already {t.dtype}{' (quantized)' if t.quant else ''}; "
                                   "post-training quantization takes a float graph")
    for op in graph.ops:
        if op.type not in RULES:
            raise UnsupportedError(f"quantizing op {op.name} of type {op.type} (supported: "
                                   f"{', '.join(RULES)})")


def calibrate(graph: Graph, calibration: np.ndarray, percentile: float | None = None,
              progress: bool = True) -> dict[str, tuple[float, float]]:
    """``{tensor: (min, max)}`` of every activation of the float graph over the samples.

    With ``percentile`` (e.g. 99.99) the range is the [100 - p, p] percentiles of all values
    instead of the extremes, which keeps a few outliers from coarsening the scale.
    """
    if percentile is not None and not 50.0 < percentile <= 100.0:
        raise ValueError(f"percentile must be in (50, 100], got {percentile}")
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    values: dict[str, list[np.ndarray]] = {}
    for _, res in run_in_chunks(graph, calibration.astype(np.float32), run_float,
                                keep_intermediates=True, description="calibrating",
                                progress=progress):
        for name, v in res.items():
            if graph.tensors[name].is_constant:
                continue
            if percentile is None:
                lows[name] = min(lows.get(name, np.inf), float(v.min()))
                highs[name] = max(highs.get(name, -np.inf), float(v.max()))
            else:
                values.setdefault(name, []).append(v.ravel())
    if percentile is not None:
        for name, parts in values.items():
            all_values = np.concatenate(parts)
            lows[name], highs[name] = (float(np.percentile(all_values, 100.0 - percentile)),
                                       float(np.percentile(all_values, percentile)))
    return {name: (lows[name], highs[name]) for name in lows}


def calibration_frames(x: np.ndarray, n: int = 256, seed: int = 0) -> np.ndarray:
    """A seeded random sample of ``n`` training samples as float32 calibration data.

    Samples ``[N, H, W]`` (one channel) get their channel axis, so the result is NHWC.
    """
    x = np.asarray(x, dtype=np.float32)
    pick = np.random.default_rng(seed).permutation(len(x))[:n]
    return x[pick][..., None] if x.ndim == 3 else x[pick]


def _quantize_weight_and_bias(graph: Graph, q: Graph, op: Op, weight: tuple[int, int],
                              bias: int | None, input_scale: float) -> None:
    """Replace ``op``'s weight (and bias) tensors in ``q`` by their int8 (int32) forms."""
    index, axis = weight
    w = graph.tensors[op.inputs[index]]
    wq, wparams = quantize_weights(w.const_data(), axis)
    q.tensors[w.name] = Tensor(w.name, w.shape, "int8", wq, wparams, w.mask, w.storage,
                               dict(w.meta))
    if bias is None:
        return
    if len(op.inputs) > bias:
        b = graph.tensors[op.inputs[bias]]
    else:
        # LiteRT's int8 CONV_2D refuses a missing bias; the TFLite converter always writes one.
        b = Tensor(f"{op.name}/bias", (wparams.scale.size,), "float32",
                   np.zeros(wparams.scale.size, np.float32))
        q.add_tensor(b)
        q.ops[graph.ops.index(op)].inputs.append(b.name)
    bq, bparams = quantize_bias(b.const_data(), input_scale, wparams)
    q.tensors[b.name] = Tensor(b.name, b.shape, "int32", bq, bparams, b.mask, b.storage,
                               dict(b.meta))


def quantize_graph(graph: Graph, calibration: np.ndarray, percentile: float | None = None,
                   progress: bool = True) -> Graph:
    """Quantize the float ``graph`` to int8 using ``calibration`` samples ``[N, *input[1:]]``.

    Returns a new validated graph that :func:`sdk.reference.run_int8` executes; ``graph`` is
    not modified. Raises :class:`UnsupportedError` for non-float graphs or ops without an
    int8 form, and a one-line :class:`ShapeError` for samples of the wrong shape.
    """
    _check_float_graph(graph)
    calibration = check_samples(graph, calibration, "calibration data")
    if not np.all(np.isfinite(calibration)):
        bad = int(np.count_nonzero(~np.isfinite(calibration)))
        raise ShapeError(f"calibration data: {bad} non-finite values (NaN or infinity); "
                         "expected finite samples")
    ranges = calibrate(graph, calibration, percentile, progress)
    q = copy.deepcopy(graph)
    params: dict[str, QuantParams] = {n: activation_params(*ranges[n]) for n in graph.inputs}
    for op in graph.ops:
        rule = RULES[op.type]
        out = op.outputs[0]
        if rule.shares_input_params:
            params[out] = params[op.inputs[0]]
        elif rule.fixed_output is not None:
            scale, zero_point = rule.fixed_output
            params[out] = QuantParams(np.array([scale]), np.array([zero_point]))
        else:
            params[out] = activation_params(*ranges[out])
        if rule.weight is not None:
            _quantize_weight_and_bias(graph, q, op, rule.weight, rule.bias,
                                      float(params[op.inputs[0]].scale[0]))
    for name, p in params.items():
        t = q.tensors[name]
        t.dtype, t.quant = "int8", p
    q.metadata = {**graph.metadata, "quantization": {
        "method": "post-training", "calibration_samples": int(len(calibration)),
        "range": "min/max" if percentile is None else f"percentile {percentile}"}}
    q.validate()
    return q
