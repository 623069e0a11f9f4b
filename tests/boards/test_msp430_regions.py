"""Memory regions on the MSP430FR6989 (2 kB SRAM, FRAM): board.json says where the arena, the
scratch and the weights go; the planner and model.c place each there. A model whose arena does
not fit SRAM fails the link naming RAM by default, and runs bit-exact with its arena in FRAM."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from graphs import GraphBuilder
from int8_graphs import quantize_randomly, random_input
from sdk.boards import load_board
from sdk.errors import BuildError

pytestmark = [
    pytest.mark.msp430,
    pytest.mark.skipif(shutil.which("clang-14") is None or shutil.which("ld.lld-14") is None,
                       reason="clang-14 / ld.lld-14 not installed"),
]


def _graph():
    """Two 12x12x8 int8 activations (1,152 bytes each) and a convolution's scratch: more
    than the 2 kB SRAM holds beside the stack."""
    b = GraphBuilder("fram_arena", (1, 12, 12, 8), seed=3)
    x = b.conv("input", 8, kernel=(3, 3), activation="relu")
    x = b.depthwise(x, kernel=(3, 3), stride=(2, 2))
    return quantize_randomly(b.finish(b.dense(b.flatten(x), 6)), 3)


def _board(arena: str, scratch: str, overflow: str | None = None):
    board = load_board("msp430fr6989")
    memory = {**board.extra["memory"], "arena": arena, "scratch": scratch, "overflow": overflow}
    return dataclasses.replace(board, extra={**board.extra, "memory": memory})


def test_arena_in_sram_overflows_ram(tmp_path):
    from host.build import build_firmware

    with pytest.raises(BuildError, match=r"region RAM .*overflowed by \d+ bytes"):
        build_firmware(_graph(), _board("SRAM", "SRAM"), tmp_path)


@pytest.mark.skipif(shutil.which("mspdebug") is None, reason="mspdebug not installed")
@pytest.mark.parametrize("scratch", ["FRAM", "SRAM"])
def test_arena_in_fram_runs_bit_exact(scratch, tmp_path):
    from host.device_run import run_on_board

    graph = _graph()
    x = random_input(graph, 3)
    run = run_on_board(graph, _board("FRAM", scratch), x, tmp_path)
    model_c = (tmp_path / "build" / "model.c").read_text()
    assert 'section(".persistent")' in model_c
    plan = run.build.plan
    # Scratch in another region than the arena: its own buffer (in SRAM), not in the arena.
    assert (plan.scratch_arena_bytes > 0) == (scratch == "SRAM")
    assert run.bit_exact, (run.output, run.reference)
    assert np.unique(run.reference).size > 2


def test_every_overflowed_region_is_reported_with_its_true_overshoot(tmp_path):
    """lld stops at its first overflowed section (a fraction of the truth): the build links
    once more with the regions enlarged and reports each overflowed region's real use (RAM
    beside FRAM is covered on GNU ld in tests/boards/test_build.py)."""
    from test_build import overshoots

    from host.build import build_firmware

    b = GraphBuilder("too_big", (1, 3000), seed=0)
    graph = quantize_randomly(b.finish(b.dense("input", 20)), 0)  # 60 kB of int8 weights
    with pytest.raises(BuildError) as err:
        build_firmware(graph, "msp430fr6989", tmp_path)
    found = overshoots(str(err.value))
    # The planner moves the 3 kB arena, too big for the 2 kB SRAM, to FRAM (board.json
    # memory.overflow), so FRAM alone overflows, by the weights, the arena and the code.
    assert set(found) == {"FRAM"}, str(err.value)
    fram_limit, fram_over, fram_used = found["FRAM"]
    assert fram_limit == 48000 and fram_used - fram_limit == fram_over
    weights, arena = 3000 * 20 + 4 * 20, 3000 + 20
    assert weights + arena < fram_used < weights + arena + 8192  # plus code and the runtime


def test_board_moves_an_arena_too_big_for_sram_to_fram():
    from sdk.codegen.memory_planner import MemoryLayout, plan_memory

    layout = MemoryLayout.from_json(load_board("msp430fr6989").extra["memory"])
    plan = plan_memory(_graph(), layout)
    assert plan.layout is not None and (plan.layout.arena, plan.layout.scratch) == ("FRAM", "FRAM")
    b = GraphBuilder("small", (1, 4, 4, 2), seed=3)
    small = quantize_randomly(b.finish(b.dense(b.flatten("input"), 3)), 3)
    assert plan_memory(small, layout).layout == layout  # fits the SRAM: stays there
