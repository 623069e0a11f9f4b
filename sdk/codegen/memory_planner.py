"""Plan one static arena for every activation tensor and kernel scratch buffer of a graph.

Lifetimes are measured in positions of ``graph.ops``: a tensor is live from the op that writes
it (position 0 for graph inputs) to the last op that reads it (the end for graph outputs).
Tensors that share memory form one buffer:

- an alias op (Reshape) gives its output the input's bytes: no copy, no step;
- an op whose kernel allows it writes its output over an input whose buffer dies at that op
  (Add, Softmax), unless that buffer holds a graph input (the caller's data survives invoke).

Windowed kernels (convolutions, pools) write output pixels in raster order and never read
input before the current pixel's window, so their output may *partly* overlap a dying input:
it may start ``D`` bytes before it (``D`` from :func:`overlap_limit`), the way X-CUBE-AI keeps
a 30x20x32 float network in little more than one activation.

Buffers are placed first-fit, each at the lowest offset (aligned to ``ALIGNMENT``) where it
overlaps no placed buffer that is live at the same time (partial overlaps allowed as above).
Two orders are tried and the smaller arena kept: largest first (TFLite Micro's greedy planner)
and latest first (which lets each windowed op's output sit just below its input).
``arena_bytes`` is the exact end of the highest buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sdk.codegen.kernels import ALIAS_OPS, kernel_for, scratch_bytes
from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph, Op

ALIGNMENT = 8


@dataclass
class Buffer:
    """A region of the arena: one or more tensors sharing memory, or one op's scratch."""

    tensors: list[str]
    size: int
    first: int
    last: int
    kind: str = "tensor"  # "tensor" or "scratch"
    offset: int = -1
    # Buffers this one (an op's output) may overlap when it starts at most the given number of
    # bytes above them (a negative number: below them); indices into the plan's buffer list.
    may_overlap: dict[int, int] = field(default_factory=dict)

    def overlaps_in_time(self, other: Buffer) -> bool:
        """True when both buffers are live at some op position."""
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    """Where everything lives in the arena."""

    arena_bytes: int
    buffers: list[Buffer]
    offsets: dict[str, int] = field(default_factory=dict)  # tensor name -> byte offset
    scratch: dict[str, tuple[int, int]] = field(default_factory=dict)  # op -> (offset, bytes)
    shared: dict[str, str] = field(default_factory=dict)  # tensor -> tensor whose bytes it reuses

    def to_json(self) -> dict:
        """Figures for reports: arena size, offsets, shared tensors, scratch."""
        return {
            "arena_bytes": self.arena_bytes,
            "tensors": {name: off for name, off in self.offsets.items()},
            "shared": dict(self.shared),
            "scratch": {op: {"offset": o, "bytes": b} for op, (o, b) in self.scratch.items()},
        }


def _align(n: int) -> int:
    return -(-n // ALIGNMENT) * ALIGNMENT


def overlap_limit(graph: Graph, op: Op) -> int:
    """Largest ``D`` (bytes, aligned down) such that the output of windowed ``op`` may start at
    ``input + D`` and overlap its input.

    The kernels write output pixel ``p`` (up to ``p + 1``: convolutions work on pixel pairs)
    while still needing the input from the first element of pixel ``p``'s clipped window on;
    that element never moves backwards in raster order.
    """
    n, h, w, ci = graph.tensors[op.inputs[0]].shape
    _, oh, ow, co = graph.tensors[op.outputs[0]].shape
    sh, sw = op.attrs["stride"]
    pt, _, pl, _ = op.attrs["padding"]
    b, oy, ox = np.meshgrid(np.arange(n), np.arange(oh), np.arange(ow), indexing="ij")
    first = ((b * h + np.maximum(oy * sh - pt, 0)) * w + np.maximum(ox * sw - pl, 0)) * ci
    written = np.minimum(np.arange(n * oh * ow) + 2, n * oh * ow) * co
    itemsize = graph.tensors[op.outputs[0]].itemsize
    limit = int(np.min(first.ravel() - written)) * itemsize
    return (limit // ALIGNMENT) * ALIGNMENT


class _Groups:
    """Union-find over tensor names; the root is the tensor that owns the memory."""

    def __init__(self, names: list[str]) -> None:
        self.parent = {n: n for n in names}

    def root(self, name: str) -> str:
        while self.parent[name] != name:
            name = self.parent[name]
        return name

    def join(self, owner: str, other: str) -> None:
        self.parent[self.root(other)] = self.root(owner)


def plan_memory(graph: Graph,
                scratch_fn: Callable[[Graph, Op], int] = scratch_bytes) -> MemoryPlan:
    """Plan the arena for ``graph``; ``scratch_fn`` gives each op's scratch bytes.

    Raises :class:`UnsupportedError` for an alias op whose input is a constant.
    """
    end = len(graph.ops)
    arena_tensors = list(graph.inputs) + [op.outputs[0] for op in graph.ops]
    first = {name: 0 for name in graph.inputs}
    last = {name: 0 for name in graph.inputs}
    for i, op in enumerate(graph.ops):
        first[op.outputs[0]] = i
        last[op.outputs[0]] = i
        for name in op.inputs:
            if name in last:
                last[name] = max(last[name], i)
    for name in graph.outputs:
        last[name] = end

    groups = _Groups(arena_tensors)
    shared: dict[str, str] = {}
    for op in graph.ops:
        if op.type in ALIAS_OPS:
            src = op.inputs[0]
            if src not in first:
                raise UnsupportedError(f"op {op.name} ({op.type}) of the constant {src!r}; "
                                       "fold it into the constant first")
            groups.join(src, op.outputs[0])
            shared[op.outputs[0]] = src

    def span(root: str) -> tuple[int, int]:
        members = [n for n in arena_tensors if groups.root(n) == root]
        return min(first[n] for n in members), max(last[n] for n in members)

    inputs = set(graph.inputs)
    for i, op in enumerate(graph.ops):
        kernel = kernel_for(graph, op)
        if kernel is None:
            continue
        out = op.outputs[0]
        for pos in kernel.in_place_inputs:
            src = op.inputs[pos]
            if src not in first:
                continue
            root = groups.root(src)
            members = [n for n in arena_tensors if groups.root(n) == root]
            if inputs.intersection(members) or span(root)[1] != i:
                continue
            if graph.tensors[src].nbytes != graph.tensors[out].nbytes:
                continue
            groups.join(src, out)
            shared[out] = src
            break

    buffers: dict[str, Buffer] = {}
    for name in arena_tensors:
        root = groups.root(name)
        if root not in buffers:
            lo, hi = span(root)
            buffers[root] = Buffer([], graph.tensors[root].nbytes, lo, hi)
        buffers[root].tensors.append(name)
    planned = list(buffers.values())
    index = {root: k for k, root in enumerate(buffers)}
    for i, op in enumerate(graph.ops):
        kernel = kernel_for(graph, op)
        if kernel is None or not kernel.overlapping_output:
            continue
        src, out = groups.root(op.inputs[0]), groups.root(op.outputs[0])
        members = [n for n in arena_tensors if groups.root(n) == src]
        if src != out and not inputs.intersection(members) and span(src)[1] == i:
            planned[index[out]].may_overlap[index[src]] = overlap_limit(graph, op)
    scratch_of: dict[str, Buffer] = {}
    for i, op in enumerate(graph.ops):
        size = scratch_fn(graph, op)
        if size > 0:
            scratch_of[op.name] = Buffer([], size, i, i, kind="scratch")
            planned.append(scratch_of[op.name])

    _place_best(planned)
    offsets = {name: b.offset for b in planned for name in b.tensors}
    arena = max((b.offset + b.size for b in planned), default=0)
    return MemoryPlan(arena, planned, offsets,
                      {op: (b.offset, b.size) for op, b in scratch_of.items()}, shared)


def _fits(buf: Buffer, offset: int, other: Buffer, ids: dict[int, int]) -> bool:
    if offset + buf.size <= other.offset or other.offset + other.size <= offset:
        return True
    if ids[id(other)] in buf.may_overlap:
        return offset <= other.offset + buf.may_overlap[ids[id(other)]]
    if ids[id(buf)] in other.may_overlap:
        return other.offset <= offset + other.may_overlap[ids[id(buf)]]
    return False


def _place(buffers: list[Buffer], order: list[Buffer]) -> int:
    """First fit in ``order``: each buffer at the lowest valid aligned offset; returns the end."""
    ids = {id(b): k for k, b in enumerate(buffers)}
    placed: list[Buffer] = []
    for buf in order:
        live = [b for b in placed if b.overlaps_in_time(buf)]
        candidates = {0}
        for b in live:
            candidates.add(_align(b.offset + b.size))
            if ids[id(b)] in buf.may_overlap:
                candidates.add(b.offset + buf.may_overlap[ids[id(b)]])
            if ids[id(buf)] in b.may_overlap:
                candidates.add(_align(b.offset - b.may_overlap[ids[id(buf)]]))
        buf.offset = min(c for c in candidates
                         if c >= 0 and all(_fits(buf, c, b, ids) for b in live))
        placed.append(buf)
    return max((b.offset + b.size for b in buffers), default=0)


def _place_best(buffers: list[Buffer]) -> None:
    """Try largest-first and latest-first placement; keep the smaller arena."""
    orders = [sorted(buffers, key=lambda b: (-b.size, b.first)),
              sorted(buffers, key=lambda b: (-b.first, -b.size))]
    best = min(orders, key=lambda order: _place(buffers, order))
    _place(buffers, best)
