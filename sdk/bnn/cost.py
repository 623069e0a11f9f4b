"""What a binary network costs on the device, counted on its IR graph.

* ``bytes``: every constant as its storage packs it (``storage_of(t).packed_bytes``: binary
  weights bit-packed in 32-bit words, per packing group; int32 thresholds and biases at 4 bytes),
  the figure ``tinyprune prune --to-bytes`` aims at;
* ``binary_ops``: the binary multiply-accumulates (XNOR and popcount) of the layers whose input
  is binary, the figure ``--to-ops`` aims at and seed 002 reports; the first layer's int8 input
  makes it additions and subtractions, counted in ``macs`` only;
* ``macs``: every layer's multiply-accumulates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sdk.ir import Graph
from sdk.kernels.storage import storage_of

BINARY_OPS = ("BinaryConv2D", "BinaryDense")


@dataclass(frozen=True)
class Cost:
    """Packed bytes of the constants, binary operations and MACs of one inference."""

    bytes: int
    binary_ops: int
    macs: int

    def to_dict(self) -> dict:
        """Plain dict (JSON)."""
        return asdict(self)


def graph_cost(graph: Graph) -> Cost:
    """The :class:`Cost` of ``graph`` (see the module docstring)."""
    size = sum(storage_of(t).packed_bytes(t) for t in graph.tensors.values() if t.is_constant)
    binary = sum(graph.macs(op) for op in graph.ops if op.type in BINARY_OPS
                 and graph.tensors[op.inputs[0]].dtype == "binary")
    return Cost(size, binary, sum(graph.macs(op) for op in graph.ops))
