"""Conv2D with sparse weights (``sparse_csr``, :class:`sdk.kernels.storage.SparseStorage`).

- int8: the pattern ``conv_chain_sparse_s8`` fuses like ``conv_chain_s8`` (conv [+ conv]
  [+ 2x2 max pool], streamed by rows) when at least one of the convs is sparse, and a lone
  sparse conv is a chain of one: both are calls of tp_conv_chain_sparse_s8, with the dense
  chain's ring and variants (and its scratch when the windows are chunked, plus accumulators
  otherwise), so a pruned model keeps the dense model's arena when memory is tight;
- float32: tp_conv_sparse_f32, tiles of 8 output pixels gathered into its scratch.

The references are the dense families' (the values are the same; only the storage differs).
"""

from __future__ import annotations

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph, Op
from sdk.kernels.families import conv2d
from sdk.kernels.families.conv_chain_s8 import (
    chain_ring_rows,
    chain_variants,
    int8_conv_shape,
    match_chain,
)
from sdk.kernels.program import KernelCall, LowerContext, geometry, simple_call
from sdk.kernels.registry import CKernel, Family, Pattern, register_family, register_pattern
from sdk.kernels.storage import pack_sparse
from sdk.kernels.values import NULL, SCRATCH, Array, ConstTable, Struct, TensorRef, Value, struct

SPARSE = "sparse_csr"
HEADERS = ("tp_engine_sparse.h",)
# Output pixels per tile of tp_conv_sparse_f32 (TILE there).
CONV_F32_TILE = 8


def sparse_tables(ctx: LowerContext, name: str, prefix: str) -> Struct:
    """The tp_sparse_s8 / tp_sparse_f32 static over the packed tables of graph constant
    ``name`` (int8: one table of (step, value) byte pairs; float: steps and values apart),
    each stored once per model (keyed by the constant's name)."""
    t = ctx.graph.tensors[name]
    packed = pack_sparse(t)
    label = f"{name} {list(t.shape)}"
    start = ConstTable("int16", packed.start, f"{label}: segment starts",
                       f"{prefix}sparse_start", key=f"{name}#start")
    if t.dtype == "int8":
        pairs = np.stack([packed.delta.view(np.int8), packed.value], axis=1).ravel()
        return struct("tp_sparse_s8", f"{prefix}sparse", start=start,
                      entry=ConstTable("int8", pairs, f"{label}: (step, value) pairs",
                                       f"{prefix}sparse_entry", key=f"{name}#entry"))
    return struct("tp_sparse_f32", f"{prefix}sparse", start=start,
                  delta=ConstTable("uint8", packed.delta, f"{label}: position steps",
                                   f"{prefix}sparse_delta", key=f"{name}#delta"),
                  value=ConstTable(t.dtype, packed.value, f"{label}: non-zero values",
                                   f"{prefix}sparse_value", key=f"{name}#value"))


def _sparse(graph: Graph, op: Op) -> bool:
    return graph.tensors[op.inputs[1]].storage == SPARSE


def sparse_chain_buffer_bytes(graph: Graph, convs: list[Op], chunk_rows: list[int],
                              ring_rows: int) -> int:
    """Twin of ``tp_conv_chain_sparse_s8_get_buffer_size``: the dense chain's scratch
    (conv_chain_s8.chain_buffer_bytes), where a sparse layer whose window is not chunked also
    keeps 8 int32 accumulators per output channel."""
    cores = []
    for op, rows in zip(convs, chunk_rows):
        co, kh, kw, ci = graph.tensors[op.inputs[1]].shape
        size = conv2d.conv_s8_buffer_bytes(kh, kw, ci, co, rows)
        whole = conv2d.conv_s8_chunk_rows(kh, kw, ci, rows) == kh
        cores.append(size + (co * conv2d.CONV_S8_TILE * 4 if whole and _sparse(graph, op) else 0))
    ring = 0
    if len(convs) == 2:
        _, _, aw, ac = graph.tensors[convs[0].outputs[0]].shape
        ring = -(-ring_rows * aw * ac // 4) * 4
    return ring + max(cores)


CHAIN_KERNEL = CKernel("tp_conv_chain_sparse_s8", (*conv2d.S8_HEADERS, *HEADERS),
                       sparse_chain_buffer_bytes)


def _chain_call(ctx: LowerContext, ops: list[Op], chunk_rows: list[int], align: bool
                ) -> KernelCall:
    """tp_conv_chain_sparse_s8(params, input, output, scratch): the dense chain's statics,
    with each sparse layer's filter replaced by its tables."""
    g = ctx.graph
    convs = [op for op in ops if op.type == "Conv2D"]
    pool = ops[-1].type == "MaxPool2D"
    ring = chain_ring_rows(g, convs, pool, align) if len(convs) == 2 else 0
    defs: list[Value] = []
    layers: list[Value] = []
    sparse: list[Value] = []
    for k, op in enumerate(convs):
        prefix = f"{'ab'[k]}_"
        layer_defs, v = conv2d.conv_s8_layer(ctx, op, chunk_rows[k], prefix)
        filt: Value = v["filter"]
        if _sparse(g, op):
            tables = sparse_tables(ctx, op.inputs[1], prefix)
            layer_defs = [d for d in layer_defs if d is not filt] + [tables]
            filt = NULL
            sparse.append(tables)
        else:
            sparse.append(NULL)
        layer = struct("tp_conv_layer_s8", "ab"[k], params=v["params"], quant=v["quant"],
                       input_dims=v["in"], filter_dims=v["filter_dims"], filter=filt,
                       bias=v["bias"], output_dims=v["out"],
                       pool=2 if pool and k == len(convs) - 1 else 0)
        defs += [*layer_defs, layer]
        layers.append(layer)
    chain = struct("tp_conv_chain_params_s8", "chain",
                   layer=Array((layers[0], layers[1] if len(layers) > 1 else NULL)),
                   count=len(convs), ring_rows=ring, align=int(align))
    params = struct("tp_conv_chain_sparse_params_s8", "sparse_chain", chain=chain,
                    sparse=Array((sparse[0], sparse[1] if len(sparse) > 1 else NULL)))
    defs += [chain, params]
    return KernelCall(tuple(ops), CHAIN_KERNEL, (params, ctx.tensor(ops[0].inputs[0]),
                                                 TensorRef(ops[-1].outputs[0]), SCRATCH),
                      tuple(defs), ctx.inputs(ops[:1]),
                      scratch_bytes=sparse_chain_buffer_bytes(g, convs, chunk_rows, ring),
                      size_args=(params,))


def match(graph: Graph, i: int) -> list[Op] | None:
    """A chain (as conv_chain_s8 fuses) of int8 convs with at least one sparse, or None."""
    ops = match_chain(graph, i, int8_conv_shape)
    if ops is None or not any(op.type == "Conv2D" and _sparse(graph, op) for op in ops):
        return None
    return ops


def lower_chain(ctx: LowerContext, ops: list[Op]) -> KernelCall:
    """One tp_conv_chain_sparse_s8 call with the dense chain's variants."""
    return chain_variants(ctx, ops, _chain_call)


def lower_s8(ctx: LowerContext, op: Op) -> KernelCall:
    """A lone sparse int8 Conv2D: a tp_conv_chain_sparse_s8 chain of one (one image only)."""
    x = ctx.graph.tensors[op.inputs[0]]
    ctx.check_window(op)
    if x.shape[0] != 1:
        raise UnsupportedError(f"not supported: op {op.name} (Conv2D) with sparse int8 "
                               f"weights on a batch of {x.shape[0]} (1 only)")
    return chain_variants(ctx, [op], _chain_call)


def conv_sparse_f32_buffer_bytes(kernel_h: int, kernel_w: int, in_channels: int) -> int:
    """Twin of ``tp_conv_sparse_f32_get_buffer_size``: one tile's windows, as floats."""
    return kernel_h * kernel_w * in_channels * CONV_F32_TILE * 4


F32_KERNEL = CKernel("tp_conv_sparse_f32", HEADERS, conv_sparse_f32_buffer_bytes,
                     overlapping_output=True, write_tile=CONV_F32_TILE)


def lower_f32(ctx: LowerContext, op: Op) -> KernelCall:
    """tp_conv_sparse_f32(params, in dims, input, filter dims, sparse filter, bias, out dims,
    output, scratch)."""
    ctx.check_window(op)
    w = ctx.graph.tensors[op.inputs[1]]
    if not np.all(np.isfinite(w.const_data())):
        raise UnsupportedError(f"constant {w.name!r} holds inf or nan; the C engine needs "
                               "finite weights")
    din, dout = ctx.io_dims(op)
    dfilt = ctx.dims("filter", w.shape)
    tables = sparse_tables(ctx, op.inputs[1], "")
    params = struct("tp_conv_params_f32", "params", **geometry(op),
                    activation=conv2d.f32_activation(op))
    args = (params, din, ctx.tensor(op.inputs[0]), dfilt, tables, ctx.optional(op, 2), dout,
            ctx.tensor(op.outputs[0]), SCRATCH)
    _, kh, kw, ci = w.shape
    return simple_call(ctx, op, F32_KERNEL, args, (din, dout, dfilt, tables, params),
                       scratch_bytes=conv_sparse_f32_buffer_bytes(kh, kw, ci),
                       size_args=(dfilt,))


register_pattern(Pattern("conv_chain_sparse_s8", match, lower_chain, CHAIN_KERNEL))
register_family(Family("Conv2D", "int8", "int8", SPARSE, conv2d.reference_s8, lower_s8,
                       CHAIN_KERNEL))
register_family(Family("Conv2D", "float32", "float32", SPARSE, conv2d.reference_f32, lower_f32,
                       F32_KERNEL))
