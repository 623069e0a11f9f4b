"""Bit-packing of binary tensors (sdk.kernels.bitpack): the documented layout, round trips for
16- and 32-bit words with channel counts that are not multiples of the word, zero padding bits,
packed sizes, the XNOR-popcount dot product, and the "bitpacked" weight storage."""

from __future__ import annotations

import numpy as np
import pytest

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir import Tensor
from sdk.kernels import bitpack
from sdk.kernels.storage import storage_of


def _signs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)


def test_layout_is_little_endian_along_channels():
    v = -np.ones(35, dtype=np.int8)
    v[[0, 3, 16, 31, 32, 34]] = 1
    assert bitpack.pack_bits(v, 32).tolist() == [(1 << 0) | (1 << 3) | (1 << 16) | (1 << 31),
                                                 (1 << 0) | (1 << 2)]
    assert bitpack.pack_bits(v, 16).tolist() == [(1 << 0) | (1 << 3), (1 << 0) | (1 << 15),
                                                 (1 << 0) | (1 << 2)]
    assert bitpack.pack_bits(v, 32).dtype == np.uint32
    assert bitpack.pack_bits(v, 16).dtype == np.uint16


@pytest.mark.parametrize("word", [16, 32])
@pytest.mark.parametrize("channels", [1, 15, 16, 17, 31, 32, 33, 70])
def test_round_trip_and_zero_padding_bits(word, channels):
    rng = np.random.default_rng(channels + word)
    v = _signs(rng, (2, 3, 4, channels))
    packed = bitpack.pack_bits(v, word)
    assert packed.shape == (2, 3, 4, -(-channels // word))
    assert np.array_equal(bitpack.unpack_bits(packed, channels, word), v)
    spare = packed[..., -1].astype(np.uint64) >> np.uint64(channels - (channels - 1) // word * word)
    assert not np.any(spare)  # the last word's unused bits are 0
    allplus = bitpack.pack_bits(np.ones(channels, dtype=np.int8), word)
    assert int(bitpack.popcount(allplus).sum()) == channels
    assert packed.nbytes == bitpack.packed_bytes(v.shape, word)
    assert bitpack.packed_bytes(v.shape, word) == 2 * 3 * 4 * -(-channels // word) * word // 8


@pytest.mark.parametrize("word", [16, 32])
def test_groups_start_new_words(word):
    rng = np.random.default_rng(word)
    v = _signs(rng, (5, 4 * 21))  # 4 groups of 21 (a flattened 2x2x21 tensor)
    packed = bitpack.pack_bits(v, word, group=21)
    per = -(-21 // word)
    assert packed.shape == (5, 4 * per)
    for g in range(4):
        assert np.array_equal(packed[:, g * per:(g + 1) * per],
                              bitpack.pack_bits(v[:, g * 21:(g + 1) * 21], word))
    assert np.array_equal(bitpack.unpack_bits(packed, 84, word, group=21), v)
    assert bitpack.packed_bytes((5, 84), word, 21) == packed.nbytes


@pytest.mark.parametrize("word", [16, 32])
@pytest.mark.parametrize("length", [1, 9, 32, 45, 288])
def test_xnor_dot_equals_the_dot_product(word, length):
    rng = np.random.default_rng(length * word)
    x, w = _signs(rng, (7, length)), _signs(rng, (7, length))
    got = bitpack.xnor_dot(bitpack.pack_bits(x, word), bitpack.pack_bits(w, word), length)
    assert np.array_equal(got, (x.astype(np.int64) * w).sum(axis=1))


def test_popcount_of_wide_words():
    words = np.array([0, 1, 0xFFFF, 0xFFFFFFFF, 0x80000001], dtype=np.uint32)
    assert bitpack.popcount(words).tolist() == [0, 1, 16, 32, 2]


def test_word_of_each_architecture():
    assert bitpack.word_bits_for_arch("msp430") == 16
    assert bitpack.word_bits_for_arch("armv7em") == 32
    assert bitpack.word_bits_for_arch("host") == 32
    assert bitpack.graph_word_bits({}) == 32
    assert bitpack.graph_word_bits({"binary_word": 16}) == 16


def test_bad_input_is_one_error():
    with pytest.raises(ShapeError, match=r"\+1 or -1"):
        bitpack.pack_bits(np.array([1, 0, -1]), 32)
    with pytest.raises(UnsupportedError, match="8-bit words"):
        bitpack.pack_bits(np.array([1, -1]), 8)
    with pytest.raises(UnsupportedError, match="64-bit words"):
        bitpack.graph_word_bits({"binary_word": 64})
    with pytest.raises(ShapeError, match="does not divide"):
        bitpack.pack_bits(np.ones((2, 10)), 32, group=3)
    with pytest.raises(ShapeError, match="words per row"):
        bitpack.unpack_bits(np.zeros((2, 3), dtype=np.uint32), 40, 32)


def test_bitpacked_storage_sizes_and_packs():
    rng = np.random.default_rng(3)
    conv = Tensor("w", (6, 3, 3, 40), "binary", _signs(rng, (6, 3, 3, 40)), storage="bitpacked")
    storage = storage_of(conv)
    assert storage.name == "bitpacked"
    assert storage.packed_bytes(conv) == 6 * 3 * 3 * 2 * 4  # 40 channels: 2 words of 32
    assert np.array_equal(storage.pack(conv), bitpack.pack_bits(conv.data, 32).ravel())
    dense = Tensor("d", (4, 3 * 40), "binary", _signs(rng, (4, 120)), storage="bitpacked",
                   meta={"bitpack_group": 40})
    assert storage.packed_bytes(dense) == 4 * 3 * 2 * 4
    assert np.array_equal(storage.pack(dense), bitpack.pack_bits(dense.data, 32, 40).ravel())
