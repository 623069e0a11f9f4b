"""int8 models on the emulated Cortex-M7 (the DSP paths: SMLAD / SXTB16 register tiles): the two
MLPerf Tiny models and small graphs of the kernels with a DSP path must equal the int8
reference executor (bit-exact with TFLite Micro) exactly, with exact instruction counts."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from host.device_run import run_on_board
from test_kernels_s8_host import _case, _random_input

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
        assert run.build.plan.arena_bytes <= 24272  # TFLite Micro's minimum arena


@pytest.mark.parametrize("name", ["conv_same_relu", "conv_pad_1201_5x3", "conv_1x1_c8",
                                  "conv_stride2_same_relu6", "depthwise_c8_same",
                                  "depthwise_mult2_stride2", "dense_relu", "add_relu"])
def test_dsp_kernels_are_bit_exact(name, tmp_path):
    graph = _case(name, 1)
    x = _random_input(graph, 1)
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
