"""int8 models on the emulated Cortex-M7 (the DSP paths: SMLAD / SXTB16 register tiles): the two
MLPerf Tiny models and small graphs of the kernels with a DSP path must equal the int8
reference executor (bit-exact with TFLite Micro) exactly, with exact instruction counts."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from host.device_run import run_on_board
from int8_graphs import int8_case, random_input

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                       reason="arm-none-eabi-gcc not installed"),
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None,
                       reason="qemu-system-arm not installed"),
]


def _ad_input(graph) -> np.ndarray:
    from mlperf_tiny import ad_windows
    from sdk.quant.layer_params import quantize_float

    q = graph.tensors[graph.inputs[0]].quant
    x = quantize_float(ad_windows()[0], q.scale[0], q.zero_point[0])
    return x.astype(np.int8).reshape(1, 640)


@pytest.mark.parametrize("which", ["kws", "ad"])
def test_mlperf_model_on_qemu_is_bit_exact(which, tmp_path):
    from mlperf_tiny import AD, KWS, kws_sample, model_path
    from sdk.frontends.load import load_any

    graph = load_any(model_path(KWS if which == "kws" else AD))
    x = kws_sample() if which == "kws" else _ad_input(graph)
    run = run_on_board(graph, "qemu_m7", x, tmp_path)
    assert run.bit_exact, (run.output, run.reference)
    assert run.max_rel_diff == 0.0
    assert all(s.instructions and s.instructions > 0 for s in run.steps)
    macs = sum(s.macs for s in run.steps)
    # Far below TFLite Micro's reference kernels (KWS 16.6, AD 7.4 instructions per MAC on
    # the same emulator): the DSP paths are in use.
    assert run.instructions / macs < 4.0
    if which == "kws":
        # TFLite Micro + CMSIS-NN: 2.88 instructions per MAC, 22,812 bytes of arena.
        assert run.instructions / macs < 1.7
        assert run.build.plan.arena_bytes <= 10_000
    else:
        assert run.build.plan.arena_bytes <= 1_024


@pytest.mark.parametrize("name", ["conv_same_relu", "conv_pad_1201_5x3", "conv_1x1_c8",
                                  "conv_stride2_same_relu6", "depthwise_c8_same",
                                  "depthwise_mult2_stride2", "dense_relu", "add_relu",
                                  "conv_conv_pool", "conv_pool_relu6", "conv_conv_stride2",
                                  "conv_c32_chunked", "depthwise_in_place",
                                  "depthwise_relu6_in_place", "depthwise_5x3_in_place",
                                  "depthwise_3x5_valid", "conv_shifts_mixed",
                                  "avgpool_3x3_s1_same", "avgpool_c8_global", "add_table_1001",
                                  "add_generic_forced", "depthwise_7x1_c5",
                                  "depthwise_15x1_c3_pad", "depthwise_3x1_c20",
                                  "depthwise_4x1_c13_generic", "depthwise_8x1_c6_valid",
                                  "depthwise_kx1_in_place", "depthwise_2x1_c4_generic",
                                  "conv_1x1_c5_c7", "conv_1x1_c1_relu6",
                                  "conv_1x1_c3_relu_chain", "depthwise_s2_c13_relu",
                                  "depthwise_s2_c20_pad_odd", "depthwise_s2_5x5_m3",
                                  "depthwise_s2_m2_relu6", "conv_1x1_c6_generic",
                                  "depthwise_s2_generic", "depthwise_s2_m2_relu",
                                  "depthwise_s2_generic_relu"])
@pytest.mark.parametrize("seed", [1, 2])
def test_dsp_kernels_are_bit_exact(name, seed, tmp_path):
    graph = int8_case(name, seed)
    x = random_input(graph, seed)
    run = run_on_board(graph, "qemu_m7", x, tmp_path)
    assert run.bit_exact, f"{name}: device {run.output.ravel()[:8]} vs {run.reference.ravel()[:8]}"


def test_bench_json_reports_every_field(tmp_path):
    import json

    from typer.testing import CliRunner

    from host.cli import app
    from mlperf_tiny import AD, model_path

    result = CliRunner().invoke(app, ["bench", "--tflite", str(model_path(AD)), "--json",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout.strip().splitlines()[-1])["models"]
    for key in ("name", "macs", "instructions", "instructions_per_mac", "weights_bytes",
                "code_bytes", "arena_bytes", "flash_bytes", "ram_bytes", "bit_exact"):
        assert key in entry
    assert entry["name"] == "ad01_int8" and entry["bit_exact"] is True
    assert entry["macs"] == 264_192
    assert entry["instructions_per_mac"] == round(entry["instructions"] / entry["macs"], 3)
    assert entry["arena_bytes"] <= 1024 and entry["weights_bytes"] > 264_192


def test_gesture_cnn_int8_meets_its_targets(tmp_path):
    """The int8 gesture CNN of `tinyprune bench` (zoo model, seeded): bit-exact, at most 1.05
    instructions per MAC (X-CUBE-AI: 2.13 cycles per MAC), weights no more than X-CUBE-AI's
    67,152 bytes plus the per-channel tables (and 3 bytes of filter padding), code under 8 kB,
    arena at most 12 kB (X-CUBE-AI: 22.78 kB of RAM)."""
    pytest.importorskip("torch")
    from host.cli_bench import bench_gesture

    r = bench_gesture(tmp_path)
    assert r.bit_exact
    assert r.macs == 9_131_920
    assert r.instructions_per_mac <= 1.05
    assert r.weights_bytes <= 67_152 + 296 * 5 + 3
    assert r.code_bytes <= 8_192
    assert r.arena_bytes <= 12_000


def test_bench_profile_counts_every_instruction(tmp_path):
    """`bench --profile`: per-function counts over the whole run cover the measured inference,
    and each function's mix sums to its count."""
    import json

    from typer.testing import CliRunner

    from host.cli import app
    from mlperf_tiny import AD, model_path

    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    result = CliRunner().invoke(app, ["bench", "--tflite", str(model_path(AD)), "--json",
                                      "--profile", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout.strip().splitlines()[-1])["models"]
    profile = entry["profile"]
    total = sum(p["instructions"] for p in profile)
    assert entry["instructions"] < total < entry["instructions"] + 20_000
    assert profile[0]["function"] == "tp_s8_fc4"
    for p in profile:
        assert sum(p["mix"].values()) == p["instructions"]
    # 4 outputs x 4 inputs per 8 SMLAD: one SMLAD per two MACs of the fully-connected layers.
    assert profile[0]["mix"]["smlad"] * 2 == entry["macs"]
