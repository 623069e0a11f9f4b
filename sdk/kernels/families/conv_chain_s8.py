"""Fusion pattern: int8 convolutions streamed through one call of tp_conv_chain_s8.

An int8 Conv2D is fused with what follows it when nothing else reads the intermediate tensors:

- ``Conv2D -> MaxPool2D`` (2x2, stride 2, valid, same quantization): the pool is applied to the
  convolution's accumulators; the full-resolution map never exists;
- ``Conv2D A -> Conv2D B [-> MaxPool2D]``: A's output rows are computed on demand into a ring
  of ``ring_rows`` rows and consumed by B (+ pool) as they appear. Only the ring exists of A's
  output, and nothing of B's when it pools.

The planner sees one call reading the first conv's input and writing the last op's output, with
the ring and the im2col buffers as its scratch. :func:`chain_ring_rows` replays the kernel's
tile order to find the smallest ring. Variants: im2col chunks of one window row per conv and a
ring filled just in time (``align`` 0) trade speed for a smaller scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from sdk.ir.graph import Graph, Op
from sdk.kernels.families.conv2d import CONV_S8_TILE, S8_HEADERS, conv_s8_buffer_bytes, conv_s8_layer
from sdk.kernels.program import KernelCall, LowerContext
from sdk.kernels.registry import CKernel, Pattern, family_key, register_pattern
from sdk.kernels.values import NULL, SCRATCH, Array, TensorRef, struct


def chain_ring_rows(graph: Graph, convs: list[Op], pool: bool, align: bool) -> int:
    """Smallest ring (rows of the first conv's output) for a streamed pair of convs: replays
    the tile order of ``tp_conv_chain_s8`` and its on-demand computation of the first conv."""
    a, b = convs
    _, ah, aw, _ = graph.tensors[a.outputs[0]].shape
    _, oh, ow, _ = graph.tensors[b.outputs[0]].shape
    sh = int(b.attrs["stride"][0])
    pt = int(b.attrs["padding"][0])
    kh = graph.tensors[b.inputs[1]].shape[1]
    if pool:
        pw, step = ow // 2, CONV_S8_TILE // 4
        total = (oh // 2) * pw
    else:
        step, total = CONV_S8_TILE, oh * ow
    done, ring = 0, 1
    for q in range(0, total, step):
        end = min(q + step, total)
        if pool:
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


def chain_buffer_bytes(graph: Graph, convs: list[Op], chunk_rows: list[int],
                       ring_rows: int) -> int:
    """Twin of ``tp_conv_chain_s8_get_buffer_size``: the ring (a multiple of 4 bytes), then
    the larger im2col area of the convs."""
    cores = []
    for op, rows in zip(convs, chunk_rows):
        co, kh, kw, ci = graph.tensors[op.inputs[1]].shape
        cores.append(conv_s8_buffer_bytes(kh, kw, ci, co, rows))
    ring = 0
    if len(convs) == 2:
        _, _, aw, ac = graph.tensors[convs[0].outputs[0]].shape
        ring = -(-ring_rows * aw * ac // 4) * 4
    return ring + max(cores)


KERNEL = CKernel("tp_conv_chain_s8", S8_HEADERS,
                 chain_buffer_bytes)


def _sole_next(graph: Graph, op: Op, nxt: Op | None) -> bool:
    """True when ``nxt`` is the only reader of ``op``'s output, which is not a graph output."""
    out = op.outputs[0]
    if nxt is None or out in graph.outputs:
        return False
    readers = graph.consumers(out)
    return len(readers) == 1 and readers[0] is nxt


def int8_conv_shape(graph: Graph, op: Op) -> bool:
    """An int8 Conv2D with int8 weights the chain kernels run (dilation 1, one NHWC image),
    whatever its weight storage."""
    key = family_key(graph, op) if op.type == "Conv2D" else None
    return (key is not None and key[1:3] == ("int8", "int8")
            and tuple(op.attrs.get("dilation", (1, 1))) == (1, 1)
            and graph.tensors[op.inputs[0]].shape[0] == 1
            and len(graph.tensors[op.inputs[0]].shape) == 4)


def _int8_conv(graph: Graph, op: Op) -> bool:
    return int8_conv_shape(graph, op) and family_key(graph, op)[3] == "dense"


def _fusable_pool(graph: Graph, pool: Op) -> bool:
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


def match_chain(graph: Graph, i: int, conv: Callable[[Graph, Op], bool]) -> list[Op] | None:
    """The ops fused from ``graph.ops[i]`` on (conv [+ conv] [+ pool]), where ``conv`` says
    which ops are convolutions of the chain, or None."""
    ops = graph.ops
    if not conv(graph, ops[i]):
        return None

    def at(j: int) -> Op | None:
        return ops[j] if j < len(ops) else None

    members = [ops[i]]
    if _sole_next(graph, ops[i], at(i + 1)) and conv(graph, ops[i + 1]):
        members.append(ops[i + 1])
    j = i + len(members)
    if _sole_next(graph, members[-1], at(j)) and _fusable_pool(graph, ops[j]):
        members.append(ops[j])
    return members if len(members) > 1 else None


def match(graph: Graph, i: int) -> list[Op] | None:
    """The ops fused from int8 Conv2D ``graph.ops[i]`` (dense weights) on, or None."""
    return match_chain(graph, i, _int8_conv)


def _call(ctx: LowerContext, ops: list[Op], chunk_rows: list[int], align: bool) -> KernelCall:
    g = ctx.graph
    convs = [op for op in ops if op.type == "Conv2D"]
    pool = ops[-1].type == "MaxPool2D"
    ring = chain_ring_rows(g, convs, pool, align) if len(convs) == 2 else 0
    defs: list = []
    layers = []
    for k, op in enumerate(convs):
        prefix = f"{'ab'[k]}_"
        layer_defs, v = conv_s8_layer(ctx, op, chunk_rows[k], prefix)
        layer = struct("tp_conv_layer_s8", "ab"[k], params=v["params"], quant=v["quant"],
                       input_dims=v["in"], filter_dims=v["filter_dims"], filter=v["filter"],
                       bias=v["bias"], output_dims=v["out"],
                       pool=2 if pool and k == len(convs) - 1 else 0)
        defs += [*layer_defs, layer]
        layers.append(layer)
    chain = struct("tp_conv_chain_params_s8", "chain",
                   layer=Array((layers[0], layers[1] if len(layers) > 1 else NULL)),
                   count=len(convs), ring_rows=ring, align=int(align))
    defs.append(chain)
    return KernelCall(tuple(ops), KERNEL, (chain, ctx.tensor(ops[0].inputs[0]),
                                           TensorRef(ops[-1].outputs[0]), SCRATCH),
                      tuple(defs), ctx.inputs(ops[:1]),
                      scratch_bytes=chain_buffer_bytes(g, convs, chunk_rows, ring),
                      size_args=(chain,))


ChainCall = Callable[[LowerContext, list[Op], list[int], bool], KernelCall]


def chain_variants(ctx: LowerContext, ops: list[Op], make: ChainCall) -> KernelCall:
    """The call ``make(ctx, ops, chunk_rows, align)`` of a chain with its variants: every
    combination of one-row im2col chunks (convs whose kernel has more than one row) and, for a
    pair, a ring filled just in time, in the order the planner tries them (fewer slow options
    first within each chunk combination)."""
    g = ctx.graph
    convs = [op for op in ops if op.type == "Conv2D"]
    chunkable = [k for k, op in enumerate(convs) if g.tensors[op.inputs[1]].shape[1] > 1]
    aligns = [True, False] if len(convs) == 2 else [True]
    variants = []
    for mask in range(1 << len(chunkable)):
        for align in aligns:
            chunks = [0] * len(convs)
            for bit, k in enumerate(chunkable):
                if mask >> bit & 1:
                    chunks[k] = 1
            slow = bin(mask).count("1") + (not align)
            if slow:
                variants.append((slow, make(ctx, ops, chunks, align)))
    base = make(ctx, ops, [0] * len(convs), True)
    return replace(base, variants=tuple(variants))


def lower(ctx: LowerContext, ops: list[Op]) -> KernelCall:
    """One tp_conv_chain_s8 call and its variants (:func:`chain_variants`)."""
    return chain_variants(ctx, ops, _call)


register_pattern(Pattern("conv_chain_s8", match, lower, KERNEL))
