"""Per-channel requantization of int8 kernels, derived once for conv, depthwise and dense.

The kernels requantize each int32 accumulator with a multiplier and shift per output channel
(tp_channel_quant). ``fast_requant`` selects tp_requant_fast(), exact only when every shift is
<= -1 and every accumulator is below 2^30 in magnitude; :func:`requantization` proves that from
the constants: ``|acc| <= |bias| + input_magnitude * sum |w|`` per channel, where
``input_magnitude`` bounds ``|input + input_offset|`` as the kernel sees it (128 when the
input offset is folded into the bias: an int8 value, padding included; 255 when it is not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Op
from sdk.kernels.values import ConstTable, Struct, struct

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
FAST_BOUND = 1 << 30


@dataclass(frozen=True)
class Requant:
    """``quant``: the tp_channel_quant static (``prefix + "quant"``) over the multiplier and
    shift tables; ``fast``: the fast-path proof; ``bias``: the folded bias table, when asked;
    ``bound``: each channel's bound on |accumulator|."""

    quant: Struct
    fast: int
    bias: ConstTable | None
    tables: tuple[ConstTable, ...]
    bound: np.ndarray


def folded_bias(op: Op, bias: np.ndarray, input_offset: int, weights: np.ndarray) -> np.ndarray:
    """``bias + input_offset * sum(weights)`` per output channel (the kernels' effective bias,
    see tp_engine_s8.h); ``weights`` is [channels, -1]. Refuses a result outside int32."""
    folded = bias + input_offset * weights.sum(axis=1)
    if folded.min() < INT32_MIN or folded.max() > INT32_MAX:
        raise UnsupportedError(f"op {op.name} ({op.type}): folded bias outside int32")
    return folded


def requantization(op: Op, prefix: str, multipliers: np.ndarray, shifts: np.ndarray,
                   weights: np.ndarray, bias: np.ndarray, *, input_offset: int | None,
                   input_magnitude: int) -> Requant:
    """Tables and proof for one op. ``weights``: int64 [channels, -1]; ``bias``: int64 per
    channel (zeros without one). ``input_offset`` given: the bias is folded with it (and the
    folded table returned); None: the kernel adds the offset itself and takes the plain bias.
    ``prefix`` names the step's statics (``"a_"`` for the first layer of a chain)."""
    mult = ConstTable("int32", np.asarray(multipliers, dtype=np.int64).astype(np.int32),
                      "multipliers", f"{prefix}mult")
    shift = ConstTable("int8", np.asarray(shifts, dtype=np.int64).astype(np.int8), "shifts",
                       f"{prefix}shift")
    quant = struct("tp_channel_quant", f"{prefix}quant", multiplier=mult, shift=shift)
    table = None
    if input_offset is not None:
        bias = folded_bias(op, bias, input_offset, weights)
        table = ConstTable("int32", bias.astype(np.int32), "bias + input offset x weights",
                           f"{prefix}bias")
    bound = np.abs(bias) + input_magnitude * np.abs(weights).sum(axis=1)
    fast = int(bool(np.all(np.asarray(shifts) <= -1) and np.all(bound < FAST_BOUND)))
    return Requant(quant, fast, table, (mult, shift), bound)


def rounding_terms(shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per channel: e = max(-shift, 0), left = max(shift, 0), 2^(e-1) (0 for e = 0)."""
    shifts = np.asarray(shifts, dtype=np.int64)
    e = np.maximum(-shifts, 0)
    return e, np.maximum(shifts, 0), np.where(e > 0, np.left_shift(1, np.maximum(e - 1, 0)), 0)


def rounding_fits(bound: np.ndarray, shifts: np.ndarray, folded_offset: int) -> bool:
    """A kernel that rounds the high product x as x + 2^(e-1) + folded_offset x 2^e - (x < 0)
    (the output offset folded into the rounding; tp_s8_dw_kx1, tp_s8_conv1x1_few) cannot
    overflow: x is at most the accumulator bound (shifted left by the channel's left shift,
    which must not wrap) plus one, in magnitude."""
    e, left, rnd = rounding_terms(shifts)
    xbound = np.asarray(bound, dtype=np.int64) << left
    return bool(np.all(xbound < 1 << 31) and
                np.all(xbound + 1 + rnd + (abs(folded_offset) << e) < 1 << 31))
