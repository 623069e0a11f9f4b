"""`tinyprune ber sweep` end to end on a small seeded binary network and gesture dataset:
rate 0 scores the clean model, the store resumes, the device check runs the same flips, and
`train --loss hinge` records its loss."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from binary_graphs import binary_net
from cli_helpers import cli
from sdk.compress.report import quantize_input
from sdk.ir import save_model
from sdk.radar.dataset import load_splits, synthesize
from sdk.reference import run_int8


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ber")
    synthesize(d / "g.h5", per_class=12, seed=0)
    graph = binary_net(seed=7, input_shape=(1, 30, 20, 1))
    save_model(graph, d / "b.tpm")
    return d, graph


def test_ber_sweep_scores_resumes_and_plots(files, tmp_path):
    d, graph = files
    args = ("ber", "sweep", str(d / "b.tpm"), "--data", str(d / "g.h5"), "--rates", "0,0.2,1",
            "--trials", "2", "--out", "sw", "--json")
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert doc["ran"] == 6 and doc["reused"] == 0 and not doc["failed"]
    rows = {r["rate"]: r for r in doc["rows"]}
    test = load_splits(d / "g.h5").test
    xq = quantize_input(graph, test.x[..., None].astype(np.float32))
    decided = [int(run_int8(graph, xq[i:i + 1])[graph.outputs[0]].argmax()) for i in range(len(xq))]
    clean = float(np.mean(np.asarray(decided) == test.y))
    assert rows[0.0]["mean"] == clean and rows[0.0]["std"] == 0.0 and rows[0.0]["flips"] == 0
    assert rows[1.0]["flips"] == rows[1.0]["bits"]  # every weight bit flipped
    assert rows[0.2]["trials"] == 2 and 0 < rows[0.2]["flips"] < rows[0.2]["bits"]
    for name in ("ber.csv", "ber.md", "ber.png"):
        assert (tmp_path / "sw" / name).is_file()
    again = json.loads(cli(*args, cwd=tmp_path).stdout)
    assert (again["ran"], again["reused"]) == (0, 6) and again["rows"] == doc["rows"]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_ber_sweep_device_check_on_the_host_board(files, tmp_path):
    d, _ = files
    proc = cli("ber", "sweep", str(d / "b.tpm"), "--data", str(d / "g.h5"), "--rates", "0.05",
               "--trials", "1", "--board", "host", "--device-frames", "2", "--out", "sw",
               "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["rows"][0]["bit_exact"] is True


@pytest.mark.slow
def test_train_binary_with_hinge_records_the_loss(files, tmp_path):
    pytest.importorskip("torch")
    from sdk.ir import load_model

    d, _ = files
    proc = cli("train", "--binary", "--data", str(d / "g.h5"), "--out", "h.tpm", "--epochs", "1",
               "--loss", "hinge", "--margin", "32", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    meta = load_model(tmp_path / "h.tpm").metadata["training"]
    assert meta["loss"] == {"name": "hinge", "margin": 32.0, "units": "popcount"}


def test_rates_parse_both_ends_included():
    from host.ber_report import parse_rates

    assert parse_rates("0:0.09:0.01") == [i / 100 for i in range(10)]
    assert parse_rates("0.5") == [0.5] and parse_rates("0,0.25,1") == [0.0, 0.25, 1.0]
    assert parse_rates("0.1:0.1:0.05") == [0.1]
