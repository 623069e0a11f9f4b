"""Weight storage: how a constant tensor's values are laid out in flash.

The IR names a constant's storage with a string (``Tensor.storage``); this registry maps the
name to a :class:`WeightStorage` object that knows the packed size and how to pack. Only dense
storage is implemented; sparse and bit-packed storages register themselves here when they
exist, and kernel families are keyed by the storage name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.tensor import Tensor


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
