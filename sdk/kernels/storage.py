"""Weight storage: how a constant tensor's values are laid out in flash.

The IR names a constant's storage with a string (``Tensor.storage``); this registry maps the
name to a :class:`WeightStorage` object that knows the packed size and how to pack: ``dense``,
``sparse_csr`` (pruned weights, :class:`SparseStorage`; the code generator picks it per
layer, :mod:`sdk.kernels.sparse_cost`) and ``bitpacked`` (binary weights,
:class:`BitpackedStorage`, :mod:`sdk.kernels.bitpack`). Kernel families are keyed by the storage name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.tensor import Tensor
from sdk.kernels import bitpack


@dataclass(frozen=True)
class WeightStorage(ABC):
    """A storage format: ``packed_bytes(t)`` bytes in flash, laid out as ``pack(t)``."""

    name: str

    @abstractmethod
    def packed_bytes(self, tensor: Tensor) -> int:
        """Bytes the packed constant occupies."""

    @abstractmethod
    def pack(self, tensor: Tensor) -> np.ndarray:
        """The flat array of stored elements (its dtype is the stored element type)."""


@dataclass(frozen=True)
class DenseStorage(WeightStorage):
    """Every element in row-major order, at the tensor's own dtype."""

    name: str = "dense"

    def packed_bytes(self, tensor: Tensor) -> int:
        return tensor.nbytes

    def pack(self, tensor: Tensor) -> np.ndarray:
        return np.asarray(tensor.data).ravel()


# Entries per sparse tensor: the C segment offsets are int16 (tp_sparse_s8.start).
SPARSE_MAX_ENTRIES = 32767
# Longest position step of one entry (uint8 deltas); longer gaps take entries of value 0.
SPARSE_MAX_DELTA = 255


@dataclass(frozen=True)
class SparsePacked:
    """A sparse tensor as the kernels read it (tp_sparse_s8 / tp_sparse_f32 in
    tp_engine_sparse.h): segment ``s`` holds entries ``start[s]`` .. ``start[s + 1] - 1``;
    entry ``e`` is ``value[e]`` at ``delta[e]`` positions after the previous entry of its
    segment (after position 0 for the first)."""

    start: np.ndarray  # int16, segments + 1
    delta: np.ndarray  # uint8
    value: np.ndarray  # the tensor's dtype

    @property
    def nbytes(self) -> int:
        """Bytes of the three tables in flash."""
        return self.start.nbytes + self.delta.nbytes + self.value.nbytes


def sparse_segments(tensor: Tensor) -> np.ndarray:
    """The tensor's values as [segments, positions]: an int8 convolution filter [O, KH, KW, C]
    by output channel and window row ([O * KH, KW * C], as the kernel splits windows into
    chunks of rows), a float one by output channel ([O, KH * KW * C]), a dense layer's [O, I]
    by output."""
    data = np.asarray(tensor.data)
    if data.ndim == 4 and tensor.dtype == "int8":
        o, kh, kw, c = data.shape
        return data.reshape(o * kh, kw * c)
    return data.reshape(data.shape[0], -1)


def pack_sparse(tensor: Tensor) -> SparsePacked:
    """The sparse tables of ``tensor`` (zeros skipped, long gaps bridged by zero entries)."""
    rows = sparse_segments(tensor)
    start, delta, value = [0], [], []
    for row in rows:
        previous = 0
        for pos in np.flatnonzero(row):
            gap = int(pos) - previous
            while gap > SPARSE_MAX_DELTA:
                delta.append(SPARSE_MAX_DELTA)
                value.append(0)
                gap -= SPARSE_MAX_DELTA
            delta.append(gap)
            value.append(row[pos])
            previous = int(pos)
        start.append(len(value))
    if len(value) > SPARSE_MAX_ENTRIES:
        raise UnsupportedError(f"not supported: sparse storage of {tensor.name} with "
                               f"{len(value)} entries (at most {SPARSE_MAX_ENTRIES})")
    return SparsePacked(np.array(start, dtype=np.int16), np.array(delta, dtype=np.uint8),
                        np.array(value, dtype=rows.dtype))


@dataclass(frozen=True)
class SparseStorage(WeightStorage):
    """Pruned weights without their zeros: per segment (:func:`sparse_segments`), the non-zero
    values and their uint8 position steps (:class:`SparsePacked`)."""

    name: str = "sparse_csr"

    def packed_bytes(self, tensor: Tensor) -> int:
        return pack_sparse(tensor).nbytes

    def pack(self, tensor: Tensor) -> np.ndarray:
        return pack_sparse(tensor).value


@dataclass(frozen=True)
class BitpackedStorage(WeightStorage):
    """Binary (+1/-1) weights bit-packed along their last axis (:mod:`sdk.kernels.bitpack`):
    a Conv2D filter OHWI per (o, h, w), a Dense weight [O, K] per ``meta["bitpack_group"]``
    values (default K). ``word_bits``: the word of the sizes and tables it reports (32; the
    lowering packs in the graph's own word, :func:`sdk.kernels.bitpack.graph_word_bits`)."""

    name: str = "bitpacked"
    word_bits: int = 32

    def packed_bytes(self, tensor: Tensor) -> int:
        return bitpack.packed_bytes(tensor.shape, self.word_bits, _group(tensor))

    def pack(self, tensor: Tensor) -> np.ndarray:
        return bitpack.pack_bits(tensor.const_data(), self.word_bits, _group(tensor)).ravel()


def _group(tensor: Tensor) -> int | None:
    group = tensor.meta.get("bitpack_group")
    return None if group is None else int(group)


_STORAGES: dict[str, WeightStorage] = {}


def register_storage(storage: WeightStorage) -> WeightStorage:
    """Make ``storage`` the implementation of ``Tensor.storage == storage.name``."""
    _STORAGES[storage.name] = storage
    return storage


def storage_of(tensor: Tensor) -> WeightStorage:
    """The storage object of constant ``tensor``; "not supported" for a name without one."""
    found = _STORAGES.get(tensor.storage)
    if found is None:
        raise UnsupportedError(f"not supported: weight storage {tensor.storage!r} of constant "
                               f"{tensor.name} (implemented: {', '.join(sorted(_STORAGES))})")
    return found


register_storage(DenseStorage())
register_storage(SparseStorage())
register_storage(BitpackedStorage())
