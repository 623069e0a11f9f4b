"""Which C kernel of ``device/engine`` executes each IR op, and what it needs from the planner.

This table is the single place where the code generator, the memory planner and the export
learn about kernels: the C function, its source file, whether its output may share an input's
buffer (in place), and the Python twin of its ``_get_buffer_size`` function when it needs
scratch memory. Int8 kernels have their own table (``INT8_KERNELS``, chosen by the dtype of the op's first
input); binary kernels will join the same way.
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


# Register tile of the int8 convolution's DSP path (TP_CONV_S8_TILE in tp_convolve_s8.c).
CONV_S8_TILE = 4


def conv_s8_buffer_bytes(kernel_h: int, kernel_w: int, in_channels: int) -> int:
    """Twin of ``tp_convolve_s8_get_buffer_size``: TILE im2col columns of int16 pairs (two
    words per group of four values, one word per trailing value) and one byte column."""
    k = kernel_h * kernel_w * in_channels
    return CONV_S8_TILE * ((k // 4) * 2 + k % 4) * 4 + ((k + 3) // 4) * 4


def _conv_s8_scratch(graph: Graph, op: Op) -> int:
    _, kh, kw, ci = graph.tensors[op.inputs[1]].shape
    return conv_s8_buffer_bytes(kh, kw, ci)


INT8_KERNELS: dict[str, Kernel] = {
    "Conv2D": Kernel("tp_convolve_s8", "tp_convolve_s8.c", overlapping_output=True,
                     scratch_bytes=_conv_s8_scratch),
    "DepthwiseConv2D": Kernel("tp_depthwise_conv_s8", "tp_depthwise_conv_s8.c",
                              overlapping_output=True),
    "MaxPool2D": Kernel("tp_max_pool_s8", "tp_max_pool_s8.c", overlapping_output=True),
    "AvgPool2D": Kernel("tp_avg_pool_s8", "tp_avg_pool_s8.c", overlapping_output=True),
    "Dense": Kernel("tp_fully_connected_s8", "tp_fully_connected_s8.c"),
    "Add": Kernel("tp_add_s8", "tp_add_s8.c", in_place_inputs=(0, 1)),
    "Softmax": Kernel("tp_softmax_s8", "tp_softmax_s8.c", in_place_inputs=(0,)),
    "Quantize": Kernel("tp_requantize_s8", "tp_requantize_s8.c", in_place_inputs=(0,)),
    "Dequantize": Kernel("tp_dequantize_s8_f32", "tp_dequantize_s8_f32.c"),
}

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
