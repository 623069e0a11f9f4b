"""The int8 softmax's table of exponentials (sdk/kernels/families/softmax.py,
tp_softmax_table_s8.c) against TFLite Micro and the int8 reference, on the table's edges: rows
of equal values, the int8 extremes in one row (a difference of -255), differences at and below
diff_min, tables cut short where the exponential underflows to 0; on the host board and the
MSP430 (16-bit int), and the same edges through qemu_m7's tp_softmax_s8."""

from __future__ import annotations

import numpy as np
import pytest

runtime = pytest.importorskip(
    "tflite_micro.python.tflite_micro.runtime",
    reason="the softmax is checked against the pip tflite-micro interpreter ('interop' extra)")

from host.build import build_firmware  # noqa: E402
from host.device_run import run_on_board  # noqa: E402
from host.run_files import run_native  # noqa: E402
from sdk.frontends.tflite import load_tflite  # noqa: E402
from sdk.kernels.families.softmax import exp_table  # noqa: E402
from sdk.quant import layer_params as lp  # noqa: E402
from sdk.reference.int8_executor import run_int8  # noqa: E402
from tflite_builder import TinyModel, fb  # noqa: E402
from toolchains import needs_msp430, needs_qemu  # noqa: E402

DEPTH = 10
# (input scale, beta, table entries): all 256 differences (diff_min far below -255); cut where
# the exponential underflows to 0 (0.1, 1.5) or at diff_min (0.14469251, 0.5 x 0.7).
CASES = [(0.004, 1.0, 256), (0.1, 1.0, 222), (0.14469251, 1.0, 125), (0.5, 0.7, 63),
         (1.5, 1.0, 15)]


def _model(tmp_path, scale: float, beta: float, rows: int):
    m = TinyModel()
    x = m.tensor((rows, DEPTH), scale=scale, zero_point=-3)
    y = m.tensor((rows, DEPTH), scale=1 / 256, zero_point=-128)
    opts = fb.SoftmaxOptionsT()
    opts.beta = beta
    m.op(fb.BuiltinOperator.SOFTMAX, [x], [y], fb.BuiltinOptions.SoftmaxOptions, opts)
    model = m.to_bytes([x], [y])
    path = tmp_path / "softmax.tflite"
    path.write_bytes(model)
    return load_tflite(path), model


def _edge_rows(diff_min: int, seed: int) -> np.ndarray:
    """Rows of DEPTH int8 values that reach every edge of the table."""
    rng = np.random.default_rng(seed)
    top = 127
    below = max(diff_min - 1, -255)
    rows = [np.full(DEPTH, 127), np.full(DEPTH, -128), np.full(DEPTH, 5),
            np.r_[127, np.full(DEPTH - 1, -128)],
            np.r_[np.full(DEPTH - 1, -128), 127],
            np.r_[-128, 127, -128, 127, np.arange(DEPTH - 4) * 30 - 100],
            np.r_[top, top + max(diff_min, -255), top + below, top + below, np.full(DEPTH - 4, 0)],
            np.r_[-100, -100 + 1, np.full(DEPTH - 2, -128)],
            rng.integers(-128, 128, DEPTH), rng.integers(100, 128, DEPTH)]
    return np.clip(np.array(rows), -128, 127).astype(np.int8)


def _tflm(model: bytes, x: np.ndarray) -> np.ndarray:
    interp = runtime.Interpreter.from_bytes(
        model, intrepreter_config=runtime.InterpreterConfig.kAllocationRecording)
    interp.set_input(x, 0)
    interp.invoke()
    return interp.get_output(0)


def _params(graph) -> lp.SoftmaxParams:
    op = graph.ops[0]
    return lp.softmax_params(graph.tensors[op.inputs[0]].quant, op.attrs.get("beta", 1.0))


@pytest.mark.parametrize("scale, beta, entries", CASES)
def test_table_is_cut_at_diff_min_or_where_every_later_exponential_is_zero(
        tmp_path, scale, beta, entries):
    p = _params(_model(tmp_path, scale, beta, 1)[0])
    table = exp_table(p)
    # The exponentials that can be non-zero, then the 0 every larger difference reads.
    assert table.dtype == np.int32 and table.size == entries + 1
    assert table[0] == 2**31 - 1 and table[-2] > 0 and table[-1] == 0 and np.all(table >= 0)
    assert entries <= min(256, 1 - p.diff_min)


@pytest.mark.parametrize("scale, beta, entries", CASES)
def test_table_softmax_on_the_host_is_tflm_exact_at_the_edges(tmp_path, scale, beta, entries):
    rows = _edge_rows(_params(_model(tmp_path, scale, beta, 1)[0]).diff_min, seed=3)
    graph, model = _model(tmp_path, scale, beta, len(rows))
    build = build_firmware(graph, "host", tmp_path / "build")
    assert [s.kernel for s in build.steps] == ["tp_softmax_table_s8"]
    got = run_native(build.elf, graph, [rows])[0]
    want = _tflm(model, rows)
    np.testing.assert_array_equal(run_int8(graph, rows)[graph.outputs[0]], want)
    np.testing.assert_array_equal(got, want)
    # The edges are reached: rows of equal values, and where the table is cut, -128 outputs
    # beside the maximum's.
    assert (want[0] == want[0, 0]).all()
    assert (want == -128).any() == (entries < 256)


def _edges_on(board: str, tmp_path):
    scale, beta, _ = CASES[3]
    rows = _edge_rows(_params(_model(tmp_path, scale, beta, 1)[0]).diff_min, seed=4)
    graph, model = _model(tmp_path, scale, beta, len(rows))
    run = run_on_board(graph, board, rows, tmp_path / "edges")
    np.testing.assert_array_equal(run.output, _tflm(model, rows))
    return graph, rows, run


@pytest.mark.qemu
@needs_qemu
def test_the_computed_exponentials_of_qemu_m7_are_tflm_exact_at_the_same_edges(tmp_path):
    _, _, run = _edges_on("qemu_m7", tmp_path)
    assert [s.kernel for s in run.build.steps] == ["tp_softmax_s8"]


@pytest.mark.msp430
@needs_msp430
def test_table_softmax_on_the_msp430_is_tflm_exact_and_costs_the_same_for_any_scores(tmp_path):
    graph, rows, run = _edges_on("msp430fr6989", tmp_path)
    assert [s.kernel for s in run.build.steps] == ["tp_softmax_table_s8"]
    # The same shape on other scores (every row equal, then random) takes about the same
    # count: its software 64-bit multiply carries less through products with a zero
    # exponential, and the last shift follows the sum's magnitude.
    counts = {run.steps[0].instructions}
    for k, x in enumerate([np.full_like(rows, 7), np.random.default_rng(5).integers(
            -128, 128, rows.shape).astype(np.int8)]):
        other = run_on_board(graph, "msp430fr6989", x, tmp_path / f"other{k}")
        assert other.bit_exact
        counts.add(other.steps[0].instructions)
    assert max(counts) - min(counts) <= 0.05 * max(counts), counts
