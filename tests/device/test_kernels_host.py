"""Every float kernel, generated and compiled for the host board, against the reference executor.

Each case is a small seeded graph (random shapes within a case's pattern, random weights and
inputs) built through the real path: memory plan, model.c, engine, run_main.c, host board.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from graphs import FLOAT_OP_CASES, GraphBuilder, float_op_case, gesture_graph, residual_net
from host.build import build_firmware
from host.run_files import read_marks, run_native
from sanitizers import SANITIZED_BOARD, sanitizer_reports
from sdk.reference import run_float

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")

TOLERANCE = 1e-5


def _check(graph, tmp_path, seed: int, board: str = "host") -> None:
    build = build_firmware(graph, board, tmp_path)
    _check_outputs(build, graph, seed)
    # run_main writes a calibration mark and one mark per step plus the one before step 0.
    assert len(read_marks(tmp_path)) == len(build.steps) + 2


def _check_outputs(build, graph, seed: int) -> None:
    rng = np.random.default_rng(seed + 1000)
    inputs = [rng.normal(size=graph.tensors[n].shape).astype(np.float32) for n in graph.inputs]
    outputs = run_native(build.elf, graph, inputs)
    ref = run_float(graph, dict(zip(graph.inputs, inputs)))
    for name, got in zip(graph.outputs, outputs):
        want = ref[name]
        rel = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30)
        assert rel <= TOLERANCE, f"{graph.name}: output {name} max rel diff {rel:.3g}"


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", FLOAT_OP_CASES)
def test_kernel_matches_reference(name, seed, tmp_path):
    _check(float_op_case(name, seed), tmp_path, seed)


@pytest.mark.parametrize("name", FLOAT_OP_CASES)
def test_kernel_sanitized(name, tmp_path, monkeypatch):
    """Every case once more on the ASan + UBSan build (tests/sanitizers.py)."""
    reports = sanitizer_reports(tmp_path, monkeypatch)
    try:
        _check(float_op_case(name, 0), tmp_path, 0, SANITIZED_BOARD)
    finally:
        assert reports() == ""


def test_residual_net_matches_reference(tmp_path):
    graph = residual_net(seed=3)
    _check(graph, tmp_path, 3)


def test_overlapping_chain_matches_reference(tmp_path):
    """Outputs written over their dying inputs (the planner's partial overlap) stay correct."""
    b = GraphBuilder("chain", (1, 11, 9, 3), seed=11)
    x = b.conv("input", 4, activation="relu")
    x = b.conv(x, 8, stride=(2, 2), padding=[0, 1, 0, 1])
    x = b.depthwise(x, multiplier=2, padding=[1, 2, 0, 1])
    x = b.pool(x, "MaxPool2D", kernel=(3, 3), stride=(1, 1), padding="same")
    x = b.pool(x, "AvgPool2D", kernel=(2, 2), stride=(1, 1), padding=[0, 1, 0, 1])
    x = b.conv(x, 3, kernel=(1, 1), padding="valid")
    graph = b.finish(x)
    build = build_firmware(graph, "host", tmp_path)
    assert sum(1 for buf in build.plan.buffers if buf.may_overlap) >= 4
    _check_outputs(build, graph, 11)


def test_gesture_cnn_matches_reference(tmp_path):
    graph = gesture_graph(seed=2)
    build = build_firmware(graph, "host", tmp_path)
    assert build.plan.arena_bytes < 2 * 30 * 20 * 32 * 4
    _check_outputs(build, graph, 2)
