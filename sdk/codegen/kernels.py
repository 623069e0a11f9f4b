"""Which C kernel of ``device/engine`` executes each IR op, and what it needs from the planner.

This table is the single place where the code generator, the memory planner and the export
learn about kernels: the C function, its source file, whether its output may share an input's
buffer (in place), and the Python twin of its ``_get_buffer_size`` function when it needs
scratch memory. Int8 and binary kernels join the table with their own dtype key.
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


def kernel_for(graph: Graph, op: Op) -> Kernel | None:
    """The kernel that executes ``op``; None for ops that need no code (see ``ALIAS_OPS``).

    Raises :class:`UnsupportedError` for an op or dtype the engine has no kernel for.
    """
    if op.type in ALIAS_OPS:
        return None
    dtype = graph.tensors[op.inputs[0]].dtype
    if dtype != "float32":
        raise UnsupportedError(f"op {op.name} ({op.type}) on {dtype} tensors in the C engine "
                               "(float32 kernels only so far)")
    kernel = FLOAT_KERNELS.get(op.type)
    if kernel is None:
        raise UnsupportedError(f"op {op.name} of type {op.type} in the C engine")
    return kernel


def scratch_bytes(graph: Graph, op: Op) -> int:
    """Scratch memory the kernel of ``op`` needs while it runs (0 for none)."""
    kernel = kernel_for(graph, op)
    if kernel is None or kernel.scratch_bytes is None:
        return 0
    return kernel.scratch_bytes(graph, op)
