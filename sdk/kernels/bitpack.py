"""Bit-packing of binary (+1/-1) tensors, the layout the binary C kernels read.

Bit 1 is +1, bit 0 is -1 (so the max of binary values is the OR of their bits). Values are
packed along the innermost axis in groups: a group of ``g`` values takes ``ceil(g / W)`` words
of W bits (W = 32 on Cortex-M and the host, 16 on the MSP430: :func:`word_bits_for_arch`),
value ``c`` of a group in word ``c // W``, bit ``c % W`` (little-endian within the word). Every
group starts a new word and the unused high bits of its last word are 0, in activations and
weights alike, so XOR is 0 there and a dot product only counts real values::

    dot(x, w) = sum x * w = N - 2 * popcount(x XOR w)      (N real values, x, w in {-1, +1})

A binary NHWC activation is packed per pixel (group = channels); a Conv2D filter OHWI per
(o, h, w) (group = input channels); a Dense weight [O, K] and a flattened binary input [N, K]
per ``group`` values (``group = C`` after a Flatten of an NHWC tensor with C channels, so the
flatten moves no data).

Which word the graph uses is its metadata ``"binary_word"`` (:func:`graph_word_bits`, 32 when
absent); the build sets it from the board's architecture.
"""

from __future__ import annotations

import numpy as np

from sdk.errors import ShapeError, UnsupportedError

WORD_BITS = (16, 32)
_WORD_DTYPES: dict[int, np.dtype] = {16: np.dtype(np.uint16), 32: np.dtype(np.uint32)}
# The architectures with a 16-bit word (the rest pack in 32-bit words).
_ARCH_WORD_BITS = {"msp430": 16}


def word_bits_for_arch(arch: str) -> int:
    """The packing word of an architecture (``board.json`` ``arch``): 16 on the MSP430, else 32."""
    return _ARCH_WORD_BITS.get(arch, 32)


def graph_word_bits(metadata: dict) -> int:
    """The packing word a graph's metadata names (``"binary_word"``, default 32)."""
    word = int(metadata.get("binary_word", 32))
    _check_word(word)
    return word


def _check_word(word_bits: int) -> None:
    if word_bits not in WORD_BITS:
        raise UnsupportedError(f"not supported: bit-packing in {word_bits}-bit words "
                               f"(16 or 32)")


def word_dtype(word_bits: int) -> np.dtype:
    """numpy dtype of one packed word (uint16 or uint32)."""
    _check_word(word_bits)
    return _WORD_DTYPES[word_bits]


def words_per_group(group: int, word_bits: int) -> int:
    """Words holding one group of ``group`` values: ``ceil(group / W)``."""
    _check_word(word_bits)
    return -(-group // word_bits)


def packed_bytes(shape: tuple[int, ...], word_bits: int, group: int | None = None) -> int:
    """Bytes of a binary tensor of ``shape`` packed along its last axis in groups of ``group``
    values (default: the whole last axis): ``outer * groups * ceil(group / W) * W / 8``.
    For an NHWC activation that is N*H*W*ceil(C/W)*W/8."""
    if not shape:
        raise ShapeError("bit-packing: a scalar has no axis to pack")
    last = int(shape[-1])
    group = last if group is None else int(group)
    if group <= 0 or last % group:
        raise ShapeError(f"bit-packing: group of {group} values does not divide the last axis "
                         f"of shape {list(shape)}")
    outer = int(np.prod(shape[:-1], dtype=np.int64))
    return outer * (last // group) * words_per_group(group, word_bits) * word_bits // 8


def pack_bits(values: np.ndarray, word_bits: int, group: int | None = None) -> np.ndarray:
    """Pack +1/-1 ``values`` along the last axis in groups of ``group`` (default: the whole
    axis); returns words of shape ``values.shape[:-1] + (groups * ceil(group / W),)``."""
    v = np.asarray(values)
    if v.size and not np.all((v == 1) | (v == -1)):
        raise ShapeError("bit-packing: binary values must be +1 or -1")
    dtype = word_dtype(word_bits)
    last = v.shape[-1]
    group = last if group is None else int(group)
    if group <= 0 or last % group:
        raise ShapeError(f"bit-packing: group of {group} values does not divide the last axis "
                         f"of shape {list(v.shape)}")
    per = words_per_group(group, word_bits)
    bits = np.zeros(v.shape[:-1] + (last // group, per * word_bits), dtype=np.uint64)
    bits[..., :group] = (v.reshape(v.shape[:-1] + (last // group, group)) > 0)
    weights = np.left_shift(np.uint64(1), np.arange(word_bits, dtype=np.uint64))
    words = (bits.reshape(bits.shape[:-1] + (per, word_bits)) * weights).sum(axis=-1)
    return words.reshape(v.shape[:-1] + (last // group * per,)).astype(dtype)


def unpack_bits(words: np.ndarray, length: int, word_bits: int,
                group: int | None = None) -> np.ndarray:
    """Inverse of :func:`pack_bits`: int8 +1/-1 values, ``length`` per row (the last axis of
    the packed tensor), in groups of ``group`` (default ``length``)."""
    w = np.asarray(words)
    group = length if group is None else int(group)
    if group <= 0 or length % group:
        raise ShapeError(f"bit-unpacking: group of {group} values does not divide {length}")
    per = words_per_group(group, word_bits)
    groups = length // group
    if w.shape[-1] != groups * per:
        raise ShapeError(f"bit-unpacking: {w.shape[-1]} words per row, expected "
                         f"{groups * per} for {length} values in {word_bits}-bit words")
    shifts = np.arange(word_bits, dtype=np.uint64)
    bits = (w.astype(np.uint64)[..., None] >> shifts) & np.uint64(1)
    bits = bits.reshape(w.shape[:-1] + (groups, per * word_bits))[..., :group]
    return np.where(bits > 0, 1, -1).astype(np.int8).reshape(w.shape[:-1] + (length,))


def popcount(words: np.ndarray) -> np.ndarray:
    """Set bits of each word (any unsigned integer dtype), as int64."""
    w = np.asarray(words).astype(np.uint64)
    count = np.zeros(w.shape, dtype=np.int64)
    for byte in range(8):
        count += _BYTE_POPCOUNT[((w >> np.uint64(8 * byte)) & np.uint64(0xFF)).astype(np.intp)]
    return count


_BYTE_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


def xnor_dot(x_words: np.ndarray, w_words: np.ndarray, real_values: int) -> np.ndarray:
    """The dot product of packed +1/-1 vectors along the last axis (broadcasting):
    ``real_values - 2 * popcount(x XOR w)`` (the padding bits are 0 in both, so never count)."""
    return real_values - 2 * popcount(np.bitwise_xor(x_words, w_words)).sum(axis=-1)
