"""The few-input-channel 1x1 variant of the int8 Conv2D family (tp_convolve_1x1_s8): a 1x1
window, stride 1, no padding, at most 8 input channels.

Each output channel becomes one record (see tp_convolve_1x1_s8.c): its weights as int16 pairs
in SXTB16's order, the folded bias, the multiplier, the rounding with the output offset folded
in (when the activation only saturates) and e; with the fast requantization the weights and
bias are doubled, so the kernel's accumulator is the 2x its SMMLAR takes, else the left shift
and the sign shift of TFLite's generic rounding follow.
"""

from __future__ import annotations

import numpy as np

from sdk.ir.graph import Graph, Op
from sdk.kernels.families.conv2d import S8_HEADERS
from sdk.kernels.registry import CKernel
from sdk.kernels.requant import rounding_terms
from sdk.kernels.values import ConstTable

C1_MAX_INPUTS = 8

C1_KERNEL = CKernel("tp_convolve_1x1_s8", S8_HEADERS, overlapping_output=True)


def c1_applies(graph: Graph, op: Op) -> bool:
    """True when the op's geometry is the few-channel 1x1 kernel's (the caller checks the
    requantization)."""
    _, kh, kw, ci = graph.tensors[op.inputs[1]].shape
    return (kh == kw == 1 and ci <= C1_MAX_INPUTS and tuple(op.attrs["stride"]) == (1, 1)
            and not any(op.attrs["padding"]))


def c1_records(weights: np.ndarray, folded_bias: np.ndarray, multipliers: np.ndarray,
               shifts: np.ndarray, folded_offset: int, fast: bool) -> ConstTable:
    """[C_out, C_in] weights -> [C_out][2 groups + 4 (+ 2)] words: per group of four inputs the
    pairs (w0, w2), (w1, w3) (zero past C_in), then bias, multiplier,
    2^(e-1) + folded_offset x 2^e, e; weights and bias doubled when ``fast``, else the left
    shift and the sign shift (31, or 32 for e = 0) follow."""
    co, ci = weights.shape
    groups = -(-ci // 4)
    scale = 2 if fast else 1
    w = np.zeros((co, 4 * groups), dtype=np.int64)
    w[:, :ci] = scale * weights
    w = w.reshape(co, groups, 4)
    lo = w[:, :, [0, 1]]
    hi = w[:, :, [2, 3]]
    pairs = ((lo & 0xFFFF) | ((hi & 0xFFFF) << 16)).reshape(co, 2 * groups)
    e, left, rnd = rounding_terms(shifts)
    tail = [scale * folded_bias, np.asarray(multipliers, np.int64), rnd + (folded_offset << e), e]
    if not fast:
        tail += [left, np.where(e > 0, 31, 32)]
    words = np.concatenate([pairs, np.stack(tail, axis=1)], axis=1)
    words = np.where(words >= 1 << 31, words - (1 << 32), words)
    return ConstTable("int32", words.astype(np.int32),
                      "weight pairs, bias, multiplier, rounding + offset x 2^e, e"
                      + ("" if fast else ", left shift, sign shift"), "records", aligned=True)
