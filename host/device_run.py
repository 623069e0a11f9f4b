"""Build a model for a board, run one inference on it, and profile every step.

This is what ``tinyprune run`` and the demo do: the firmware built by :mod:`host.build`
(device/app/run_main.c) is launched by the board's runner (QEMU for qemu_m7, the native
executable for host), its outputs are compared with the numpy reference, and its counter
marks become per-step instruction counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.build import BuildResult, build_firmware
from host.run_files import EXIT_MEANINGS, read_marks, read_outputs, run_native, write_inputs
from sdk.boards import Board, load_board
from sdk.errors import ShapeError, ToolchainError, UnsupportedError
from sdk.ir import Graph
from sdk.reference import run_float
from sdk.reference.int8_executor import run_int8


@dataclass
class StepProfile:
    """One executed step: the kernel call, the IR op and source layers it covers, its cost."""

    name: str
    op: str
    covers: list[str]
    macs: int
    instructions: int | None


@dataclass
class DeviceRun:
    """The result of one inference on a board, beside the host reference."""

    build: BuildResult
    output: np.ndarray
    reference: np.ndarray
    steps: list[StepProfile]

    @property
    def instructions(self) -> int | None:
        """Whole inference: the measured region less the marks' own cost (= sum of steps)."""
        counts = [s.instructions for s in self.steps if s.instructions is not None]
        return sum(counts) if len(counts) == len(self.steps) else None

    @property
    def bit_exact(self) -> bool:
        """True when the device output equals the reference exactly (the contract for int8
        graphs, whose reference is the int8 executor, bit-exact with TFLite Micro)."""
        return (self.output.shape == self.reference.shape
                and bool(np.array_equal(self.output.astype(np.float64), self.reference)))

    @property
    def max_rel_diff(self) -> float:
        """max |device - reference| / max |reference| over the output tensor."""
        scale = float(np.max(np.abs(self.reference))) or 1.0
        return float(np.max(np.abs(self.output.astype(np.float64) - self.reference)) / scale)


def coerce_input(graph: Graph, x: np.ndarray, source: str) -> np.ndarray:
    """Check ``x`` against the model's single input; a missing batch dimension of 1 is added.

    A float input to an int8 model is quantized with the model's input parameters.
    """
    if len(graph.inputs) != 1:
        raise UnsupportedError(f"running a model with {len(graph.inputs)} inputs from one file")
    shape = graph.tensors[graph.inputs[0]].shape
    if x.shape == shape[1:] and shape[0] == 1:
        x = x.reshape(shape)
    if x.shape != shape:
        raise ShapeError(f"{source}: input has shape {list(x.shape)}, the model expects "
                         f"{list(shape)} (NHWC)")
    dtype = graph.tensors[graph.inputs[0]].dtype
    if dtype == "int8":
        if np.issubdtype(x.dtype, np.floating):
            from sdk.compress.report import quantize_input

            return quantize_input(graph, x)  # as the device quantizes a sensor frame
        if not np.issubdtype(x.dtype, np.integer) or (x.size and (x.min() < -128 or x.max() > 127)):
            raise ShapeError(f"{source}: input dtype is {x.dtype}, expected int8 values")
        return x.astype(np.int8)
    if not np.issubdtype(x.dtype, np.floating):
        raise ShapeError(f"{source}: input dtype is {x.dtype}, expected float32")
    return x.astype(np.float32)


def is_quantized(graph: Graph) -> bool:
    """True when the graph computes in int8 (its reference is the int8 executor)."""
    return any(t.dtype == "int8" for t in graph.tensors.values())


def reference_outputs(graph: Graph, x: np.ndarray) -> np.ndarray:
    """Output 0 of the host reference for every frame of ``x``: the int8 executor (exact) for
    quantized graphs, the float executor otherwise."""
    run = run_int8 if is_quantized(graph) else run_float
    if x.shape == graph.tensors[graph.inputs[0]].shape:
        return run(graph, x)[graph.outputs[0]].astype(np.float64)
    return np.concatenate([run(graph, frame[None])[graph.outputs[0]]
                           for frame in x]).astype(np.float64)


def _check_exit(board: str, exit_code: int, console: str) -> None:
    """A firmware that exits non-zero is an error naming what its status means."""
    if exit_code != 0:
        meaning = EXIT_MEANINGS.get(exit_code, "the firmware failed")
        raise ToolchainError(f"{board}: firmware exit status {exit_code} ({meaning}): "
                             f"{console.strip()[-200:]}")


def run_on_board(graph: Graph, board: Board | str, x: np.ndarray, work_dir: str | Path,
                 timeout_s: float = 120.0) -> DeviceRun:
    """Build ``graph`` for ``board`` in ``work_dir``, run it on ``x`` and profile it.

    ``x`` may hold several frames along the batch dimension: the firmware runs them in one
    launch (outputs in order) and the profile is that of the first frame.
    """
    board = load_board(board) if isinstance(board, str) else board
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    build = build_firmware(graph, board, work / "build")
    run_dir = work / "run"
    run_dir.mkdir(exist_ok=True)
    if board.runner == "qemu":
        from host.qemu import run_qemu, step_instructions

        write_inputs(graph, run_dir, [x])
        result = run_qemu(build.elf, run_dir, timeout_s=timeout_s)
        _check_exit(board.name, result.exit_code, result.stdout)
        output = read_outputs(graph, run_dir)[0]
        counts: list[int | None] = list(step_instructions(read_marks(run_dir)))
    elif board.runner == "mspdebug":
        from host.mspdebug import run_mspdebug, substitute_counter

        write_inputs(graph, run_dir, [x])
        inputs = {p.name: p.read_bytes() for p in sorted(run_dir.glob("input*.bin"))}
        # run_main calls the counter twice to calibrate, then invoke once before step 0 and
        # once after each step.
        sim = run_mspdebug(build.elf, inputs, max_counter_calls=len(build.steps) + 3,
                           timeout_s=timeout_s)
        _check_exit(board.name, sim.exit_code, sim.console)
        for name, content in sim.files.items():
            if not name.startswith("input"):
                (run_dir / name).write_bytes(content)
        output = read_outputs(graph, run_dir)[0]
        marks = read_marks(run_dir)
        # Counter values are call numbers here (host/mspdebug.py): marks[0] is the difference
        # of two call numbers, the rest are call numbers; all become simulated MCLK cycles.
        cycles = substitute_counter(marks[1:], sim.counter_stops)
        before = substitute_counter([marks[1] - marks[0]], sim.counter_stops)[0]
        cost = cycles[0] - before
        counts = [b - a - cost for a, b in zip(cycles, cycles[1:])]
    elif board.runner == "native":
        output = run_native(build.elf, graph, [x], run_dir)[0]
        counts = [None] * len(build.steps)
    else:
        raise UnsupportedError(f"running on board {board.name!r} (runner {board.runner!r}); "
                               "build it with `tinyprune build` and flash it yourself")
    reference = reference_outputs(graph, x)
    steps = [StepProfile(s.name, s.op, list(s.layers), s.macs, n)
             for s, n in zip(build.steps, counts)]
    return DeviceRun(build, output, reference, steps)
