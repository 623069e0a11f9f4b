"""Generate ``model.c`` / ``model.h``: a graph as a fixed sequence of engine kernel calls.

The pipeline: :func:`sdk.kernels.lower` turns the graph into a program (every kernel call with
its parameters derived once, by the kernel families), the memory planner picks the program's
variants and places it (:func:`sdk.codegen.memory_planner.choose_variants`), and the printers
(:mod:`sdk.codegen.c_model`, :mod:`sdk.codegen.c_header`) print it.

The generated API (``PREFIX`` stands for the symbol prefix, ``tp_model`` by default; macros use
it in upper case):

- ``PREFIX_ARENA_SIZE``, ``PREFIX_NUM_INPUTS/OUTPUTS``, ``PREFIX_INPUT<i>_SIZE`` (elements),
  ``_BYTES``, ``_RANK``, ``_SHAPE`` (an initializer), the same for outputs, ``PREFIX_NUM_STEPS``;
- ``int32_t PREFIX_init(void *arena, uint32_t arena_size)``: NULL selects a static arena
  inside model.c (left out when compiled with ``-DTP_NO_STATIC_ARENA``);
- ``float *PREFIX_input(int32_t i)``, ``const float *PREFIX_output(int32_t i)`` (``int8_t``
  for a graph whose inputs / outputs are all int8, ``void`` for a mix),
  ``uint32_t PREFIX_input_bytes(int32_t i)``, ``uint32_t PREFIX_output_bytes(int32_t i)``;
- ``int32_t PREFIX_invoke(void)``; ``const char *PREFIX_step_name(int32_t i)``;
- ``int32_t PREFIX_check_scratch(void)``: -1 when every kernel's C ``_get_buffer_size`` equals
  the scratch planned for its step, else that step (tests call it; invoke does not).

With ``-DTP_BIT_ERRORS`` (a model with binary weights), the packed binary weight tables are in
RAM instead of flash and ``uint8_t *PREFIX_weight_bits(int32_t i, uint32_t *bytes)`` gives
table ``i``'s address and size (NULL past the last), so an app can flip their bits
(docs/bit_errors.md).

With ``-DTP_PROFILE_HOOK=fn``, invoke calls ``fn(-1)`` before the first step and ``fn(i)``
after step ``i``, so a board can read its counter between steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sdk.codegen.c_header import print_model_h
from sdk.codegen.c_model import print_model_c
from sdk.codegen.memory_planner import MemoryLayout, MemoryPlan, place_program, plan_program
from sdk.errors import UnsupportedError
from sdk.ir.graph import Graph
from sdk.kernels.program import Program, lower
from sdk.kernels.sparse_cost import StorageChoice, choose_storage
from sdk.kernels.values import CTYPES

DEFAULT_PREFIX = "tp_model"
_PREFIX_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,30}")


@dataclass
class Step:
    """One kernel call of the generated invoke."""

    index: int
    name: str
    op: str
    kernel: str
    layers: list[str]
    macs: int
    output: str

    def to_json(self) -> dict:
        """The entry written to steps.json."""
        return {"index": self.index, "name": self.name, "op": self.op, "kernel": self.kernel,
                "layers": self.layers, "macs": self.macs, "output": self.output}


@dataclass
class GeneratedModel:
    """The generated sources, the steps they execute, and the memory plan they use.

    ``engine_kernels``: the engine functions the steps call (``sdk.codegen.c_library`` finds
    their files); ``outside_files``: sources and headers of kernels registered from outside
    the engine."""

    prefix: str
    model_c: str
    model_h: str
    steps: list[Step]
    plan: MemoryPlan
    # Bytes of model constants in flash: weights, biases and, for int8 graphs, the per-channel
    # requantization tables (int32 multipliers and int8 shifts) and folded int32 biases.
    weights_bytes: int = 0
    engine_kernels: list[str] = field(default_factory=list)
    outside_files: list[Path] = field(default_factory=list)
    program: Program | None = None
    # Per pruned layer (weights with zeros): dense and packed bytes, predicted instructions of
    # both kernels and the storage chosen (sdk.kernels.sparse_cost).
    storage: list[StorageChoice] = field(default_factory=list)

    @property
    def dense_weights_bytes(self) -> int:
        """What the constants would take with every layer's weights stored dense."""
        return self.weights_bytes + sum(c.dense_bytes - c.sparse_bytes for c in self.storage
                                        if c.storage == "sparse_csr")

    def steps_json(self) -> dict:
        """Contents of steps.json."""
        return {"prefix": self.prefix, "arena_bytes": self.plan.arena_bytes,
                "weights_bytes": self.weights_bytes,
                "steps": [s.to_json() for s in self.steps]}


def _check_graph(graph: Graph) -> None:
    graph.validate()
    for name in list(graph.inputs) + [op.outputs[0] for op in graph.ops]:
        t = graph.tensors[name]
        if t.dtype not in CTYPES:
            raise UnsupportedError(f"tensor {name} of dtype {t.dtype} in the C engine "
                                   f"(activations: {', '.join(CTYPES)})")
    for name in list(graph.inputs) + list(graph.outputs):
        if graph.tensors[name].dtype == "binary":
            raise UnsupportedError(f"not supported: binary graph input or output {name} in the "
                                   "C engine (a binary network starts and ends with int8 "
                                   "layers)")


def _add(items: list, item) -> None:
    if item not in items:
        items.append(item)


def check_prefix(prefix: str) -> None:
    """One-line error unless ``prefix`` is a C identifier of at most 31 characters."""
    if not _PREFIX_RE.fullmatch(prefix):
        raise UnsupportedError(f"symbol prefix {prefix!r}: use a C identifier of at most 31 "
                               "characters")


def generate_model(graph: Graph, prefix: str = DEFAULT_PREFIX, plan: MemoryPlan | None = None,
                   layout: MemoryLayout | None = None,
                   prefer_speed: bool = False) -> GeneratedModel:
    """Lower, plan (unless ``plan`` is given, for the program as lowered) and print model.c
    and model.h for ``graph``; ``layout``: the board's memory regions (None: one arena);
    ``prefer_speed``: see :func:`sdk.codegen.memory_planner.place_program`.

    ``prefix`` is the C symbol prefix (an identifier of at most 31 characters), so that several
    generated models link into one program. The weights of each pruned layer are stored sparse
    where that is predicted faster (sdk.kernels.sparse_cost.choose_storage), unless the graph's
    metadata says ``"weight_storage": "fixed"`` (every tensor's storage kept as it is).
    """
    check_prefix(prefix)
    _check_graph(graph)
    choices: list[StorageChoice] = []
    if graph.metadata.get("weight_storage", "auto") != "fixed":
        graph, choices = choose_storage(graph)
    program = lower(graph)
    if plan is None:
        program, plan = place_program(program, layout, prefer_speed)
    steps: list[Step] = []
    engine: list[str] = []
    outside: list[Path] = []
    includes: list[str] = []
    for call in program.calls:
        kernel = call.kernel
        if kernel is None:
            continue
        layers: list[str] = []
        for op in call.ops:
            layers += [op.name] + [str(n) for n in op.attrs.get("fused", []) if n != op.name]
        steps.append(Step(len(steps), call.name, "+".join(op.type for op in call.ops),
                          kernel.function, layers, sum(graph.macs(op) for op in call.ops),
                          call.output))
        if kernel.source is None:
            _add(engine, kernel.function)
        for f in kernel.outside_files:
            _add(outside, f)
        for h in kernel.headers:
            _add(includes, h.name if isinstance(h, Path) else h)
    model_h = print_model_h(graph, plan, prefix, len(steps))
    model_c, weights = print_model_c(program, plan, prefix, [s.name for s in steps], includes)
    return GeneratedModel(prefix, model_c, model_h, steps, plan, weights, engine, outside,
                          program, choices)


__all__ = ["DEFAULT_PREFIX", "GeneratedModel", "Step", "generate_model", "plan_program"]
