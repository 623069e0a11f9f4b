"""The file exchange of device/app/run_main.c, and running a native (host board) build.

The app reads ``input.bin`` (input 0; ``input1.bin``... for further inputs) as the raw
little-endian bytes of the tensor's dtype (float32, int8, int16 or int32) and writes ``output.bin``
(``output1.bin``...) the same way, and ``marks.bin``: uint32 counter readings, the
first being the cost of one mark (see run_main.c).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from sdk.errors import ShapeError, ToolchainError
from sdk.ir.graph import Graph
from sdk.ir.tensor import DTYPES

# File dtypes (raw little-endian bytes) of the tensor dtypes the engine exchanges.
FILE_DTYPES = {"float32": "<f4", "int8": "i1", "int16": "<i2", "int32": "<i4"}


def file_dtype(graph: Graph, name: str) -> np.dtype:
    """The numpy dtype of tensor ``name`` in the app's files (the tensor's own dtype)."""
    dtype = graph.tensors[name].dtype
    if dtype not in FILE_DTYPES:
        raise ShapeError(f"tensor {name!r} of dtype {dtype}: the run app exchanges "
                         f"{', '.join(FILE_DTYPES)} only")
    return np.dtype(FILE_DTYPES[dtype])

RUN_TIMEOUT_S = 60.0
# run_main.c exit statuses
EXIT_MEANINGS = {2: "an input file is missing or too short", 3: "model init failed",
                 4: "invoke failed", 5: "an output file could not be written",
                 6: "flips.bin is missing or not the size of the binary weights"}


def _file(stem: str, index: int) -> str:
    return f"{stem}.bin" if index == 0 else f"{stem}{index}.bin"


def write_inputs(graph: Graph, workdir: Path, inputs: list[np.ndarray]) -> None:
    """Write the graph's inputs as the app's input files, checking each shape.

    An input whose batch dimension is 1 may be given as N frames ``[N, ...]``; the app then
    runs N inferences and :func:`read_outputs` returns N frames.
    """
    if len(inputs) != len(graph.inputs):
        raise ShapeError(f"model has {len(graph.inputs)} inputs, got {len(inputs)} arrays")
    for i, (name, arr) in enumerate(zip(graph.inputs, inputs)):
        expected = graph.tensors[name].shape
        shape = tuple(np.shape(arr))
        batched = expected[0] == 1 and len(shape) == len(expected) and shape[1:] == expected[1:]
        if shape != expected and not (batched and shape[0] > 0):
            raise ShapeError(f"input {name!r}: expected shape {list(expected)}, "
                             f"got {list(shape)}")
        dtype = file_dtype(graph, name)
        if dtype.kind == "i":
            values = np.asarray(arr)
            info = np.iinfo(DTYPES[graph.tensors[name].dtype])
            if not np.issubdtype(values.dtype, np.integer) or (
                    values.size and (values.min() < info.min or values.max() > info.max)):
                raise ShapeError(f"input {name!r}: expected {graph.tensors[name].dtype} "
                                 f"values, got {values.dtype}")
        np.ascontiguousarray(arr, dtype=dtype).tofile(Path(workdir) / _file("input", i))


def read_outputs(graph: Graph, workdir: Path) -> list[np.ndarray]:
    """The app's output files, in the outputs' dtypes: the graph's output shapes, with the
    batch dimension holding every frame the app ran."""
    outs = []
    for i, name in enumerate(graph.outputs):
        shape = graph.tensors[name].shape
        per_frame = int(np.prod(shape))
        data = np.fromfile(Path(workdir) / _file("output", i), dtype=file_dtype(graph, name))
        data = data.astype(DTYPES[graph.tensors[name].dtype])
        if data.size == 0 or data.size % per_frame:
            raise ShapeError(f"{_file('output', i)}: {data.size} values, expected a multiple "
                             f"of {per_frame} for output {name!r}")
        outs.append(data.reshape((-1, *shape[1:])))
    return outs


def read_marks(workdir: Path) -> list[int]:
    """marks.bin as a list of raw uint32 counter values (calibration first)."""
    return np.fromfile(Path(workdir) / "marks.bin", dtype="<u4").tolist()


def run_native(elf: Path, graph: Graph, inputs: list[np.ndarray],
               workdir: Path | None = None) -> list[np.ndarray]:
    """Run a host-board build of ``graph`` on ``inputs``; returns its outputs."""
    workdir = Path(workdir if workdir is not None else Path(elf).parent)
    write_inputs(graph, workdir, inputs)
    try:
        proc = subprocess.run([str(Path(elf).resolve())], cwd=workdir, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{elf}: still running after {RUN_TIMEOUT_S:g} s; killed") from None
    if proc.returncode != 0:
        meaning = EXIT_MEANINGS.get(proc.returncode, "crashed or failed")
        raise ToolchainError(f"{elf}: exit status {proc.returncode} ({meaning})")
    return read_outputs(graph, workdir)
