"""Float reference executor for the IR (the golden model for float graphs).

Each op runs its kernel family's reference (:mod:`sdk.kernels.families`), written as plainly as
possible in numpy; values stay float64 from op to op, with a final cast to float32, so the
executor states the math rather than mirrors any kernel's loop order.
"""

from __future__ import annotations

import numpy as np

from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph
from sdk.kernels.registry import family_for
from sdk.reference.common import bind_inputs
from sdk.reference.context import RefContext


def run_float(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray,
              keep_intermediates: bool = False) -> dict[str, np.ndarray]:
    """Execute a float graph; returns the graph outputs (or every tensor) as float32 arrays.

    ``inputs`` maps input names to arrays, or is one array for a single-input graph.
    """
    values = {name: arr.astype(np.float64) for name, arr in bind_inputs(graph, inputs).items()}
    for t in graph.tensors.values():
        if t.data is not None:
            if t.dtype != "float32":
                raise UnsupportedError(f"tensor {t.name} of dtype {t.dtype} in the float executor")
            values[t.name] = t.data.astype(np.float64)
    for op in graph.ops:
        if graph.tensors[op.outputs[0]].dtype != "float32":
            raise UnsupportedError(f"op {op.name} of type {op.type} in the float reference "
                                   "executor (float32 outputs only)")
        family = family_for(graph, op, "the float reference executor")
        values[op.outputs[0]] = family.reference(RefContext(graph, op),
                                                 [values[i] for i in op.inputs])
    keep = values.keys() if keep_intermediates else graph.outputs
    return {k: values[k].astype(np.float32) for k in keep}
