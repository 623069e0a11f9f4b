"""The K x 1 variant of the int8 DepthwiseConv2D family (tp_depthwise_conv_kx1_s8): a window
one column wide (K <= 15), stride 1, depth multiplier 1, no left/right padding.

The weights are laid out here as int16 pairs per channel for SMLAD, two outputs per loaded
input word (see tp_depthwise_conv_kx1_s8.c), and the requantization as one record per
channel. With the fast requantization the weights and bias are doubled, so the kernel's
accumulator is already the 2x its SMMLAR takes; otherwise the kernel runs TFLite's generic
arithmetic. Either way this module proves the kernel's rounding cannot overflow (with the output
offset folded into it when there is no ReLU) or declines the variant.
"""

from __future__ import annotations

import numpy as np

from sdk.ir.graph import Graph, Op
from sdk.kernels.families.conv2d import S8_HEADERS
from sdk.kernels.registry import CKernel
from sdk.kernels.requant import rounding_terms
from sdk.kernels.values import ConstTable

# Channels per group (KX1_GROUP in tp_depthwise_conv_kx1_s8.c) and the longest window.
KX1_GROUP = 16
KX1_MAX_K = 15


def kx1_pair_count(kernel_h: int) -> int:
    """Weight pairs per channel and output: K/2 + 1."""
    return kernel_h // 2 + 1


def kx1_buffer_bytes(kernel_h: int, out_h: int, out_c: int) -> int:
    """Twin of ``tp_depthwise_conv_kx1_s8_get_buffer_size``: one expanded int16 column per
    channel of a group of min(KX1_GROUP, C), 4 ceil(out_h / 4) + 2 (K/2 + 1) values long."""
    length = 4 * ((out_h + 3) // 4) + 2 * kx1_pair_count(kernel_h)
    return min(KX1_GROUP, out_c) * length * 2


KX1_KERNEL = CKernel("tp_depthwise_conv_kx1_s8", S8_HEADERS, kx1_buffer_bytes,
                     in_place_inputs=(0,))


def kx1_applies(graph: Graph, op: Op) -> bool:
    """True when the op's geometry is the K x 1 kernel's."""
    _, kh, kw, _ = graph.tensors[op.inputs[1]].shape
    _, _, pl, pr = op.attrs["padding"]
    return (kw == 1 and 1 <= kh <= KX1_MAX_K and tuple(op.attrs["stride"]) == (1, 1)
            and int(op.attrs.get("depth_multiplier", 1)) == 1 and pl == 0 and pr == 0)


def weight_pairs(weights: np.ndarray, doubled: bool) -> ConstTable:
    """[K, C] int weights -> [C][2n] words (A_j, B_j): A_j = (w[2j], w[2j+1]),
    B_j = (w[2j-1], w[2j]), zero outside the window; low halfword first."""
    k, c = weights.shape
    n = kx1_pair_count(k)
    w = np.zeros((2 * n + 2, c), dtype=np.int64)
    w[1:k + 1] = weights * (2 if doubled else 1)  # w[i + 1] is tap i; w[0] is tap -1
    j = np.arange(n)
    a = _pack(w[2 * j + 1], w[2 * j + 2])
    b = _pack(w[2 * j], w[2 * j + 1])
    words = np.stack([a, b], axis=1).transpose(2, 0, 1).reshape(c, 2 * n)
    return ConstTable("int32", words.astype(np.int32), "weight pairs (A_j, B_j) per channel",
                      "pairs", aligned=True)


def _pack(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    word = (lo & 0xFFFF) | ((hi & 0xFFFF) << 16)
    return np.where(word >= 1 << 31, word - (1 << 32), word)


def records(bias: np.ndarray, multipliers: np.ndarray, shifts: np.ndarray, fast: bool,
            folded_offset: int) -> ConstTable:
    """Per channel: bias (doubled when fast), multiplier, 2^(e-1) + folded_offset x 2^e (the
    output offset when the activation only saturates, else 0), e, left, the sign shift (31,
    or 32 for e = 0, which shifts the sign term out)."""
    e, left, rnd = rounding_terms(shifts)
    rec = np.stack([bias * (2 if fast else 1), np.asarray(multipliers, np.int64),
                    rnd + (folded_offset << e), e, left, np.where(e > 0, 31, 32)], axis=1)
    return ConstTable("int32", rec.astype(np.int32),
                      "bias, multiplier, rounding + offset x 2^e, e, left shift, sign shift",
                      "records", aligned=True)
