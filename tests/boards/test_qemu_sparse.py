"""The sparse kernels' Cortex-M7 paths on the emulated board (tp_s8_sparse_rows and the
pixel-pair gather for int8, tp_f32_sparse_dot8 for float) against the reference executors:
int8 bit-exact, float within 1e-5, on the seeded sparse cases of tests/sparse_graphs.py."""

from __future__ import annotations

import shutil

import pytest

from host.device_run import run_on_board
from int8_graphs import random_input
from sdk.codegen import generate
from sdk.codegen.memory_planner import plan_program
from sparse_graphs import SHAPES, sparse_case

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                       reason="arm-none-eabi-gcc not installed"),
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None,
                       reason="qemu-system-arm not installed"),
]


def _check(graph, tmp_path, seed: int) -> None:
    run = run_on_board(graph, "qemu_m7", random_input(graph, seed), tmp_path)
    assert any("sparse" in s.kernel for s in run.build.steps)
    if graph.tensors[graph.inputs[0]].dtype == "int8":
        assert run.bit_exact, (run.output, run.reference)
    else:
        assert run.max_rel_diff <= 1e-5, run.max_rel_diff


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_sparse_kernels_on_qemu_match_the_reference(name, dtype, tmp_path):
    _check(sparse_case(name, 7, dtype), tmp_path, 7)


@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_all_zero_layer_on_qemu(dtype, tmp_path):
    _check(sparse_case("chain", 8, dtype, zero_layer=True), tmp_path, 8)


def test_whole_windows_on_qemu(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "place_program",
                        lambda program, layout=None, _speed=False: (program, plan_program(program, layout)))
    _check(sparse_case("chain", 9, "int8"), tmp_path, 9)
