"""Printer-neutral values of a lowered program: what a kernel call passes.

A :class:`~sdk.kernels.program.KernelCall` lists its arguments as these values; a printer
(model.c for firmware, a MicroPython native module later) turns each into its own text without
knowing any kernel:

- :class:`TensorRef`: an activation tensor (the printer resolves its place from the memory plan);
- :class:`ConstTable`: a constant array in flash (a graph constant, keyed by its tensor name so
  it is stored once, or a table derived by lowering: folded biases, multipliers, rearranged
  weights); counted in the model's weight bytes;
- :class:`Struct`: a C struct value with named fields, in declaration order. A named struct is a
  ``static const`` of the step (passed or referenced by address); an unnamed one is written
  inline where it appears;
- :class:`Int`, :class:`Float`, :class:`Array` (an inline initializer of several values),
  :data:`SCRATCH` (the call's scratch buffer, or no pointer when it has none), :data:`NULL`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# C element types of the dtypes a table or an activation may have (bit-packed binary
# activations are words of the board's width, tp_bword in tp_engine_b1.h; their tables are
# uint16 or uint32).
CTYPES = {"float32": "float", "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t",
          "int32": "int32_t", "uint16": "uint16_t", "uint32": "uint32_t", "binary": "tp_bword"}


@dataclass(frozen=True)
class TensorRef:
    """An activation tensor of the graph (in the arena)."""

    name: str


@dataclass(frozen=True, eq=False)
class ConstTable:
    """A constant array. ``key`` is the graph tensor's name for graph constants (one copy per
    model) and None for tables derived by lowering, which are named ``name`` within their step.
    ``comment`` says what it holds; ``aligned``: on a 4-byte boundary (a kernel reads words);
    ``weight_bits``: packed binary weights, the bits that bit errors flip (docs/bit_errors.md)."""

    dtype: str
    data: np.ndarray
    comment: str
    name: str = ""
    key: str | None = None
    aligned: bool = False
    weight_bits: bool = False

    @property
    def nbytes(self) -> int:
        """Bytes of the table in flash."""
        return int(self.data.size) * np.dtype(self.data.dtype).itemsize


@dataclass(frozen=True)
class Int:
    """An integer scalar."""

    value: int


@dataclass(frozen=True)
class Float:
    """A float32 scalar (``float("inf")`` stands for the largest float, FLT_MAX)."""

    value: float


@dataclass(frozen=True, eq=False)
class Struct:
    """A struct value of C type ``ctype`` with ``fields`` (name, value) in declaration order;
    ``name``: a static constant of the step (referenced by address), "": written inline."""

    ctype: str
    fields: tuple[tuple[str, Value], ...]
    name: str = ""


@dataclass(frozen=True)
class Array:
    """An inline initializer of several values (an array member of a struct)."""

    items: tuple[Value, ...]


@dataclass(frozen=True)
class _Marker:
    what: str


SCRATCH = _Marker("scratch")
NULL = _Marker("null")

Value = TensorRef | ConstTable | Int | Float | Struct | Array | _Marker


def struct(ctype: str, name: str = "", **fields: Value | int) -> Struct:
    """A :class:`Struct` whose plain ints become :class:`Int` values (fields in keyword order)."""
    return Struct(ctype, tuple((k, Int(int(v)) if isinstance(v, (int, np.integer)) else v)
                               for k, v in fields.items()), name)
