"""The lowered program: a graph as a list of kernel calls, every parameter derived once.

:func:`lower` walks the graph in order; at each op it tries the registered fusion patterns,
then the op's family (:mod:`sdk.kernels.registry`). Each :class:`KernelCall` carries its C
function, its arguments as printer-neutral values (:mod:`sdk.kernels.values`), the static
constants it defines (in definition order), its scratch bytes (from the kernel's Python
``_get_buffer_size`` twin) and its memory behaviour for the planner. A call that can trade
speed for memory lists ``variants`` (slower, smaller): the memory planner plans each and keeps
one (:func:`sdk.codegen.memory_planner.plan_program`); nothing here is mutated afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sdk.errors import ShapeError, UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.ir.tensor import QuantParams
from sdk.kernels.registry import CKernel, family_for, registered_patterns
from sdk.kernels.storage import storage_of
from sdk.kernels.values import CTYPES, NULL, ConstTable, Struct, TensorRef, Value, struct
from sdk.quant import layer_params as lp


@dataclass(frozen=True, eq=False)
class KernelCall:
    """One call of the generated invoke (``kernel`` None: an alias op, no code).

    ``inputs``: the activation tensors it reads; ``in_place``: those whose buffer the output
    may take over; ``overlap_tile``: None, or the output may partly overlap its dying first
    input (tiles of that many pixels, 0: pixel by pixel). ``size_args``: the arguments of the
    kernel's C ``_get_buffer_size`` (whose Python twin gave ``scratch_bytes``).
    ``variants``: ``(slow options, call)`` alternatives, smaller scratch for less speed."""

    ops: tuple[Op, ...]
    kernel: CKernel | None
    args: tuple[Value, ...] = ()
    defs: tuple[Value, ...] = ()
    inputs: tuple[str, ...] = ()
    in_place: tuple[str, ...] = ()
    overlap_tile: int | None = None
    scratch_bytes: int = 0
    size_args: tuple[Value, ...] = ()
    variants: tuple[tuple[int, KernelCall], ...] = ()

    @property
    def name(self) -> str:
        """The call's name: its first op's."""
        return self.ops[0].name

    @property
    def output(self) -> str:
        """The tensor the call writes."""
        return self.ops[-1].outputs[0]


@dataclass(frozen=True)
class Program:
    """A graph lowered to kernel calls (see the module docstring)."""

    graph: Graph
    calls: tuple[KernelCall, ...]

    def with_call(self, index: int, call: KernelCall) -> Program:
        """A copy with call ``index`` replaced (variants chosen by the planner)."""
        calls = list(self.calls)
        calls[index] = call
        return replace(self, calls=tuple(calls))

    def tables(self) -> list[ConstTable]:
        """Every constant table, graph constants once (first use), in definition order."""
        seen: set[str] = set()
        found: list[ConstTable] = []
        for call in self.calls:
            for table in call_tables(call):
                if table.key is not None:
                    if table.key in seen:
                        continue
                    seen.add(table.key)
                found.append(table)
        return found

    @property
    def weights_bytes(self) -> int:
        """Bytes of constants in flash: weights, biases and derived tables."""
        return sum(t.nbytes for t in self.tables())


def call_tables(call: KernelCall) -> list[ConstTable]:
    """The constant tables of ``call`` in the order a printer meets them: its definitions
    (and tables they reference), then its arguments."""
    found: list[ConstTable] = []

    def walk(value: Value, top: bool) -> None:
        if isinstance(value, ConstTable):
            if all(value is not t for t in found):
                found.append(value)
        elif isinstance(value, Struct) and (top or not value.name):
            for _, v in value.fields:
                walk(v, False)
        elif hasattr(value, "items"):
            for v in value.items:
                walk(v, False)

    for value in (*call.defs, *call.args):
        walk(value, True)
    return found


@dataclass
class LowerContext:
    """Shared helpers of the families' lowerings for one graph."""

    graph: Graph
    _consts: dict[str, ConstTable] = field(default_factory=dict)

    def tensor(self, name: str) -> Value:
        """An input or output value: a constant's table or an activation reference."""
        t = self.graph.tensors[name]
        return self.const(name) if t.is_constant else TensorRef(name)

    def optional(self, op: Op, pos: int) -> Value:
        """Input ``pos`` of ``op``, or NULL when the op has fewer inputs."""
        return self.tensor(op.inputs[pos]) if len(op.inputs) > pos else NULL

    def const(self, name: str, pad: int = 0) -> ConstTable:
        """Graph constant ``name`` as stored (one table per model; the first use decides the
        ``pad`` zero elements appended for a kernel that reads a few bytes past the data)."""
        if name not in self._consts:
            t = self.graph.tensors[name]
            storage = storage_of(t)
            if t.dtype not in CTYPES:
                raise UnsupportedError(f"constant {t.name} of dtype {t.dtype} with storage "
                                       f"{t.storage} in the C engine")
            data = storage.pack(t)
            if pad:
                data = np.concatenate([data, np.zeros(pad, dtype=data.dtype)])
            if t.dtype == "float32" and not np.all(np.isfinite(data)):
                raise ShapeError(f"constant {name!r} holds inf or nan; the C engine needs "
                                 "finite weights")
            self._consts[name] = ConstTable(t.dtype, data, f"{name} {list(t.shape)}"
                                            f"{f' + {pad} zeros' if pad else ''}", key=name)
        return self._consts[name]

    def inputs(self, ops: list[Op] | tuple[Op, ...]) -> tuple[str, ...]:
        """Non-constant tensors ``ops`` read."""
        return tuple(n for op in ops for n in op.inputs if not self.graph.tensors[n].is_constant)

    # -- checks and common parameters -------------------------------------------------------

    def check_window(self, op: Op) -> None:
        """Refuse a windowed op the C engine cannot run: dilation other than 1, or an input
        that is not NHWC."""
        if tuple(op.attrs.get("dilation", (1, 1))) != (1, 1):
            raise UnsupportedError(f"op {op.name} ({op.type}): dilation "
                                   f"{list(op.attrs['dilation'])} in the C engine (1 only)")
        x = self.graph.tensors[op.inputs[0]]
        if len(x.shape) != 4:
            raise ShapeError(f"op {op.name} ({op.type}): input must be NHWC, got "
                             f"{list(x.shape)}")

    def dims(self, name: str, shape: tuple[int, ...]) -> Struct:
        """A tp_dims static: NHWC for rank 4, [batch, features] as n and c otherwise."""
        if len(shape) == 4:
            n, h, w, c = shape
        else:
            n = shape[0] if len(shape) > 1 else 1
            c = int(np.prod(shape[1:] if len(shape) > 1 else shape, dtype=np.int64))
            h = w = 1
        return struct("tp_dims", name, n=n, h=h, w=w, c=c)

    def io_dims(self, op: Op) -> tuple[Struct, Struct]:
        """The op's input and output shapes as the statics ``in`` and ``out``."""
        g = self.graph
        return (self.dims("in", g.tensors[op.inputs[0]].shape),
                self.dims("out", g.tensors[op.outputs[0]].shape))

    def quant(self, op: Op, name: str) -> QuantParams:
        """Quantization parameters of ``name`` (UnsupportedError when it has none)."""
        q = self.graph.tensors[name].quant
        if q is None:
            raise UnsupportedError(f"op {op.name} ({op.type}): tensor {name!r} has no "
                                   "quantization parameters")
        return q

    def per_tensor(self, op: Op, name: str) -> QuantParams:
        """Per-tensor parameters of activation ``name``."""
        q = self.quant(op, name)
        if q.scale.size != 1:
            raise UnsupportedError(f"op {op.name} ({op.type}): per-channel quantization of "
                                   f"activation {name!r}")
        return q

    def symmetric_weights(self, op: Op) -> QuantParams:
        """The weights' parameters, refusing a non-zero zero point."""
        wq = self.quant(op, op.inputs[1])
        if np.any(wq.zero_point != 0):
            raise UnsupportedError(f"op {op.name} ({op.type}): weights with a non-zero zero "
                                   "point (int8 weights must be symmetric)")
        return wq

    def act_s8(self, op: Op) -> Struct:
        """The op's int8 activation clamp (tp_activation_s8, inline)."""
        lo, hi = lp.activation_range(op.attrs.get("activation", "none"),
                                     self.per_tensor(op, op.outputs[0]))
        return struct("tp_activation_s8", min=lo, max=hi)


def geometry(op: Op) -> dict[str, Struct]:
    """Stride and padding of a windowed op as the fields ``stride`` and ``padding`` (the
    padding after the data is implied by the output size, see tp_padding in tp_engine.h)."""
    sh, sw = op.attrs["stride"]
    pt, _, pl, _ = op.attrs["padding"]
    return {"stride": struct("tp_tile", h=sh, w=sw),
            "padding": struct("tp_padding", top=pt, left=pl)}


def simple_call(ctx: LowerContext, op: Op, kernel: CKernel, args: tuple[Value, ...],
                defs: tuple[Value, ...], in_place: bool = True, scratch_bytes: int = 0,
                size_args: tuple[Value, ...] = ()) -> KernelCall:
    """The call of a single-op family: memory behaviour from ``kernel`` (``in_place``: the
    family's condition for its in-place inputs holds)."""
    positions = kernel.in_place_inputs if in_place else ()
    return KernelCall((op,), kernel, args, defs, ctx.inputs([op]),
                      tuple(op.inputs[p] for p in positions),
                      kernel.write_tile if kernel.overlapping_output else None,
                      scratch_bytes, size_args)


def lower(graph: Graph) -> Program:
    """``graph`` as a :class:`Program` (fusion patterns first, then one call per op)."""
    ctx = LowerContext(graph)
    calls: list[KernelCall] = []
    i = 0
    while i < len(graph.ops):
        for pattern in registered_patterns():
            ops = pattern.match(graph, i)
            if ops:
                calls.append(pattern.lower(ctx, ops))
                i += len(ops)
                break
        else:
            op = graph.ops[i]
            family = family_for(graph, op)
            calls.append(KernelCall((op,), None, inputs=ctx.inputs([op])) if family.lower is None
                         else family.lower(ctx, op))
            i += 1
    return Program(graph, tuple(calls))
