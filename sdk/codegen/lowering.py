"""Lower a graph to the kernel calls of the generated invoke.

Every op becomes one call of its kernel (an alias op such as Reshape a call without code),
except int8 convolutions, which are fused with what follows them when nothing else reads the
intermediate tensors:

- ``Conv2D -> MaxPool2D`` (2x2, stride 2, valid, same quantization): the pool is applied to the
  convolution's accumulators; the full-resolution map never exists;
- ``Conv2D A -> Conv2D B [-> MaxPool2D]``: A's output rows are computed on demand into a ring of
  ``ring_rows`` rows and consumed by B (+ pool) as they appear (row streaming). Only the ring
  exists of A's output, and nothing of B's when it pools.

These calls run ``tp_conv_chain_s8`` (device/engine/tp_convolve_s8.c); the memory planner sees
one call reading the first conv's input and writing the last op's output, with the ring and the
im2col buffers as its scratch. :func:`chain_ring_rows` replays the kernel's tile order to find
the smallest ring that works.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sdk.codegen.kernels import (CONV_CHAIN_S8_KERNEL, CONV_S8_TILE, INT8_KERNELS, Kernel,
                                 conv_s8_buffer_bytes, kernel_for)
from sdk.ir.graph import Graph, Op


@dataclass
class Call:
    """One kernel call of the generated invoke: the ops it executes and its options."""

    ops: list[Op]
    kernel: Kernel | None  # None: an alias op, no code
    # Window rows per im2col chunk of each Conv2D of the call (0: the whole window).
    chunk_rows: list[int] = field(default_factory=list)
    pool: bool = False  # the last op is a MaxPool2D fused into the convolution
    ring_rows: int = 0  # rows of the first conv's output kept (a streamed pair of convs)
    # Compute the first conv's pixels in whole tiles ahead of need (faster, maybe a larger ring).
    align: bool = True

    @property
    def name(self) -> str:
        """The call's name: its first op's."""
        return self.ops[0].name

    @property
    def output(self) -> str:
        """The tensor the call writes."""
        return self.ops[-1].outputs[0]

    @property
    def fused(self) -> bool:
        """True for a fused convolution call (tp_conv_chain_s8)."""
        return self.kernel is CONV_CHAIN_S8_KERNEL

    @property
    def convs(self) -> list[Op]:
        """The Conv2D ops of the call."""
        return [op for op in self.ops if op.type == "Conv2D"]

    def inputs(self, graph: Graph) -> list[str]:
        """Non-constant tensors the call reads (fused: the first op's input only)."""
        ops = self.ops[:1] if self.fused else self.ops
        return [n for op in ops for n in op.inputs if not graph.tensors[n].is_constant]


def _sole_next(graph: Graph, op: Op, nxt: Op | None) -> bool:
    """True when ``nxt`` is the only reader of ``op``'s output, which is not a graph output."""
    out = op.outputs[0]
    if nxt is None or out in graph.outputs:
        return False
    readers = graph.consumers(out)
    return len(readers) == 1 and readers[0] is nxt


def _int8_conv(graph: Graph, op: Op) -> bool:
    return (op.type == "Conv2D" and kernel_for(graph, op) is INT8_KERNELS["Conv2D"]
            and tuple(op.attrs.get("dilation", (1, 1))) == (1, 1)
            and graph.tensors[op.inputs[0]].shape[0] == 1
            and len(graph.tensors[op.inputs[0]].shape) == 4)


def _fusable_pool(graph: Graph, conv: Op, pool: Op) -> bool:
    """A 2x2 stride-2 valid max pool without activation that keeps the conv's quantization."""
    if pool.type != "MaxPool2D" or graph.tensors[pool.inputs[0]].dtype != "int8":
        return False
    if (list(pool.attrs["kernel"]) != [2, 2] or list(pool.attrs["stride"]) != [2, 2]
            or list(pool.attrs["padding"]) != [0, 0, 0, 0]
            or pool.attrs.get("activation", "none") != "none"):
        return False
    x, y = graph.tensors[pool.inputs[0]], graph.tensors[pool.outputs[0]]
    n, h, w, c = x.shape
    if y.shape != (n, h // 2, w // 2, c) or h < 2 or w < 2:
        return False
    qx, qy = x.quant, y.quant
    return (qx is not None and qy is not None and np.array_equal(qx.scale, qy.scale)
            and np.array_equal(qx.zero_point, qy.zero_point))


def _conv_group(graph: Graph, i: int) -> Call | None:
    """The fused call starting at int8 Conv2D ``graph.ops[i]``, or None."""
    ops = graph.ops

    def at(j: int) -> Op | None:
        return ops[j] if j < len(ops) else None

    members = [ops[i]]
    if _sole_next(graph, ops[i], at(i + 1)) and _int8_conv(graph, ops[i + 1]):
        members.append(ops[i + 1])
    j = i + len(members)
    pool = _sole_next(graph, members[-1], at(j)) and _fusable_pool(graph, members[-1], ops[j])
    if pool:
        members.append(ops[j])
    if len(members) == 1:
        return None
    call = Call(members, CONV_CHAIN_S8_KERNEL, pool=pool)
    call.chunk_rows = [0] * len(call.convs)
    if len(call.convs) == 2:
        call.ring_rows = chain_ring_rows(graph, call)
    return call


def lower(graph: Graph) -> list[Call]:
    """The calls of ``graph``'s invoke, in order (see the module docstring)."""
    calls: list[Call] = []
    i = 0
    while i < len(graph.ops):
        op = graph.ops[i]
        group = _conv_group(graph, i) if _int8_conv(graph, op) else None
        if group is not None:
            calls.append(group)
            i += len(group.ops)
            continue
        kernel = kernel_for(graph, op)
        call = Call([op], kernel)
        if kernel is INT8_KERNELS["Conv2D"]:
            call.chunk_rows = [0]
        calls.append(call)
        i += 1
    return calls


def chain_ring_rows(graph: Graph, call: Call, align: bool | None = None) -> int:
    """Smallest ring (rows of the first conv's output) for a streamed pair of convs: replays
    the tile order of ``tp_conv_chain_s8`` and its on-demand computation of the first conv."""
    align = call.align if align is None else align
    a, b = call.convs
    _, ah, aw, _ = graph.tensors[a.outputs[0]].shape
    _, oh, ow, _ = graph.tensors[b.outputs[0]].shape
    sh = int(b.attrs["stride"][0])
    pt = int(b.attrs["padding"][0])
    kh = graph.tensors[b.inputs[1]].shape[1]
    if call.pool:
        pw, step = ow // 2, CONV_S8_TILE // 4
        total = (oh // 2) * pw
    else:
        step, total = CONV_S8_TILE, oh * ow
    done, ring = 0, 1
    for q in range(0, total, step):
        end = min(q + step, total)
        if call.pool:
            first, last = 2 * (q // pw), 2 * ((end - 1) // pw) + 1
        else:
            first, last = q // ow, (end - 1) // ow
        lo = max(first * sh - pt, 0)
        hi = min(last * sh - pt + kh - 1, ah - 1)
        need = (hi + 1) * aw
        if align:
            need = min(-(-need // CONV_S8_TILE) * CONV_S8_TILE, ah * aw)
        done = max(done, need)
        ring = max(ring, (done - 1) // aw - lo + 1)
    return ring


def _conv_core_bytes(graph: Graph, op: Op, chunk_rows: int) -> int:
    co, kh, kw, ci = graph.tensors[op.inputs[1]].shape
    return conv_s8_buffer_bytes(kh, kw, ci, co, chunk_rows)


def ring_bytes(graph: Graph, call: Call) -> int:
    """Bytes of the ring of a streamed pair of convs (a multiple of 4)."""
    _, _, aw, ac = graph.tensors[call.convs[0].outputs[0]].shape
    return -(-call.ring_rows * aw * ac // 4) * 4


def fused_scratch_bytes(graph: Graph, call: Call) -> int:
    """Twin of ``tp_conv_chain_s8_get_buffer_size``: the ring, then the larger im2col area."""
    cores = [_conv_core_bytes(graph, op, rows) for op, rows in zip(call.convs, call.chunk_rows)]
    return (ring_bytes(graph, call) if len(cores) == 2 else 0) + max(cores)


def call_scratch_bytes(graph: Graph, call: Call, scratch_fn) -> int:
    """Scratch bytes of one call; ``scratch_fn(graph, op)`` for plain single-op calls."""
    if call.kernel is None:
        return 0
    if call.fused:
        return fused_scratch_bytes(graph, call)
    if call.chunk_rows and call.chunk_rows[0]:
        return _conv_core_bytes(graph, call.ops[0], call.chunk_rows[0])
    return scratch_fn(graph, call.ops[0])
