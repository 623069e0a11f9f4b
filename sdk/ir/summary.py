"""Per-layer figures of a graph: what ``tinyprune inspect`` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sdk.ir.graph import Graph


@dataclass
class LayerRow:
    """One op's figures. Weight bytes are the op's constants as stored; activation bytes its output."""

    name: str
    op: str
    output_shape: tuple[int, ...]
    params: int
    macs: int
    weights_bytes: int
    activation_bytes: int
    fused: tuple[str, ...]


@dataclass
class GraphSummary:
    """All layers plus totals."""

    name: str
    layers: list[LayerRow]
    params: int
    macs: int
    weights_bytes: int
    activation_bytes: int
    input_shapes: dict[str, tuple[int, ...]]

    def to_json(self) -> dict:
        """Plain JSON with the project's field names (bytes, counts)."""
        return {
            "name": self.name,
            "params": self.params,
            "macs": self.macs,
            "weights_bytes": self.weights_bytes,
            "activation_bytes": self.activation_bytes,
            "inputs": {k: list(v) for k, v in self.input_shapes.items()},
            "layers": [asdict(r) for r in self.layers],
        }


def summarize(graph: Graph) -> GraphSummary:
    """Compute the per-layer table of ``graph``."""
    rows = []
    for op in graph.ops:
        consts = [graph.tensors[i] for i in op.inputs if graph.tensors[i].is_constant]
        out = graph.tensors[op.outputs[0]]
        rows.append(LayerRow(
            name=op.name, op=op.type, output_shape=out.shape,
            params=sum(t.size for t in consts), macs=graph.macs(op),
            weights_bytes=sum(t.nbytes for t in consts), activation_bytes=out.nbytes,
            fused=tuple(op.attrs.get("fused", ())),
        ))
    return GraphSummary(
        name=graph.name, layers=rows, params=sum(r.params for r in rows),
        macs=sum(r.macs for r in rows), weights_bytes=sum(r.weights_bytes for r in rows),
        activation_bytes=sum(r.activation_bytes for r in rows),
        input_shapes={n: graph.tensors[n].shape for n in graph.inputs},
    )
