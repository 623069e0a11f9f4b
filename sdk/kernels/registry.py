"""The kernel-family registry: what each op does at each precision and storage.

A family is keyed by ``(op type, activation dtype, weight dtype, weight storage)`` (the weight
fields are None for ops without constant weights) and holds:

- ``reference(ctx, args) -> array``: the numpy golden model the reference executors run;
- ``lower(ctx, op) -> KernelCall``: the op as one call of its C kernel, every parameter derived
  (None for an alias op such as Reshape, which moves no data and has no call);
- ``kernel``: the C kernel (:class:`CKernel`): function, source, scratch twin, memory behaviour.

A :class:`Pattern` is a fusion family: it matches several consecutive ops (an int8
conv -> conv -> pool chain) and lowers them to one call. Families and patterns register from
their own modules (:mod:`sdk.kernels.families`); adding one needs no edit anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.kernels.storage import storage_of

if TYPE_CHECKING:
    from sdk.kernels.program import KernelCall, LowerContext
    from sdk.kernels.reference import RefContext

FamilyKey = tuple[str, str, "str | None", "str | None"]


@dataclass(frozen=True)
class CKernel:
    """A C kernel of the engine, found by its function name (``sdk.codegen.c_library`` follows
    the engine's sources to the files it needs), or, with a ``source`` path, a kernel kept
    outside the engine.

    ``headers``: headers model.c includes for it besides tp_engine.h (an engine header by name,
    or the path of a header kept outside the engine beside ``source``).
    ``scratch``: Python twin of ``<function>_get_buffer_size`` (None: no scratch); its arguments
    are the family's (the lowering calls it and records the result in the call).
    ``in_place_inputs``: input positions whose buffer the output may take over (the kernel reads
    each element before writing it). ``overlapping_output``: output pixels are written in raster
    order (in tiles of ``write_tile`` pixels, 0: pixel by pixel) so the output may start inside
    a dying input (see sdk.codegen.memory_planner.overlap_limit)."""

    function: str
    headers: tuple[str | Path, ...] = ()
    scratch: Callable[..., int] | None = None
    in_place_inputs: tuple[int, ...] = ()
    overlapping_output: bool = False
    write_tile: int = 0
    source: Path | None = None

    @property
    def outside_files(self) -> list[Path]:
        """The files of a kernel kept outside the engine (its source and headers)."""
        if self.source is None:
            return []
        return [self.source, *(h for h in self.headers if isinstance(h, Path))]

    @property
    def size_function(self) -> str | None:
        """The C ``_get_buffer_size`` function (None without scratch)."""
        return None if self.scratch is None else f"{self.function}_get_buffer_size"


@dataclass(frozen=True)
class Family:
    """One op at one precision and storage (see the module docstring)."""

    op: str
    activation: str
    weight: str | None
    storage: str | None
    reference: Callable[[RefContext, list], np.ndarray]
    lower: Callable[[LowerContext, Op], KernelCall] | None
    kernel: CKernel | None

    @property
    def key(self) -> FamilyKey:
        """The registry key."""
        return (self.op, self.activation, self.weight, self.storage)


@dataclass(frozen=True)
class Pattern:
    """A fusion family: ``match(graph, i)`` returns the ops fused from ``graph.ops[i]`` on (or
    None) and ``lower(ctx, ops)`` their call."""

    name: str
    match: Callable[[Graph, int], list[Op] | None]
    lower: Callable[[LowerContext, list[Op]], KernelCall]
    kernel: CKernel


_FAMILIES: dict[FamilyKey, Family] = {}
_PATTERNS: dict[str, Pattern] = {}


def register_family(family: Family) -> Family:
    """Add ``family`` (replacing one with the same key); returns it."""
    _FAMILIES[family.key] = family
    return family


def unregister_family(key: FamilyKey) -> None:
    """Remove the family with ``key`` (for tests that register temporary families)."""
    _FAMILIES.pop(key, None)


def register_pattern(pattern: Pattern) -> Pattern:
    """Add a fusion pattern; patterns are tried in registration order before single ops."""
    _PATTERNS[pattern.name] = pattern
    return pattern


def registered_families() -> list[Family]:
    """Every registered family."""
    _load()
    return list(_FAMILIES.values())


def registered_patterns() -> list[Pattern]:
    """Every registered fusion pattern, in the order lowering tries them."""
    _load()
    return list(_PATTERNS.values())


def family_key(graph: Graph, op: Op) -> FamilyKey:
    """The key of ``op``: its first input's dtype, and its weights' dtype and storage when its
    second input is a constant."""
    act = graph.tensors[op.inputs[0]].dtype
    if len(op.inputs) > 1 and graph.tensors[op.inputs[1]].is_constant:
        w = graph.tensors[op.inputs[1]]
        return (op.type, act, w.dtype, storage_of(w).name)
    return (op.type, act, None, None)


def family_for(graph: Graph, op: Op, what: str = "the C engine") -> Family:
    """The family that runs ``op``; "not supported" naming the op and its key otherwise."""
    _load()
    key = family_key(graph, op)
    found = _FAMILIES.get(key)
    if found is None:
        weights = f", {key[2]} {key[3]} weights" if key[2] else ""
        raise UnsupportedError(f"op {op.name} ({op.type}) on {key[1]} "
                               f"activations{weights} in {what}")
    return found


def _load() -> None:
    """Import the built-in families (each module registers itself on import)."""
    import sdk.kernels.families  # noqa: F401
