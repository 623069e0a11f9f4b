"""Every float kernel, generated and compiled for the host board, against the reference executor.

Each case is a small seeded graph (random shapes within a case's pattern, random weights and
inputs) built through the real path: memory plan, model.c, engine, run_main.c, host board.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from graphs import GraphBuilder, gesture_graph, residual_net
from host.build import build_firmware
from host.run_files import read_marks, run_native
from sdk.reference import run_float

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")

TOLERANCE = 1e-5



def _case(name: str, seed: int):
    """Build the graph of one case; shapes are drawn from the case's seeded generator."""
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(5, 11)), int(rng.integers(5, 11))
    c = int(rng.integers(1, 7))
    if name.startswith("dense"):
        b = GraphBuilder(name, (2, int(rng.integers(3, 40))), seed)
    else:
        b = GraphBuilder(name, (1, h, w, c), seed)
    x = "input"
    if name == "conv_same_relu":
        y = b.conv(x, int(rng.integers(1, 11)), activation="relu")
    elif name == "conv_stride2_same_relu6":
        y = b.conv(x, 9, stride=(2, 2), activation="relu6")
    elif name == "conv_pad_0101":
        y = b.conv(x, 6, stride=(2, 2), padding=[0, 1, 0, 1])
    elif name == "conv_pad_1201_5x3":
        y = b.conv(x, 7, kernel=(5, 3), padding=[1, 2, 0, 1], activation="relu")
    elif name == "conv_1x1_no_bias":
        y = b.conv(x, 5, kernel=(1, 1), padding="valid", bias=False)
    elif name == "conv_valid_stride_2x1":
        y = b.conv(x, 4, kernel=(2, 3), stride=(2, 1), padding="valid", activation="relu6")
    elif name == "depthwise_same":
        y = b.depthwise(x, activation="relu")
    elif name == "depthwise_mult2_stride2":
        y = b.depthwise(x, multiplier=2, stride=(2, 2), padding=[0, 1, 0, 1])
    elif name == "depthwise_mult3_pad_1201":
        y = b.depthwise(x, multiplier=3, padding=[1, 2, 0, 1], activation="relu6")
    elif name == "maxpool_2x2":
        y = b.pool(x, "MaxPool2D")
    elif name == "maxpool_3x3_s2_same":
        y = b.pool(x, "MaxPool2D", kernel=(3, 3), stride=(2, 2), padding="same")
    elif name == "avgpool_3x3_s1_same":
        y = b.pool(x, "AvgPool2D", kernel=(3, 3), stride=(1, 1), padding="same")
    elif name == "avgpool_2x3_pad_0101_relu":
        y = b.pool(x, "AvgPool2D", kernel=(2, 3), stride=(2, 2), padding=[0, 1, 0, 1],
                   activation="relu")
    elif name == "dense_relu":
        y = b.dense(x, int(rng.integers(1, 13)), activation="relu")
    elif name == "dense_no_bias_relu6":
        y = b.dense(x, 6, activation="relu6", bias=False)
    elif name == "add_relu":
        y = b.add(b.conv(x, 4), b.conv(x, 4), activation="relu")
    elif name == "softmax_beta":
        y = b.softmax(b.conv(x, 5), beta=0.7)
    else:
        raise AssertionError(name)
    return b.finish(y)


CASES = ["conv_same_relu", "conv_stride2_same_relu6", "conv_pad_0101", "conv_pad_1201_5x3",
         "conv_1x1_no_bias", "conv_valid_stride_2x1", "depthwise_same", "depthwise_mult2_stride2",
         "depthwise_mult3_pad_1201", "maxpool_2x2", "maxpool_3x3_s2_same", "avgpool_3x3_s1_same",
         "avgpool_2x3_pad_0101_relu", "dense_relu", "dense_no_bias_relu6", "add_relu",
         "softmax_beta"]


def _check(graph, tmp_path, seed: int) -> None:
    build = build_firmware(graph, "host", tmp_path)
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
@pytest.mark.parametrize("name", CASES)
def test_kernel_matches_reference(name, seed, tmp_path):
    _check(_case(name, seed), tmp_path, seed)


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
