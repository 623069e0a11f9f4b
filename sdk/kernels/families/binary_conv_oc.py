"""The binary convolution with filters packed along output channels (tp_binary_conv_b1_oc,
tp_binary_count_oc.h): lanes of a word are output channels, counts are bit-sliced, and the
threshold comparison gives the packed output word directly.

Laid out at lowering: per tile of W output channels, one word per window input bit (kh x kw
pixels of ceil(C/W) words of W bits, channel-padding bits with weight 0), bit l = the weight
of channel tile * W + l (1 = +1); and per tile ``planes`` words of the bounds (+1 iff the
popcount of differences < bound), plane i holding bit i of each lane's bound, lanes past the
last channel 0 (never +1).
"""

from __future__ import annotations

import numpy as np

from sdk.kernels.bitpack import word_dtype, words_per_group


def _lanes(bits: np.ndarray, word_bits: int) -> np.ndarray:
    """Pack the last axis (W lanes of 0/1) into words."""
    weights = np.left_shift(np.uint64(1), np.arange(word_bits, dtype=np.uint64))
    return (bits.astype(np.uint64) * weights).sum(axis=-1).astype(word_dtype(word_bits))


def oc_filter(weights: np.ndarray, word_bits: int) -> np.ndarray:
    """The filter words [tiles, kh * kw * ceil(C/W) * W] of +1/-1 OHWI ``weights``."""
    o, kh, kw, c = weights.shape
    tiles = words_per_group(o, word_bits)
    cpad = words_per_group(c, word_bits) * word_bits
    bits = np.zeros((tiles * word_bits, kh, kw, cpad), dtype=np.uint8)
    bits[:o, :, :, :c] = weights > 0
    lanes = bits.reshape(tiles, word_bits, kh * kw * cpad).transpose(0, 2, 1)
    return _lanes(lanes, word_bits)


def oc_bounds(bound: np.ndarray, terms: int, word_bits: int) -> tuple[np.ndarray, int]:
    """The bit-sliced bounds [tiles, planes] of per-channel ``bound`` (0 .. terms + 1) and the
    number of planes: bits(terms + 1), enough for every count and bound (the comparison
    must see a count's high bits even where every bound is small)."""
    planes = (terms + 1).bit_length()
    tiles = words_per_group(bound.size, word_bits)
    padded = np.zeros(tiles * word_bits, dtype=np.int64)
    padded[:bound.size] = bound
    bits = (padded.reshape(tiles, word_bits)[:, None, :] >> np.arange(planes)[None, :, None]) & 1
    return _lanes(bits, word_bits), planes

