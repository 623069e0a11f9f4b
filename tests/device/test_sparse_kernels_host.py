"""The sparse kernels (tp_conv_chain_sparse_s8, tp_fully_connected_sparse_s8, tp_conv_sparse_f32,
tp_fully_connected_sparse_f32), portable C on the host board, against the reference executors:
int8 bit-exact, float within 1e-5 relative, on seeded random sparsity patterns with empty
rows, fully dense rows and all-zero layers, with the windows whole and split in chunks (the
planner's smaller variants). The Cortex-M7 paths run in tests/boards/test_qemu_sparse.py."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from host.build import build_firmware
from host.run_files import run_native
from int8_graphs import random_input
from sdk.codegen import generate
from sdk.codegen.memory_planner import plan_program
from sdk.reference import run_float, run_int8
from sparse_graphs import SHAPES, sparse_case

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


def check_sparse(graph, tmp_path, seed: int) -> None:
    """Build ``graph`` for the host board, run it and compare with the reference; the pruned
    layers must have run sparse kernels."""
    build = build_firmware(graph, "host", tmp_path)
    assert any("sparse" in s.kernel for s in build.steps), [s.kernel for s in build.steps]
    x = random_input(graph, seed)
    got = run_native(build.elf, graph, [x])[0]
    if graph.tensors[graph.inputs[0]].dtype == "int8":
        want = run_int8(graph, x)[graph.outputs[0]]
        assert np.array_equal(got, want), (got, want)
    else:
        want = run_float(graph, x)[graph.outputs[0]]
        assert np.max(np.abs(got - want)) <= 1e-5 * max(np.max(np.abs(want)), 1e-30)


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_kernels_match_the_reference(name, dtype, seed, tmp_path):
    check_sparse(sparse_case(name, seed, dtype), tmp_path, seed)


@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_all_zero_layer(dtype, tmp_path):
    check_sparse(sparse_case("chain", 3, dtype, zero_layer=True), tmp_path, 3)


def test_whole_windows_without_variants(tmp_path, monkeypatch):
    """The program as lowered (whole im2col windows, no chunks): the planner's variants would
    otherwise pick the chunked calls for these shapes."""
    monkeypatch.setattr(generate, "place_program",
                        lambda program, layout=None, _speed=False: (program, plan_program(program, layout)))
    check_sparse(sparse_case("chain", 4, "int8"), tmp_path, 4)
