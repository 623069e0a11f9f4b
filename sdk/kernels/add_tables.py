"""Per-layer tables of an int8 ADD (tp_add_table_s8), proved exact for every input pair.

TFLite Micro's ADD requantizes each input to a common scale and the sum to the output
(:func:`add_s8_exact`). Each input's scaled value depends on that input alone, so the kernel
looks it up: ``a_table[a] + b_table[b]`` is the sum in output units with ``shift`` fraction
bits (plus one half for rounding, offset so that the smallest sum that occurs is 0), and
``output_table`` maps its integer part to the output byte (offset and activation included; it
covers every integer part that occurs, so the kernel does not clamp). TFLite's double rounding
is not linear, so the tables are checked against it on all 65,536 pairs, with a few nudges of
the rounding constant; a layer none of them fits keeps the generic kernel (tp_add_s8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sdk.quant.arith import multiply_by_quantized_multiplier
from sdk.quant.layer_params import AddParams

# The output table's limit in bytes (about 256 per unit of input-to-output scale ratio).
MAX_OUTPUT_TABLE = 4096
# Offsets (in units of the last fraction bit) tried on the rounding constant, in this order.
NUDGES = (0, -1, 1, -2, 2, -4, 4, -8, 8, -16, 16)


@dataclass(frozen=True)
class AddTables:
    """``a``/``b``: int32 terms indexed by input value + 128; ``output``: int8 per index."""

    a: np.ndarray
    b: np.ndarray
    output: np.ndarray
    shift: int


def add_s8_exact(p: AddParams, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """TFLite Micro's int8 add of ``a`` and ``b`` (broadcasting int64 arrays)."""
    s1 = multiply_by_quantized_multiplier((a + p.input1_offset) << p.left_shift,
                                          p.input1_multiplier, p.input1_shift)
    s2 = multiply_by_quantized_multiplier((b + p.input2_offset) << p.left_shift,
                                          p.input2_multiplier, p.input2_shift)
    raw = multiply_by_quantized_multiplier(s1 + s2, p.output_multiplier, p.output_shift)
    return np.clip(raw + p.output_offset, p.activation_min, p.activation_max)


def add_tables(p: AddParams) -> AddTables | None:
    """Tables equal to :func:`add_s8_exact` on all input pairs, or None if none was found (or
    the output table would exceed MAX_OUTPUT_TABLE bytes)."""
    v = np.arange(-128, 128, dtype=np.int64)
    s1 = multiply_by_quantized_multiplier((v + p.input1_offset) << p.left_shift,
                                          p.input1_multiplier, p.input1_shift)
    s2 = multiply_by_quantized_multiplier((v + p.input2_offset) << p.left_shift,
                                          p.input2_multiplier, p.input2_shift)
    exact = add_s8_exact(p, v[:, None], v[None, :])
    alpha = p.output_multiplier * 2.0 ** (p.output_shift - 31)
    base = p.output_offset + 0.5
    magnitude = (np.abs(s1).max() + np.abs(s2).max()) * alpha + abs(base) + 2
    # The largest shift that keeps every term and sum inside int32.
    shift = 30 - int(np.ceil(np.log2(magnitude)))
    if shift < 8:
        return None
    b_terms = np.round(s2 * alpha * 2.0 ** shift).astype(np.int64)
    for nudge in NUDGES:
        a_terms = np.round((s1 * alpha + base) * 2.0 ** shift).astype(np.int64) + nudge
        index = (a_terms[:, None] + b_terms[None, :]) >> shift
        low, high = int(index.min()), int(index.max())
        if high - low >= MAX_OUTPUT_TABLE:
            return None
        output = np.clip(np.arange(low, high + 1), p.activation_min, p.activation_max)
        if np.array_equal(output[index - low], exact):
            return AddTables((a_terms - (low << shift)).astype(np.int32),
                             b_terms.astype(np.int32), output.astype(np.int8), shift)
    return None
