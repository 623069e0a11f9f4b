"""C text of the values of a lowered program (:mod:`sdk.kernels.values`) and of constants.

Shared by the model.c and model.h printers; knows no kernel.
"""

from __future__ import annotations

import math
import re

import numpy as np

from sdk.codegen.memory_planner import MemoryPlan
from sdk.errors import ShapeError
from sdk.ir.graph import Graph
from sdk.kernels.values import CTYPES, NULL, SCRATCH, Array, ConstTable, Float, Int, Struct, TensorRef, Value

# Arena accessors of model.c by activation dtype (others: a cast of TP_ARENA_PTR).
ARENA_MACROS = {"float32": "TP_ARENA_F32", "int8": "TP_ARENA_S8"}


def c_comment(text: str) -> str:
    """``text`` with every character that could end or confuse a C comment replaced by ?."""
    return re.sub(r"[^A-Za-z0-9_ .,:;/+=()\[\]-]", "?", text)


def c_string(text: str) -> str:
    """A C string literal of printable ASCII (others become _)."""
    safe = "".join(c if 32 <= ord(c) < 127 and c not in '"\\?' else "_" for c in text)
    return f'"{safe}"'


def c_float(value: float) -> str:
    """A float literal; 9 significant digits identify every float32 exactly, infinity is the
    largest float (FLT_MAX)."""
    if math.isinf(value):
        return "FLT_MAX" if value > 0 else "-FLT_MAX"
    text = f"{float(value):.9g}"
    if "e" not in text and "." not in text and "nan" not in text:
        text += ".0"
    return text + "f"


def array_body(table: ConstTable) -> str:
    """The initializer of a constant table: 8 floats or 16 integers a line."""
    flat = np.asarray(table.data).ravel()
    if table.dtype == "float32":
        if not np.all(np.isfinite(flat)):
            raise ShapeError(f"constant {table.comment!r} holds inf or nan; the C engine needs "
                             "finite weights")
        parts, per_line = [c_float(v) for v in np.asarray(flat, np.float32).tolist()], 8
    else:
        parts, per_line = [str(int(v)) for v in flat.tolist()], 16
    lines = [", ".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line)]
    return "{\n    " + ",\n    ".join(lines) + "\n}"


class ValuePrinter:
    """C expressions of values for one model: arena places from ``plan``, step statics under
    ``s_step<i>_``, graph constants as ``s_const<k>`` (named on first definition)."""

    def __init__(self, graph: Graph, plan: MemoryPlan) -> None:
        self.graph, self.plan = graph, plan
        self.const_names: dict[str, str] = {}

    def table_name(self, table: ConstTable, step: str) -> str:
        """The identifier of a table (a graph constant keeps its first name)."""
        if table.key is None:
            return f"{step}_{table.name}"
        return self.const_names.setdefault(table.key, f"s_const{len(self.const_names)}")

    def value(self, v: Value, step: str, scratch: str | None = None) -> str:
        """``v`` as a C expression (a named struct by address)."""
        if isinstance(v, Struct):
            if v.name:
                return f"&{step}_{v.name}"
            return self.init(v, step)
        if isinstance(v, ConstTable):
            return self.table_name(v, step)
        if isinstance(v, TensorRef):
            t = self.graph.tensors[v.name]
            offset = f"{self.plan.offsets[v.name]}u"
            if t.dtype in ARENA_MACROS:
                return f"{ARENA_MACROS[t.dtype]}({offset})"
            return f"(({CTYPES[t.dtype]} *)TP_ARENA_PTR({offset}))"
        if isinstance(v, Int):
            return str(int(v.value))
        if isinstance(v, Float):
            return c_float(v.value)
        if isinstance(v, Array):
            return "{" + ", ".join(self.value(x, step) for x in v.items) + "}"
        if v is SCRATCH:
            return scratch or "NULL"
        if v is NULL:
            return "NULL"
        raise TypeError(f"no C text for {v!r}")

    def init(self, s: Struct, step: str) -> str:
        """The initializer of struct ``s`` (fields in declaration order)."""
        return "{" + ", ".join(self.value(v, step) for _, v in s.fields) + "}"
