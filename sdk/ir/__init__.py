"""The intermediate representation: tensors, ops, graphs, and the model file."""

from sdk.ir.graph import Graph, GraphError, Op
from sdk.ir.ops import ACTIVATIONS, OP_SPECS, same_padding, window_output
from sdk.ir.serialize import SCHEMA_VERSION, load_model, save_model
from sdk.ir.tensor import DTYPES, QuantParams, Tensor

__all__ = [
    "ACTIVATIONS", "DTYPES", "OP_SPECS", "SCHEMA_VERSION", "Graph", "GraphError", "Op",
    "QuantParams", "Tensor", "load_model", "same_padding", "save_model", "window_output",
]
