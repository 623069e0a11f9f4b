"""Plan one static arena for every activation tensor and kernel scratch buffer of a graph.

The graph is first lowered to kernel calls (:mod:`sdk.codegen.lowering`): one per op, except
fused int8 convolutions, whose intermediate tensors never exist (they stream through the call's
scratch). Lifetimes are measured in positions of those calls: a tensor is live from the call
that writes it (position 0 for graph inputs) to the last call that reads it (the end for graph
outputs). Tensors that share memory form one buffer:

- an alias op (Reshape) gives its output the input's bytes: no copy, no step;
- an op whose kernel allows it writes its output over an input whose buffer dies at that op
  (Add, Softmax, int8 depthwise convolution of stride 1), unless that buffer holds a graph
  input (the caller's data survives invoke).

Windowed kernels (convolutions, pools) write output pixels in raster order (pixel by pixel, or
in tiles whose input is all read before their output is written) and never read input before
the current pixel's window, so their output may *partly* overlap a dying input: it may start
at most ``D`` bytes after it (``D`` from :func:`overlap_limit`; negative: before it), the way
X-CUBE-AI keeps a 30x20x32 float network in little more than one activation. A 1x1 int8
convolution whose output is not wider than its input gets ``D >= 0``: it runs in place.

Buffers are placed first-fit, each at the lowest offset (aligned to ``ALIGNMENT``) where it
overlaps no placed buffer that is live at the same time (partial overlaps allowed as above).
Two orders are tried and the smaller arena kept: largest first (TFLite Micro's greedy planner)
and latest first (which lets each windowed op's output sit just below its input).
``arena_bytes`` is the exact end of the highest buffer: what the firmware's arena must hold.

:func:`plan_lowered` also chooses the fused calls' memory/speed options (im2col chunks of one
window row, a ring filled just in time) where they make the arena smaller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sdk.codegen.kernels import ALIAS_OPS, scratch_bytes
from sdk.codegen.lowering import Call, call_scratch_bytes, chain_ring_rows, lower
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


def overlap_limit(graph: Graph, op: Op, tile: int = 0) -> int:
    """Largest ``D`` (bytes, aligned down) such that the output of windowed ``op`` may start at
    ``input + D`` and overlap its input.

    ``tile == 0``: the kernel writes output pixel ``p`` (up to ``p + 1``: the float convolutions
    work on pixel pairs) while still needing the input from the first element of pixel ``p``'s
    clipped window on; that element never moves backwards in raster order.
    ``tile > 0``: the kernel works on tiles of ``tile`` consecutive pixels of one image, reads
    all of a tile's input before writing any of its output, and then needs the input from the
    first window element of the next pixel on.
    """
    n, h, w, ci = graph.tensors[op.inputs[0]].shape
    _, oh, ow, co = graph.tensors[op.outputs[0]].shape
    sh, sw = op.attrs["stride"]
    pt, _, pl, _ = op.attrs["padding"]
    b, oy, ox = np.meshgrid(np.arange(n), np.arange(oh), np.arange(ow), indexing="ij")
    first = (((b * h + np.maximum(oy * sh - pt, 0)) * w + np.maximum(ox * sw - pl, 0)) * ci).ravel()
    itemsize = graph.tensors[op.outputs[0]].itemsize
    if tile <= 0:
        written = np.minimum(np.arange(n * oh * ow) + 2, n * oh * ow) * co
        limit = int(np.min(first - written)) * itemsize
        return (limit // ALIGNMENT) * ALIGNMENT
    # Still needed after each pixel: the smallest window start from the next pixel on.
    needed = np.minimum.accumulate(first[::-1])[::-1]
    pixels = oh * ow
    ends = [bi * pixels + min(t0 + tile, pixels)
            for bi in range(n) for t0 in range(0, pixels, tile)]
    margins = [int(needed[e]) - e * co for e in ends if e < n * pixels]
    if not margins:  # one tile: everything is read before anything is written
        return (graph.tensors[op.inputs[0]].nbytes // ALIGNMENT) * ALIGNMENT
    limit = min(margins) * itemsize
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


def plan_memory(graph: Graph, scratch_fn: Callable[[Graph, Op], int] = scratch_bytes,
                calls: list[Call] | None = None) -> MemoryPlan:
    """Plan the arena for ``graph`` executed as ``calls`` (default: :func:`lowering.lower`);
    ``scratch_fn`` gives the scratch bytes of each plain (unfused) op.

    Raises :class:`UnsupportedError` for an alias op whose input is a constant.
    """
    calls = lower(graph) if calls is None else calls
    end = len(calls)
    arena_tensors = list(graph.inputs) + [c.output for c in calls]
    first = {name: 0 for name in graph.inputs}
    last = {name: 0 for name in graph.inputs}
    for i, call in enumerate(calls):
        first[call.output] = i
        last[call.output] = i
        for name in call.inputs(graph):
            if name in last:
                last[name] = max(last[name], i)
    for name in graph.outputs:
        last[name] = end

    groups = _Groups(arena_tensors)
    shared: dict[str, str] = {}
    for call in calls:
        op = call.ops[0]
        if call.kernel is None and op.type in ALIAS_OPS:
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
    for i, call in enumerate(calls):
        kernel = call.kernel
        if kernel is None or call.fused:
            continue
        op = call.ops[0]
        if kernel.in_place_if is not None and not kernel.in_place_if(graph, op):
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
    for i, call in enumerate(calls):
        kernel = call.kernel
        if kernel is None or call.fused or not kernel.overlapping_output:
            continue
        op = call.ops[0]
        src, out = groups.root(op.inputs[0]), groups.root(op.outputs[0])
        members = [n for n in arena_tensors if groups.root(n) == src]
        if src != out and not inputs.intersection(members) and span(src)[1] == i:
            planned[index[out]].may_overlap[index[src]] = overlap_limit(graph, op,
                                                                        kernel.write_tile)
    scratch_of: dict[str, Buffer] = {}
    for i, call in enumerate(calls):
        size = call_scratch_bytes(graph, call, scratch_fn)
        if size > 0:
            scratch_of[call.name] = Buffer([], size, i, i, kind="scratch")
            planned.append(scratch_of[call.name])

    _place_best(planned)
    offsets = {name: b.offset for b in planned for name in b.tensors}
    arena = max((b.offset + b.size for b in planned), default=0)
    return MemoryPlan(arena, planned, offsets,
                      {op: (b.offset, b.size) for op, b in scratch_of.items()}, shared)


def plan_lowered(graph: Graph) -> tuple[list[Call], MemoryPlan]:
    """Lower ``graph`` and plan its arena, choosing the convolution calls' options.

    im2col chunks of one window row (``chunk_rows``) and a ring filled just in time
    (``align=False``) cost a little speed, so a call takes them only where they make the arena
    smaller: for each call (largest scratch first), every combination is planned and the
    smallest arena kept, ties going to the faster combination (fewer slow options)."""
    calls = lower(graph)
    plan = plan_memory(graph, calls=calls)
    tunable = [c for c in calls if c.chunk_rows]
    tunable.sort(key=lambda c: -call_scratch_bytes(graph, c, scratch_bytes))
    # A call's options only help once it is the peak: repeat the passes until nothing changes.
    for _ in range(3):
        before = plan.arena_bytes
        plan = _tune_pass(graph, calls, tunable, plan)
        if plan.arena_bytes == before:
            break
    return calls, plan_memory(graph, calls=calls)


def _tune_pass(graph: Graph, calls: list[Call], tunable: list[Call],
               plan: MemoryPlan) -> MemoryPlan:
    for call in tunable:
        chunkable = [k for k, op in enumerate(call.convs)
                     if graph.tensors[op.inputs[1]].shape[1] > 1]
        aligns = [True, False] if len(call.convs) == 2 else [call.align]
        best = (plan.arena_bytes, 0, list(call.chunk_rows), call.align, call.ring_rows)
        for mask in range(1 << len(chunkable)):
            for align in aligns:
                chunks = [0] * len(call.convs)
                for bit, k in enumerate(chunkable):
                    if mask >> bit & 1:
                        chunks[k] = 1
                slow = bin(mask).count("1") + (not align)
                if slow == 0:
                    continue  # the starting point
                call.chunk_rows, call.align = chunks, align
                call.ring_rows = chain_ring_rows(graph, call) if len(call.convs) == 2 else 0
                trial = plan_memory(graph, calls=calls)
                if (trial.arena_bytes, slow) < best[:2]:
                    best = (trial.arena_bytes, slow, chunks, align, call.ring_rows)
                    plan = trial
        _, _, call.chunk_rows, call.align, call.ring_rows = best
        plan = plan_memory(graph, calls=calls)
    return plan


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
