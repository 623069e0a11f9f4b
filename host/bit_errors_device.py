"""Bit errors on the device: run a binary model whose RAM copy of the packed weights has the
flips of a seed XORed into it, beside the host reference on the same corrupted weights.

The firmware is the run app built with ``bit_errors=True`` (the clean model; its binary
weights in RAM, device/app/tp_bit_errors.c). The host draws the flips
(:func:`sdk.bnn.bit_errors.inject_weight_errors`), prints the clean and the corrupted graph's
weight tables in the device's layouts (the code generator's, so every kernel's own filter
order is covered) and sends their XOR as ``flips.bin``; the device applies it before its first
inference. Its outputs must equal the reference's on the corrupted graph bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from host.build import BuildResult, build_firmware
from host.device_run import _check_exit, reference_outputs
from host.run_files import read_outputs, run_native, write_inputs
from sdk.bnn.bit_errors import BitErrorRates, Injection, inject_weight_errors
from sdk.boards import Board, load_board
from sdk.codegen.c_model import weight_bit_tables
from sdk.codegen.generate import generate_model
from sdk.codegen.memory_planner import MemoryLayout
from sdk.errors import BuildError, UnsupportedError
from sdk.ir import Graph
from sdk.kernels.bitpack import word_bits_for_arch

MASK_FILE = "flips.bin"
RUNNERS = ("qemu", "native")


def check_board(board: Board) -> MemoryLayout | None:
    """The board's memory layout; a one-line error unless the board runs the bit-error
    firmware (QEMU or native, weights in one region)."""
    layout = MemoryLayout.from_json(board.extra["memory"]) if "memory" in board.extra else None
    if board.runner not in RUNNERS or (layout is not None and layout.overflow is not None):
        raise UnsupportedError(f"bit errors on board {board.name} (qemu_m7 and "
                               "host run them)")
    return layout


def flip_mask(build: BuildResult, corrupted: Graph) -> bytes:
    """``flips.bin`` for firmware ``build`` of the clean graph: the XOR of its weight tables
    and those the code generator prints for ``corrupted``, table by table in model.c's order
    (little-endian words)."""
    from sdk.codegen.c_library import board_arch

    board = build.board
    graph = replace(corrupted, metadata={**corrupted.metadata,
                                         "binary_word": word_bits_for_arch(board_arch(board))})
    program = generate_model(graph, layout=check_board(board)).program
    clean = weight_bit_tables(build.generated.program) if build.generated.program else []
    bad = weight_bit_tables(program) if program is not None else []
    if not clean or [t.data.shape for t in clean] != [t.data.shape for t in bad]:
        raise BuildError(f"bit errors: the weight tables of {corrupted.name} do not match the "
                         "firmware's (a different program was generated)")
    parts = []
    for a, b in zip(clean, bad):
        words = np.bitwise_xor(np.asarray(a.data), np.asarray(b.data))
        parts.append(words.astype(words.dtype.newbyteorder("<")).tobytes())
    return b"".join(parts)


@dataclass
class BitErrorRun:
    """The device's and the reference's outputs for the same flips, and the flips made."""

    output: np.ndarray
    reference: np.ndarray
    injection: Injection
    build: BuildResult

    @property
    def bit_exact(self) -> bool:
        """True when the device's outputs equal the reference's on the corrupted weights."""
        return (self.output.shape == self.reference.shape
                and bool(np.array_equal(self.output.astype(np.float64), self.reference)))


def run_with_bit_errors(graph: Graph, board: Board | str, x: np.ndarray, rates: BitErrorRates,
                        seed: int, work_dir: str | Path, timeout_s: float = 120.0
                        ) -> BitErrorRun:
    """Build ``graph`` for ``board`` with its binary weights in RAM, inject the flips of
    ``seed`` there and run frames ``x`` (int8, batch first); the reference runs the same
    corrupted graph."""
    board = load_board(board) if isinstance(board, str) else board
    check_board(board)
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    injection = inject_weight_errors(graph, rates, seed)
    build = build_firmware(graph, board, work / "build", bit_errors=True)
    run_dir = work / "run"
    run_dir.mkdir(exist_ok=True)
    (run_dir / MASK_FILE).write_bytes(flip_mask(build, injection.graph))
    if board.runner == "qemu":
        from host.qemu import run_qemu

        write_inputs(graph, run_dir, [x])
        result = run_qemu(build.elf, run_dir, timeout_s=timeout_s)
        _check_exit(board.name, result.exit_code, result.stdout)
        output = read_outputs(graph, run_dir)[0]
    else:
        output = run_native(build.elf, graph, [x], run_dir)[0]
    return BitErrorRun(output, reference_outputs(injection.graph, x), injection, build)
