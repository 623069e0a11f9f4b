"""The stride-2 variant of the int8 DepthwiseConv2D family (tp_depthwise_conv_s2_s8): stride 2
along the width (any along the height), any depth multiplier, a window of at most 16 x 8, fast
or generic requantization.

With stride 2 a window row's taps pair up as the words of an expanded input row, so the
weights are laid out here as int16 pairs (w[2j], w[2j+1]) per output channel and window row,
with the fast requantization doubled with the bias (the kernel's accumulator is the 2x its
SMMULR takes), and the requantization as one record per output channel (see
tp_depthwise_conv_s2_s8.c).
"""

from __future__ import annotations

import numpy as np

from sdk.ir.graph import Graph, Op
from sdk.kernels.families.conv2d import S8_HEADERS
from sdk.kernels.registry import CKernel
from sdk.kernels.requant import rounding_terms
from sdk.kernels.values import ConstTable

# Input channels per group (S2_GROUP in tp_depthwise_conv_s2_s8.c).
S2_GROUP = 16


def s2_buffer_bytes(kernel_h: int, kernel_w: int, out_w: int, in_c: int) -> int:
    """Twin of ``tp_depthwise_conv_s2_s8_get_buffer_size``: a ring of kernel_h expanded rows of
    min(S2_GROUP, input channels) channels, 2 (out_w + ceil(kernel_w / 2) + 1) int16 each."""
    return kernel_h * min(S2_GROUP, in_c) * 2 * (out_w + (kernel_w + 1) // 2 + 1) * 2


S2_KERNEL = CKernel("tp_depthwise_conv_s2_s8", S8_HEADERS, s2_buffer_bytes)


def s2_applies(graph: Graph, op: Op) -> bool:
    """True when the op's geometry is the stride-2 kernel's (the caller checks the
    requantization)."""
    _, kh, kw, _ = graph.tensors[op.inputs[1]].shape
    return op.attrs["stride"][1] == 2 and kh <= 16 and kw <= 8


def s2_pairs(weights: np.ndarray, fast: bool) -> ConstTable:
    """[kh, kw, C] weights -> [C][kh][ceil(kw / 2)] words (w[2j], w[2j+1]) (doubled when
    ``fast``), low half first, zero past the window."""
    kh, kw, c = weights.shape
    jn = (kw + 1) // 2
    w = np.zeros((c, kh, 2 * jn), dtype=np.int64)
    w[:, :, :kw] = (2 if fast else 1) * np.transpose(weights, (2, 0, 1))
    words = (w[:, :, 0::2] & 0xFFFF) | ((w[:, :, 1::2] & 0xFFFF) << 16)
    words = np.where(words >= 1 << 31, words - (1 << 32), words)
    return ConstTable("int32", words.reshape(c, -1).astype(np.int32),
                      "weight pairs per channel and window row", "pairs", aligned=True)


def s2_records(bias: np.ndarray, multipliers: np.ndarray, shifts: np.ndarray,
               folded_offset: int, fast: bool) -> ConstTable:
    """Per output channel, fast: 2 x bias, multiplier, 2^(e-1) + folded_offset x 2^e, e;
    generic: bias, multiplier, the same rounding, e, left shift, the sign shift (31, or 32 for
    e = 0, which shifts the sign term out). The caller proves the rounding fits
    (``rounding_fits``)."""
    e, left, rnd = rounding_terms(shifts)
    cols = [(2 if fast else 1) * bias, np.asarray(multipliers, np.int64),
            rnd + (folded_offset << e), e]
    if not fast:
        cols += [left, np.where(e > 0, 31, 32)]
    return ConstTable("int32", np.stack(cols, axis=1).astype(np.int32),
                      "2 x bias, multiplier, rounding + offset x 2^e, e" if fast else
                      "bias, multiplier, rounding + offset x 2^e, e, left shift, sign shift",
                      "records", aligned=True)
