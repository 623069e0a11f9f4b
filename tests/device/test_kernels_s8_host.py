"""Every int8 kernel, generated and compiled for the host board (the portable C path), against
the int8 reference executor (bit-exact with TFLite Micro): outputs must be equal, not close.

Each case is a small seeded graph with random shapes, weights, inputs and quantization, built
through the real path: memory plan, model.c, engine, run_main.c, host board. The DSP path of
the same kernels runs in tests/boards/test_qemu_s8.py.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from graphs import FLOAT_OP_CASES, GraphBuilder
from host.build import build_firmware
from host.run_files import run_native
from int8_graphs import (
    INT8_ONLY_CASES,
    boundary_graph,
    int8_case,
    int8_residual_net,
    quantize_randomly,
    random_input,
)
from sanitizers import SANITIZED_BOARD, sanitizer_reports
from sdk.kernels.families.conv2d import conv_s8_buffer_bytes
from sdk.reference.int8_executor import run_int8

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


CASES = FLOAT_OP_CASES + INT8_ONLY_CASES


def _check(graph, tmp_path, seed: int, board: str = "host") -> None:
    build = build_firmware(graph, board, tmp_path)
    x = random_input(graph, seed)
    got = run_native(build.elf, graph, [x])[0]
    want = run_int8(graph, x)[graph.outputs[0]]
    assert got.dtype == want.dtype
    # A case whose output is constant would not test much.
    assert np.unique(want).size > 2, f"{graph.name}: degenerate reference output"
    mismatch = np.flatnonzero(got.ravel() != want.ravel())
    assert mismatch.size == 0, (f"{graph.name}: {mismatch.size} of {want.size} values differ, "
                                f"first at {mismatch[0]}: {got.ravel()[mismatch[0]]} vs "
                                f"{want.ravel()[mismatch[0]]}")


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", CASES)
def test_s8_kernel_is_bit_exact(name, seed, tmp_path):
    _check(int8_case(name, seed), tmp_path, seed)


def test_s8_residual_dag_is_bit_exact(tmp_path):
    _check(int8_residual_net(seed=5), tmp_path, 5)


@pytest.mark.parametrize("name", CASES)
def test_s8_kernel_sanitized(name, tmp_path, monkeypatch):
    """Every case once more on the ASan + UBSan build (tests/sanitizers.py)."""
    reports = sanitizer_reports(tmp_path, monkeypatch)
    try:
        _check(int8_case(name, 0), tmp_path, 0, SANITIZED_BOARD)
    finally:
        assert reports() == ""


def test_quantize_dequantize_at_the_boundary_are_exact(tmp_path):
    graph = boundary_graph(seed=2)
    build = build_firmware(graph, "host", tmp_path)
    assert [s.kernel for s in build.steps] == ["tp_quantize_f32_s8", "tp_convolve_s8",
                                               "tp_requantize_s8", "tp_dequantize_s8_f32"]
    x = np.random.default_rng(3).normal(scale=2.0, size=(1, 6, 5, 3)).astype(np.float32)
    # Values exactly halfway between two quantization steps test the rounding direction.
    x.ravel()[:6] = np.float32(0.03) * np.array([0.5, -0.5, 1.5, -2.5, 100.0, -100.0],
                                                 np.float32)
    got = run_native(build.elf, graph, [x])[0]
    want = run_int8(graph, x)["y"]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_int8_weights_bytes_count_tables(tmp_path):
    """weights_bytes = int8 weights + int32 (folded) biases + int32 multipliers + int8 shifts,
    and the 3 zero bytes after a filter whose window (here 27 values) is not a multiple of 4."""
    b = GraphBuilder("w", (1, 6, 6, 3), 0)
    graph = quantize_randomly(b.finish(b.conv("input", 5)), 0)
    build = build_firmware(graph, "host", tmp_path)
    assert build.weights_bytes == 5 * 3 * 3 * 3 + 3 + 5 * 4 + 5 * 4 + 5
    assert build.plan.scratch["conv1"][1] == conv_s8_buffer_bytes(3, 3, 3)


def test_mlperf_models_on_the_host_build_are_bit_exact(tmp_path):
    from mlperf_tiny import AD, KWS, ad_windows, kws_sample, model_path
    from sdk.frontends.load import load_any
    from sdk.quant.layer_params import quantize_float

    kws = load_any(model_path(KWS))
    ad = load_any(model_path(AD))
    q = ad.tensors[ad.inputs[0]].quant
    ad_x = quantize_float(ad_windows()[0], q.scale[0], q.zero_point[0]).astype(np.int8)
    for graph, x in ((kws, kws_sample()), (ad, ad_x.reshape(1, 640))):
        build = build_firmware(graph, "host", tmp_path / graph.name)
        got = run_native(build.elf, graph, [x])[0]
        np.testing.assert_array_equal(got, run_int8(graph, x)[graph.outputs[0]])
