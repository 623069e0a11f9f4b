"""Which C kernel of ``device/engine`` executes each IR op, and what it needs from the planner.

This table is the single place where the code generator, the memory planner and the export
learn about kernels: the C function, its source file, whether its output may share an input's
buffer (in place), and the Python twin of its ``_get_buffer_size`` function when it needs
scratch memory. Int8 kernels have their own table (``INT8_KERNELS``, chosen by the dtype of the
op's first input); binary kernels will join the same way. Fused int8 convolutions (one kernel
call for several ops) are formed by :mod:`sdk.codegen.lowering`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph, Op

ENGINE_HEADER = "tp_engine.h"

# Ops that move no data: the output is a new view of the input's bytes (NHWC order is kept).
ALIAS_OPS = frozenset({"Reshape"})


@dataclass(frozen=True)
class Kernel:
    """One C kernel: its function, its file, and its memory needs."""

    function: str
    source: str
    # Output may be written over the buffer of one of these input positions: the kernel reads
    # each element (or row) completely before writing the same element (or row).
    in_place_inputs: tuple[int, ...] = ()
    # Output pixels are written in raster order and no input before the current pixel's
    # window is read again, so the output may partly overlap a dying input
    # (memory_planner.overlap_limit states the exact condition the kernel guarantees).
    overlapping_output: bool = False
    # Twin of the C ``<function>_get_buffer_size``: scratch bytes for this op (None: no scratch).
    scratch_bytes: Callable[[Graph, Op], int] | None = None
    # Output pixels are written in tiles of this many consecutive pixels, each tile only after
    # all of its input has been read (0: pixel by pixel, up to one pixel ahead); see
    # memory_planner.overlap_limit.
    write_tile: int = 0
    # When set, in_place_inputs apply only to ops for which it returns True.
    in_place_if: Callable[[Graph, Op], bool] | None = None


FLOAT_KERNELS: dict[str, Kernel] = {
    "Conv2D": Kernel("tp_convolve_f32", "tp_convolve_f32.c", overlapping_output=True),
    "DepthwiseConv2D": Kernel("tp_depthwise_conv_f32", "tp_depthwise_conv_f32.c",
                              overlapping_output=True),
    "MaxPool2D": Kernel("tp_max_pool_f32", "tp_max_pool_f32.c", overlapping_output=True),
    "AvgPool2D": Kernel("tp_avg_pool_f32", "tp_avg_pool_f32.c", overlapping_output=True),
    "Dense": Kernel("tp_fully_connected_f32", "tp_fully_connected_f32.c"),
    "Add": Kernel("tp_add_f32", "tp_add_f32.c", in_place_inputs=(0, 1)),
    "Softmax": Kernel("tp_softmax_f32", "tp_softmax_f32.c", in_place_inputs=(0,)),
}


# Output pixels per tile of the int8 convolution (TILE in tp_convolve_s8.c).
CONV_S8_TILE = 8


def conv_s8_chunk_rows(kernel_h: int, kernel_w: int, in_channels: int, chunk_rows: int) -> int:
    """Window rows per im2col chunk (``rows_per_chunk`` in tp_convolve_s8.c)."""
    if chunk_rows <= 0 or chunk_rows >= kernel_h or (kernel_w * in_channels) % 4:
        return kernel_h
    return chunk_rows


def conv_s8_buffer_bytes(kernel_h: int, kernel_w: int, in_channels: int, out_channels: int = 0,
                         chunk_rows: int = 0) -> int:
    """Twin of ``core_bytes`` in tp_convolve_s8.c (``tp_convolve_s8_get_buffer_size``): TILE
    int16 columns of one window chunk (rounded up to a multiple of 4 values), one byte column,
    and TILE int32 partial sums per output channel when the window is split into chunks."""
    rows = conv_s8_chunk_rows(kernel_h, kernel_w, in_channels, chunk_rows)
    kc = -(-rows * kernel_w * in_channels // 4) * 4
    size = CONV_S8_TILE * kc * 2 + kc
    if rows < kernel_h:
        size += out_channels * CONV_S8_TILE * 4
    return size


def _conv_s8_scratch(graph: Graph, op: Op) -> int:
    co, kh, kw, ci = graph.tensors[op.inputs[1]].shape
    return conv_s8_buffer_bytes(kh, kw, ci, co)


# Channels per group of the int8 depthwise ring path (DW_GROUP in tp_depthwise_conv_s8.c).
DW_S8_GROUP = 16


def _dw_s8_ring(graph: Graph, op: Op) -> bool:
    """True when tp_depthwise_conv_s8 takes its ring path (``uses_ring``)."""
    kh = graph.tensors[op.inputs[1]].shape[1]
    return (tuple(op.attrs["stride"]) == (1, 1) and int(op.attrs.get("depth_multiplier", 1)) == 1
            and kh <= 16)


def dw_s8_buffer_bytes(graph: Graph, op: Op) -> int:
    """Twin of ``tp_depthwise_conv_s8_get_buffer_size``: a ring of kernel_h expanded rows of
    min(DW_S8_GROUP, channels) channels (int16, output width + kernel width rounded up to even) and four
    weight pairs per channel and window row, four requantization words per channel; nothing
    outside the ring path. A row holds the output width + kernel width (rounded up to even),
    and at least 6 per block of 3 output pairs + 2."""
    if not _dw_s8_ring(graph, op):
        return 0
    _, kh, kw, _ = graph.tensors[op.inputs[1]].shape
    _, _, ow, oc = graph.tensors[op.outputs[0]].shape
    group = min(DW_S8_GROUP, oc)
    length = max((ow + kw + 1) & ~1, 6 * ((ow + 5) // 6) + 2)
    return kh * group * length * 2 + group * kh * 16 + group * 16


def _dw_in_place(graph: Graph, op: Op) -> bool:
    """Depthwise convolution runs in place when it takes the ring path and its output has the
    input's shape: the ring holds every input row still needed when an output row is written."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    return _dw_s8_ring(graph, op) and x.shape == y.shape


INT8_KERNELS: dict[str, Kernel] = {
    "Conv2D": Kernel("tp_convolve_s8", "tp_convolve_s8.c", overlapping_output=True,
                     scratch_bytes=_conv_s8_scratch, write_tile=CONV_S8_TILE),
    "DepthwiseConv2D": Kernel("tp_depthwise_conv_s8", "tp_depthwise_conv_s8.c",
                              in_place_inputs=(0,), in_place_if=_dw_in_place,
                              scratch_bytes=dw_s8_buffer_bytes),
    "MaxPool2D": Kernel("tp_max_pool_s8", "tp_max_pool_s8.c", overlapping_output=True),
    "AvgPool2D": Kernel("tp_avg_pool_s8", "tp_avg_pool_s8.c", overlapping_output=True),
    "Dense": Kernel("tp_fully_connected_s8", "tp_fully_connected_s8.c"),
    "Add": Kernel("tp_add_s8", "tp_add_s8.c", in_place_inputs=(0, 1)),
    "Softmax": Kernel("tp_softmax_s8", "tp_softmax_s8.c", in_place_inputs=(0,)),
    "Quantize": Kernel("tp_requantize_s8", "tp_requantize_s8.c", in_place_inputs=(0,)),
    "Dequantize": Kernel("tp_dequantize_s8_f32", "tp_dequantize_s8_f32.c"),
}

# Fused int8 convolutions (a conv + 2x2 max pool, or two convs streamed by rows, + pool): one
# call per fused group, its scratch computed by sdk.codegen.lowering.
CONV_CHAIN_S8_KERNEL = Kernel("tp_conv_chain_s8", "tp_convolve_s8.c")

# Graph-boundary conversion from float32 (a Quantize op whose input is float32).
QUANTIZE_F32_KERNEL = Kernel("tp_quantize_f32_s8", "tp_quantize_f32_s8.c")

# Headers the int8 kernels need besides ENGINE_HEADER.
INT8_HEADERS = ("tp_engine_s8.h", "tp_requant.h")


def kernel_for(graph: Graph, op: Op) -> Kernel | None:
    """The kernel that executes ``op``; None for ops that need no code (see ``ALIAS_OPS``).

    Raises :class:`UnsupportedError` for an op or dtype the engine has no kernel for.
    """
    if op.type in ALIAS_OPS:
        return None
    dtype = graph.tensors[op.inputs[0]].dtype
    if dtype == "float32" and op.type == "Quantize":
        return QUANTIZE_F32_KERNEL
    table = {"float32": FLOAT_KERNELS, "int8": INT8_KERNELS}.get(dtype)
    if table is None:
        raise UnsupportedError(f"op {op.name} ({op.type}) on {dtype} tensors in the C engine "
                               "(float32 and int8 kernels only so far)")
    kernel = table.get(op.type)
    if kernel is None:
        raise UnsupportedError(f"op {op.name} of type {op.type} on {dtype} tensors in the C "
                               "engine")
    return kernel


def scratch_bytes(graph: Graph, op: Op) -> int:
    """Scratch memory the kernel of ``op`` needs while it runs (0 for none)."""
    kernel = kernel_for(graph, op)
    if kernel is None or kernel.scratch_bytes is None:
        return 0
    return kernel.scratch_bytes(graph, op)
