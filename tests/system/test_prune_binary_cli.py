"""``tinyprune prune MODEL --to-bytes N`` on a binary network: the result is at most N packed
bytes, every size reached is reported (JSON, and a plot beside the model), the pruned graph
records what was done; a target below what the floor allows is a one-line error."""

from __future__ import annotations

import json

import pytest

from cli_helpers import assert_one_line_error, cli
from sdk.ir import load_model
from sdk.radar.dataset import synthesize

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def binary_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bnn")
    synthesize(folder / "g.h5", per_class=15, seed=0)  # three sessions: train, val, test
    proc = cli("train", "--binary", "--model", "bnn_gesture_msp430", "--data", "g.h5",
               "--epochs", "1", "--out", "b.tpm", "--json", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return folder


@pytest.mark.slow  # about 20 s of CPU: two prune-and-retrain rounds
def test_prune_to_bytes_meets_the_size_and_reports_every_step(binary_model, tmp_path):
    from sdk.bnn.cost import graph_cost

    before = graph_cost(load_model(binary_model / "b.tpm")).bytes
    target = before * 6 // 10
    proc = cli("prune", str(binary_model / "b.tpm"), "--method", "flip_frequency", "--to-bytes",
               str(target), "--data", str(binary_model / "g.h5"), "--retrain-epochs", "1",
               "--rounds", "2", "--out", "p.tpm", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    graph = load_model(tmp_path / "p.tpm")
    assert graph_cost(graph).bytes == doc["bytes_after"] <= target < doc["bytes_before"] == before
    assert [s["round"] for s in doc["steps"]] == [0, 1, 2]
    assert doc["steps"][1]["bytes"] > doc["steps"][2]["bytes"]
    assert all(0.0 <= s["test_accuracy"] <= 1.0 for s in doc["steps"])
    assert (tmp_path / "p.sizes.png").stat().st_size > 0
    record = graph.metadata["pruning"]
    assert record["method"] == "flip_frequency" and record["patent"] == "US 12,387,101"
    assert graph.metadata["class_names"] == load_model(binary_model / "b.tpm").metadata[
        "class_names"]


@pytest.mark.slow
def test_prune_to_ops_in_percent_by_the_best_criterion(binary_model, tmp_path):
    from sdk.bnn.cost import graph_cost

    proc = cli("prune", str(binary_model / "b.tpm"), "--method", "best", "--to-ops", "70%",
               "--data", str(binary_model / "g.h5"), "--retrain-epochs", "1", "--rounds", "1",
               "--out", "p.tpm", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    kept = next(line for line in proc.stdout.splitlines() if line.startswith("kept: "))
    assert kept.split()[1] in ("flip_frequency", "latent_magnitude", "channel_norm")
    for method in ("flip_frequency", "latent_magnitude", "channel_norm"):
        assert method in proc.stdout  # a table row per criterion and size
    before = graph_cost(load_model(binary_model / "b.tpm")).binary_ops
    graph = load_model(tmp_path / "p.tpm")
    assert graph_cost(graph).binary_ops <= int(before * 0.7)
    assert graph.metadata["pruning"]["method"] == kept.split()[1]


def test_a_target_below_the_floor_is_one_line_and_writes_nothing(binary_model, tmp_path):
    proc = cli("prune", str(binary_model / "b.tpm"), "--method", "latent_magnitude",
               "--to-bytes", "500", "--data", str(binary_model / "g.h5"), "--retrain-epochs",
               "1", "--out", "p.tpm", cwd=tmp_path)
    assert_one_line_error(proc, "--to-bytes 500", "cannot get below", "--floor")
    assert not list(tmp_path.iterdir())
