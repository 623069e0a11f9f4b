"""Every int8 kernel, generated and compiled for the host board (the portable C path), against
the int8 reference executor (bit-exact with TFLite Micro): outputs must be equal, not close.

Each case is a small seeded graph with random shapes, weights, inputs and quantization, built
through the real path: memory plan, model.c, engine, run_main.c, host board. The DSP path of
the same kernels runs in tests/test_qemu_s8.py.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from graphs import FLOAT_OP_CASES, GraphBuilder, float_op_case
from host.build import build_firmware
from host.run_files import run_native
from int8_graphs import boundary_graph, int8_residual_net, quantize_randomly
from sdk.codegen.kernels import conv_s8_buffer_bytes
from sdk.reference.int8_executor import run_int8

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


def _int8_only(name: str, seed: int, rng: np.random.Generator, b: GraphBuilder, h: int,
               w: int) -> tuple[GraphBuilder, str] | None:
    """The int8 cases beyond graphs.float_op_case's table (INT8_ONLY_CASES): the channel counts
    of the DSP paths, fused and row-streamed convolutions, the depthwise ring path."""
    x = "input"
    if name == "conv_1x1_c8":
        b = GraphBuilder(name, (1, h, w, 8), seed)
        y = b.conv(x, 6, kernel=(1, 1), padding="valid", activation="relu")
    elif name == "depthwise_c8_same":
        b = GraphBuilder(name, (1, h, w, 8), seed)
        y = b.depthwise(x, activation="relu")
    elif name == "avgpool_c8_global":
        b = GraphBuilder(name, (1, h, w, 8), seed)
        y = b.pool(x, "AvgPool2D", kernel=(h, w), stride=(1, 1), padding="valid")
    elif name == "conv_conv_pool":
        # Fused and row-streamed: conv -> conv -> 2x2 max pool (odd sizes floor).
        y = b.pool(b.conv(b.conv(x, 8, activation="relu"), 8, activation="relu"), "MaxPool2D")
    elif name == "conv_pool_relu6":
        # Fused conv + pool with a clamp that is neither saturation nor ReLU (generic path).
        y = b.pool(b.conv(x, 6, activation="relu6"), "MaxPool2D")
    elif name == "conv_conv_stride2":
        # Streamed pair without pool; the second conv has stride 2 and asymmetric padding.
        y = b.conv(b.conv(x, 5, activation="relu"), 7, stride=(2, 2), padding=[0, 1, 1, 1])
    elif name == "conv_c32_chunked":
        # A 288-value window: the planner splits im2col into chunks of one window row.
        b = GraphBuilder(name, (1, h, w, 32), seed)
        y = b.conv(x, 6, activation="relu")
    elif name == "depthwise_in_place":
        # Ring path in place (stride 1, same shape), 18 channels: a group of 16 and one of 2.
        z = b.conv(x, 18, kernel=(1, 1), padding="valid")
        y = b.conv(b.depthwise(z, activation="relu"), 4, kernel=(1, 1), padding="valid")
    elif name == "depthwise_relu6_in_place":
        # ReLU6 is neither saturation nor ReLU: the C path of the ring (SMLAD on the DSP).
        z = b.conv(x, 20, kernel=(1, 1), padding="valid")
        y = b.conv(b.depthwise(z, activation="relu6"), 3, kernel=(1, 1), padding="valid")
    elif name == "depthwise_5x3_in_place":
        z = b.conv(x, 8, kernel=(1, 1), padding="valid")
        y = b.conv(b.depthwise(z, kernel=(5, 3)), 3, kernel=(1, 1), padding="valid")
    elif name == "depthwise_3x5_valid":
        b = GraphBuilder(name, (1, h, w + 2, 4), seed)
        y = b.depthwise(x, kernel=(3, 5), padding="valid", activation="relu")
    elif name == "conv_shifts_mixed":
        y = b.conv(x, 6, kernel=(1, 1), padding="valid", activation="relu")
    else:
        return None
    return b, y


def _case(name: str, seed: int):
    """graphs.float_op_case's graph (the int8 variant: dense batch 1 or 2, dense_relu with at
    least 4 units) or an INT8_ONLY_CASES graph, with random TFLite-style quantization."""
    graph = quantize_randomly(float_op_case(name, seed, dense_batch=(1, 3), dense_units=(4, 13),
                                            extra=_int8_only), seed)
    if name == "conv_shifts_mixed":
        _spread_multipliers(graph, seed)
    return graph


def _spread_multipliers(graph, seed: int) -> None:
    """Weights in {-1, 0, 1}, no bias, and an output scale giving per-channel multipliers from
    about 0.2 to 2.4: shifts of both signs, so the generic requantization is taken."""
    rng = np.random.default_rng(seed)
    op = graph.ops[0]
    w = graph.tensors[op.inputs[1]]
    w.data = rng.integers(-1, 2, w.shape).astype(np.int8)
    graph.tensors[op.inputs[2]].data[:] = 0
    scale = graph.tensors[op.inputs[0]].quant.scale[0] * np.median(w.quant.scale) / 1.2
    graph.tensors[op.outputs[0]].quant.scale[:] = scale


INT8_ONLY_CASES = ["conv_1x1_c8", "depthwise_c8_same", "avgpool_c8_global", "conv_conv_pool",
                   "conv_pool_relu6", "conv_conv_stride2", "conv_c32_chunked",
                   "depthwise_in_place", "depthwise_relu6_in_place", "depthwise_5x3_in_place",
                   "depthwise_3x5_valid", "conv_shifts_mixed"]
CASES = FLOAT_OP_CASES + INT8_ONLY_CASES


def _random_input(graph, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1000)
    t = graph.tensors[graph.inputs[0]]
    if t.dtype == "float32":
        return rng.normal(size=t.shape).astype(np.float32)
    return rng.integers(-128, 128, t.shape).astype(np.int8)


def _check(graph, tmp_path, seed: int) -> None:
    build = build_firmware(graph, "host", tmp_path)
    x = _random_input(graph, seed)
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
    _check(_case(name, seed), tmp_path, seed)


def test_s8_residual_dag_is_bit_exact(tmp_path):
    _check(int8_residual_net(seed=5), tmp_path, 5)


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
