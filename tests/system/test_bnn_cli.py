"""`tinyprune train --binary` end to end: gesture data and the shared MNIST digits, small and
seeded; the written model decides on the test frames exactly as the trained network did."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_helpers import cli
from sdk.ir import load_model
from sdk.paths import SHARED_DIR
from sdk.radar.gestures import quantize_input
from sdk.reference import run_int8

pytest.importorskip("torch")


def _graph_accuracy(graph, frames: np.ndarray, labels: np.ndarray) -> float:
    q = graph.tensors[graph.inputs[0]].qparams()
    xq = quantize_input(frames[..., None], float(q.scale[0]), int(q.zero_point[0]))
    out = graph.outputs[0]
    decided = [int(np.argmax(run_int8(graph, xq[i:i + 1])[out][0])) for i in range(len(xq))]
    return float(np.mean(np.asarray(decided) == labels))


@pytest.mark.slow
def test_train_binary_gesture_model_decides_as_trained(tmp_path):
    from sdk.radar.dataset import load_splits

    assert cli("data", "synth", "--per-class", "12", "--out", "g.h5", cwd=tmp_path).returncode == 0
    proc = cli("train", "--binary", "--data", "g.h5", "--out", "b.tpm", "--epochs", "1",
               "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    graph = load_model(tmp_path / "b.tpm")
    assert [op.type for op in graph.ops][:3] == ["BinaryConv2D", "MaxPool2D", "BinaryConv2D"]
    assert graph.name == "bnn_gesture_msp430" and graph.metadata["binary"]["last"] == "int8"
    test = load_splits(tmp_path / "g.h5").test
    assert _graph_accuracy(graph, test.x, test.y) == doc["test_accuracy"]
    assert (tmp_path / "b.confusion.png").is_file() and (tmp_path / "b.training.png").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DIR / "data" / "mnist").is_dir(),
                    reason="the shared MNIST digits (../shared/data/mnist) are not here")
def test_train_binary_mnist(tmp_path):
    proc = cli("train", "--binary", "--data", "mnist", "--out", "m.tpm", "--epochs", "1",
               "--quantizer", "approx_sign", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert doc["frames"] == {"train": 7000, "val": 1000, "test": 2000}
    assert doc["test_accuracy"] > 0.6  # one epoch of a binary 784-256-256-10
    graph = load_model(tmp_path / "m.tpm")
    assert [op.type for op in graph.ops] == ["Reshape", "BinaryDense", "BinaryDense",
                                             "BinaryDense", "Softmax"]
    assert graph.tensors[graph.ops[1].inputs[0]].dtype == "int8"
