"""The IR graph: a DAG of ops over named tensors.

The graph is the only thing passes and backends see. ``ops`` is kept in a topological
order; :meth:`Graph.validate` checks that and every shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sdk.errors import ShapeError, TinypruneError
from sdk.ir.checks import check_dtypes, check_multipliers, check_op_attrs, check_tensors
from sdk.ir.ops import ACTIVATIONS, OP_SPECS, op_spec
from sdk.ir.tensor import Tensor


@dataclass
class Op:
    """One operator: reads ``inputs``, writes ``outputs`` (tensor names).

    ``attrs`` holds the op's parameters (see :mod:`sdk.ir.ops`). ``attrs["fused"]`` may list
    the names of source-framework layers folded into this op (BatchNorm, ReLU), so profiles
    can say which layers one executed step covers.
    """

    name: str
    type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)


class GraphError(TinypruneError):
    """The graph is malformed (dangling tensor, cycle, wrong arity)."""


@dataclass
class Graph:
    """A model: tensors, ops in topological order, graph inputs and outputs, metadata.

    ``metadata`` travels with the model file (for example the radar preprocessing
    configuration the model was trained with).
    """

    name: str
    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    def add_tensor(self, tensor: Tensor) -> Tensor:
        """Add a tensor; its name must be new."""
        if tensor.name in self.tensors:
            raise GraphError(f"tensor {tensor.name!r} already exists")
        self.tensors[tensor.name] = tensor
        return tensor

    def add_op(self, op: Op) -> Op:
        """Append an op; its output tensors get their shapes inferred if not yet present."""
        spec = op_spec(op.type)
        if spec is None:
            raise GraphError(f"op {op.name}: unknown type {op.type!r}")
        for out in op.outputs:
            if out not in self.tensors:
                shape = spec.infer_shape([self.tensors[i].shape for i in op.inputs], op.attrs)
                dtype = self.tensors[op.inputs[0]].dtype
                self.add_tensor(Tensor(out, shape, dtype))
        self.ops.append(op)
        return op

    def producer(self, tensor: str) -> Op | None:
        """The op that writes ``tensor`` (None for graph inputs and constants)."""
        for op in self.ops:
            if tensor in op.outputs:
                return op
        return None

    def consumers(self, tensor: str) -> list[Op]:
        """The ops that read ``tensor``."""
        return [op for op in self.ops if tensor in op.inputs]

    def macs(self, op: Op) -> int:
        """Multiply-accumulates performed by ``op``."""
        spec = OP_SPECS[op.type]
        return spec.macs([self.tensors[i].shape for i in op.inputs],
                         self.tensors[op.outputs[0]].shape, op.attrs)

    def parameter_count(self) -> int:
        """Number of constant elements (weights and biases), as Keras counts parameters."""
        return sum(t.size for t in self.tensors.values() if t.is_constant)

    def validate(self) -> None:
        """Check the graph: known ops, arity, attributes, tensors, topological order, shapes.

        The checks of :mod:`sdk.ir.checks` cover the values (quantization parameters,
        strides, constants). Raises :class:`GraphError`, :class:`ShapeError` or
        :class:`GraphValueError` naming the op or tensor and the problem.
        """
        available = {n for n, t in self.tensors.items() if t.is_constant} | set(self.inputs)
        for name in self.inputs + self.outputs:
            if name not in self.tensors:
                raise GraphError(f"graph input/output {name!r} is not a tensor")
        check_tensors(self)
        for op in self.ops:
            spec = op_spec(op.type)
            if spec is None:
                raise GraphError(f"op {op.name}: unknown type {op.type!r}")
            if not spec.min_inputs <= len(op.inputs) <= spec.max_inputs:
                raise GraphError(
                    f"op {op.name} ({op.type}): takes {spec.min_inputs}-{spec.max_inputs} "
                    f"inputs, has {len(op.inputs)}"
                )
            if len(op.outputs) != 1:
                raise GraphError(f"op {op.name} ({op.type}): must have exactly one output")
            for attr in spec.required_attrs:
                if attr not in op.attrs:
                    raise GraphError(f"op {op.name} ({op.type}): missing attribute {attr!r}")
            check_op_attrs(op)
            act = op.attrs.get("activation", "none")
            if act not in ACTIVATIONS:
                raise GraphError(f"op {op.name}: activation {act!r} not in {list(ACTIVATIONS)}")
            for name in op.inputs:
                if name not in self.tensors:
                    raise GraphError(f"op {op.name}: input tensor {name!r} does not exist")
                if name not in available:
                    raise GraphError(
                        f"op {op.name}: input {name!r} is not produced before it (not a DAG "
                        "in topological order)"
                    )
            out = op.outputs[0]
            if out not in self.tensors:
                raise GraphError(f"op {op.name}: output tensor {out!r} does not exist")
            if out in available:
                raise GraphError(f"op {op.name}: tensor {out!r} is written twice")
            try:
                expected = spec.infer_shape([self.tensors[i].shape for i in op.inputs], op.attrs)
            except (KeyError, TypeError, ValueError) as exc:
                raise GraphError(f"op {op.name} ({op.type}): bad attributes: {exc}") from None
            except ShapeError as exc:
                raise ShapeError(f"op {op.name}: {exc}") from None
            if tuple(expected) != self.tensors[out].shape:
                raise ShapeError(
                    f"op {op.name} ({op.type}): output {out!r} declared {list(self.tensors[out].shape)}"
                    f", inferred {list(expected)}"
                )
            check_dtypes(self, op)
            available.add(out)
        for name in self.outputs:
            if name not in available:
                raise GraphError(f"graph output {name!r} is never produced")
        check_multipliers(self)
