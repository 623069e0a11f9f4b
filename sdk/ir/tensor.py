"""Tensors of the IR: named, shaped, typed; constants carry their data.

Layout conventions (the same as TFLite, so .tflite import and export are direct):
activations are NHWC; Conv2D weights are OHWI ``[out, kh, kw, in]``; DepthwiseConv2D
weights are ``[1, kh, kw, channels * depth_multiplier]``; Dense weights are ``[out, in]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sdk.errors import UnsupportedError

DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype(np.float32),
    "int8": np.dtype(np.int8),
    "uint8": np.dtype(np.uint8),
    "int16": np.dtype(np.int16),
    "int32": np.dtype(np.int32),
    # Binary tensors hold +1/-1 values; their storage may be bit-packed (see ``STORAGE``).
    "binary": np.dtype(np.int8),
}

# How a constant's values are laid out in flash. Only "dense" is produced today; the others
# are named so pruned and bit-packed weights extend the IR instead of replacing it.
STORAGE = ("dense", "sparse_csr", "bitpacked")


@dataclass
class QuantParams:
    """Affine quantization: ``real = scale * (q - zero_point)``.

    ``axis`` is None for per-tensor parameters (scale and zero_point have one element);
    otherwise it names the dimension along which each channel has its own scale.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None = None

    def __post_init__(self) -> None:
        self.scale = np.atleast_1d(np.asarray(self.scale, dtype=np.float64))
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64))
        if self.scale.shape != self.zero_point.shape:
            raise ValueError("scale and zero_point must have the same length")

    @property
    def per_channel(self) -> bool:
        """True when the parameters differ along ``axis``."""
        return self.axis is not None

    def to_json(self) -> dict:
        """A JSON-serializable description."""
        return {
            "scale": self.scale.tolist(),
            "zero_point": self.zero_point.tolist(),
            "axis": self.axis,
        }

    @classmethod
    def from_json(cls, obj: dict) -> QuantParams:
        """Inverse of :meth:`to_json`."""
        return cls(np.asarray(obj["scale"]), np.asarray(obj["zero_point"]), obj.get("axis"))


@dataclass
class Tensor:
    """A named tensor. ``data`` is set for constants (weights, biases) and None for activations.

    ``mask`` (same shape as data, bool) marks the weights kept by pruning; ``storage`` says how
    the constant is stored on the device.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    data: np.ndarray | None = None
    quant: QuantParams | None = None
    mask: np.ndarray | None = None
    storage: str = "dense"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shape = tuple(int(d) for d in self.shape)
        if self.dtype not in DTYPES:
            raise ValueError(f"tensor {self.name}: unknown dtype {self.dtype!r}")
        if self.storage not in STORAGE:
            raise ValueError(f"tensor {self.name}: unknown storage {self.storage!r}")
        if self.data is not None:
            self.data = np.ascontiguousarray(self.data, dtype=DTYPES[self.dtype])
            if self.data.shape != self.shape:
                raise ValueError(
                    f"tensor {self.name}: data shape {self.data.shape} != declared {self.shape}"
                )

    @property
    def is_constant(self) -> bool:
        """True for weights and biases."""
        return self.data is not None

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        """Bytes per element as stored densely."""
        return DTYPES[self.dtype].itemsize

    @property
    def nbytes(self) -> int:
        """Bytes this tensor occupies when stored densely."""
        return self.size * self.itemsize

    def const_data(self) -> np.ndarray:
        """The data of a constant, which a weight or bias must be."""
        if self.data is None:
            raise UnsupportedError(f"tensor {self.name} has no data (an activation where a constant "
                                   "weight or bias is expected)")
        return self.data

    def qparams(self) -> QuantParams:
        """The quantization parameters, which a quantized tensor must have."""
        if self.quant is None:
            raise UnsupportedError(f"tensor {self.name} ({self.dtype}) has no quantization "
                                   "parameters (scale and zero point)")
        return self.quant
