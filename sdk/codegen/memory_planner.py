"""Place a lowered program's activations and scratch: one static arena (or one per region).

The planner reads a :class:`~sdk.kernels.program.Program` (one call per op, except fused int8
convolutions, whose intermediate tensors never exist) and never changes it. Lifetimes are
measured in positions of those calls: a tensor is live from the call that writes it (position
0 for graph inputs) to the last call that reads it (the end for graph outputs). Tensors that
share memory form one buffer:

- an alias op (Reshape) gives its output the input's bytes: no copy, no step;
- a call whose kernel allows it writes its output over an input whose buffer dies at that op
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

:func:`choose_variants` picks, among the variants lowering proposes (im2col chunks of one window
row, a ring filled just in time), those that make the arena smaller: each is planned by the pure
:func:`plan_program` and the smaller arena's program kept.

Where a board has several memory regions (:class:`MemoryLayout`, from board.json ``memory``),
the scratch buffers form their own arena when the board puts scratch in another region than
the activations; the printer places each arena and the weights by the layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.kernels.bitpack import graph_word_bits, packed_bytes
from sdk.kernels.program import Program, lower

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
    layout: MemoryLayout | None = None  # None: everything in one arena (no board description)
    # Bytes of the separate scratch arena (0: scratch lives in the activation arena).
    scratch_arena_bytes: int = 0

    def to_json(self) -> dict:
        """Figures for reports: arena size, offsets, shared tensors, scratch."""
        return {
            "arena_bytes": self.arena_bytes,
            "tensors": {name: off for name, off in self.offsets.items()},
            "shared": dict(self.shared),
            "scratch": {op: {"offset": o, "bytes": b} for op, (o, b) in self.scratch.items()},
            "scratch_arena_bytes": self.scratch_arena_bytes,
        }


@dataclass(frozen=True)
class Region:
    """A memory region of a board: its size and the linker sections that place writable data
    (``data_section``) and constants (``const_section``) in it; None: the toolchain's default
    place for that kind of data is this region."""

    name: str
    bytes: int
    data_section: str | None = None
    const_section: str | None = None
    # What of it the arena and scratch may use (the rest: stack, the firmware's statics);
    # None: all of it.
    arena_bytes: int | None = None


@dataclass(frozen=True)
class MemoryLayout:
    """A board's memory regions and where the arena, the scratch and the weights go;
    ``overflow``: where the arena and the scratch go instead when they do not fit their own
    region's ``arena_bytes`` (None: they stay, and the link reports the overflow)."""

    regions: dict[str, Region]
    arena: str
    scratch: str
    weights: str
    overflow: str | None = None

    @classmethod
    def from_json(cls, doc: dict) -> MemoryLayout:
        """From board.json ``memory``: ``{"regions": {name: {"bytes", "data_section",
        "const_section", "arena_bytes"}}, "arena", "scratch", "weights", "overflow"}``; every
        placement names a region."""
        regions = {name: Region(name, int(r["bytes"]), r.get("data_section"),
                                r.get("const_section"), r.get("arena_bytes"))
                   for name, r in doc["regions"].items()}
        for kind in ("arena", "scratch", "weights", "overflow"):
            if doc.get(kind) is not None and doc[kind] not in regions:
                raise UnsupportedError(f"memory description: {kind} in unknown region "
                                       f"{doc[kind]!r} (regions: {', '.join(regions)})")
        return cls(regions, doc["arena"], doc["scratch"], doc["weights"], doc.get("overflow"))

    def fits(self, plan: MemoryPlan) -> bool:
        """Whether the plan's arena and scratch fit the ``arena_bytes`` of their regions."""
        used: dict[str, int] = {}
        used[self.arena] = plan.arena_bytes
        used[self.scratch] = used.get(self.scratch, 0) + plan.scratch_arena_bytes
        return all(self.regions[r].arena_bytes is None or n <= (self.regions[r].arena_bytes or 0)
                   for r, n in used.items())

    def overflowed(self) -> MemoryLayout:
        """The layout with the arena and the scratch in the overflow region."""
        assert self.overflow is not None
        return replace(self, arena=self.overflow, scratch=self.overflow, overflow=None)

    def section(self, kind: str) -> str | None:
        """The linker section of ``kind`` ("arena", "scratch", "weights"), None: default."""
        region = self.regions[getattr(self, kind)]
        return region.const_section if kind == "weights" else region.data_section


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


def activation_bytes(graph: Graph, name: str) -> int:
    """Bytes of activation ``name`` in the arena: a binary tensor bit-packed along its last
    axis in the graph's word (N*H*W*ceil(C/W)*W/8 for NHWC), the rest as stored densely."""
    t = graph.tensors[name]
    if t.dtype == "binary":
        return packed_bytes(t.shape, graph_word_bits(graph.metadata))
    return t.nbytes


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


def plan_program(program: Program, layout: MemoryLayout | None = None) -> MemoryPlan:
    """Place the activations and scratch of ``program`` as it is (a pure function).

    Raises :class:`UnsupportedError` for an alias op whose input is a constant.
    """
    graph, calls = program.graph, program.calls
    end = len(calls)
    arena_tensors = list(graph.inputs) + [c.output for c in calls]
    first = {name: 0 for name in graph.inputs}
    last = {name: 0 for name in graph.inputs}
    for i, call in enumerate(calls):
        first[call.output] = i
        last[call.output] = i
        for name in call.inputs:
            if name in last:
                last[name] = max(last[name], i)
    for name in graph.outputs:
        last[name] = end

    groups = _Groups(arena_tensors)
    shared: dict[str, str] = {}
    for call in calls:
        op = call.ops[0]
        if call.kernel is None:
            src = op.inputs[0]
            if src not in first:
                raise UnsupportedError(f"op {op.name} ({op.type}) of the constant {src!r}; "
                                       "fold it into the constant first")
            groups.join(src, op.outputs[0])
            shared[op.outputs[0]] = src

    def members(root: str) -> list[str]:
        return [n for n in arena_tensors if groups.root(n) == root]

    def span(root: str) -> tuple[int, int]:
        names = members(root)
        return min(first[n] for n in names), max(last[n] for n in names)

    inputs = set(graph.inputs)
    for i, call in enumerate(calls):
        out = call.output
        for src in call.in_place:
            if src not in first:
                continue
            root = groups.root(src)
            if inputs.intersection(members(root)) or span(root)[1] != i:
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
            buffers[root] = Buffer([], activation_bytes(graph, root), lo, hi)
        buffers[root].tensors.append(name)
    planned = list(buffers.values())
    index = {root: k for k, root in enumerate(buffers)}
    for i, call in enumerate(calls):
        if call.kernel is None or call.overlap_tile is None:
            continue
        op = call.ops[0]
        src, out = groups.root(op.inputs[0]), groups.root(op.outputs[0])
        if src != out and not inputs.intersection(members(src)) and span(src)[1] == i:
            planned[index[out]].may_overlap[index[src]] = overlap_limit(graph, op,
                                                                        call.overlap_tile)
    scratch_of = {call.name: Buffer([], call.scratch_bytes, i, i, kind="scratch")
                  for i, call in enumerate(calls) if call.scratch_bytes > 0}
    separate = layout is not None and layout.scratch != layout.arena
    scratch_arena = 0
    if separate:
        scratch_list = list(scratch_of.values())
        _place_best(scratch_list)
        scratch_arena = max((b.offset + b.size for b in scratch_list), default=0)
        buffers_all = planned + scratch_list
    else:
        planned += scratch_of.values()
    _place_best(planned)
    if not separate:
        buffers_all = planned
    offsets = {name: b.offset for b in planned for name in b.tensors}
    arena = max((b.offset + b.size for b in planned), default=0)
    return MemoryPlan(arena, buffers_all, offsets,
                      {op: (b.offset, b.size) for op, b in scratch_of.items()}, shared, layout,
                      scratch_arena)


def _footprint(plan: MemoryPlan) -> int:
    return plan.arena_bytes + plan.scratch_arena_bytes


def choose_variants(program: Program, layout: MemoryLayout | None = None
                    ) -> tuple[Program, MemoryPlan]:
    """The program with the variants that make its memory smallest, and its plan.

    Variants cost a little speed, so a call takes one only where it makes the memory smaller:
    for each call (largest scratch first), every variant is planned and the smallest kept, ties
    going to the faster one (fewer slow options); a call's options only help once it is the
    peak, so the passes repeat (at most 3) until nothing changes."""
    plan = plan_program(program, layout)
    order = sorted((i for i, c in enumerate(program.calls) if c.variants),
                   key=lambda i: -program.calls[i].scratch_bytes)
    for _ in range(3):
        before = _footprint(plan)
        for i in order:
            current = program.calls[i]
            best = (_footprint(plan), 0, program, plan)
            for slow, variant in current.variants:
                trial_program = program.with_call(i, replace(variant, variants=current.variants))
                trial = plan_program(trial_program, layout)
                if (_footprint(trial), slow) < best[:2]:
                    best = (_footprint(trial), slow, trial_program, trial)
            program, plan = best[2], best[3]
        if _footprint(plan) == before:
            break
    return program, plan


def place_program(program: Program, layout: MemoryLayout | None = None,
                  prefer_speed: bool = False) -> tuple[Program, MemoryPlan]:
    """:func:`choose_variants`, then, where the board names an overflow region and the arena
    and scratch do not fit theirs (an MSP430 model whose activations outgrow the 2 kB SRAM),
    the same in the overflow region (the plan's ``layout`` says which was taken).

    ``prefer_speed``: the program as lowered wherever it fits its region's ``arena_bytes``,
    the variants only where they make it fit, and in the overflow region (which has no bound:
    the link decides) the program as lowered. A build tries this first and falls back to the
    smallest memory when the firmware does not fit (host.build)."""
    if prefer_speed and layout is not None:
        plan = plan_program(program, layout)
        if layout.fits(plan):
            return program, plan
        program_v, plan = choose_variants(program, layout)
        if layout.overflow is None or layout.fits(plan):
            return program_v, plan
        return program, plan_program(program, layout.overflowed())
    program_v, plan = choose_variants(program, layout)
    if layout is None or layout.overflow is None or layout.fits(plan):
        return program_v, plan
    return choose_variants(program, layout.overflowed())


def plan_memory(graph: Graph, layout: MemoryLayout | None = None) -> MemoryPlan:
    """Lower ``graph`` and plan its memory with the smallest variants, in the overflow region
    when its own is too small (see :func:`place_program`)."""
    return place_program(lower(graph), layout)[1]


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
