"""``tinyprune nas`` on gesture data (issue 14's gesture target): a trial trains as
`tinyprune train --binary` does (the recipe the hand-designed MSP430 network was measured
with) and keeps what the gesture app reads; a tight 18 Hz MSP430 budget, which rejects most
of the space, still yields candidates; data with a time context is searched at its own
shape; standardized data is refused on the q15 board."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, cli
from sdk.radar.dataset import synthesize
from sdk.radar.preprocess import PreprocessConfig
from sdk.sweep.executor import one_torch_thread

needs_optuna = pytest.mark.skipif(importlib.util.find_spec("optuna") is None,
                                  reason="Optuna is not installed (the `nas` extra)")

# bnn_gesture_msp430's layers as a search architecture (scripts/nas_retrain.py's baseline)
HAND = {"input": [1, 30, 20], "convs": [[16, 3, 2, 1], [32, 3, 1, 1]], "dense": [64],
        "classes": 4}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nas_gesture")
    synthesize(folder / "g.h5", per_class=15, seed=0)  # three sessions: train, val, test
    synthesize(folder / "context.h5", per_class=15, seed=0,
               preprocess=PreprocessConfig(context_frames=2))
    synthesize(folder / "standardized.h5", per_class=15, seed=0,
               preprocess=PreprocessConfig(row_mean=(0.4,) * 30, row_std=(0.2,) * 30))
    return folder


def test_a_trial_trains_as_tinyprune_train_does(data):
    """The hand-designed network's layers, trained by the search's trial with approx-sign,
    are the network `tinyprune train --binary --quantizer approx_sign` trains: the same
    accuracies and the same exported weights; the model carries the preprocessing and the
    class names the gesture app reads."""
    from host.nas_trial import model_path, nas_trial, task_for
    from sdk.ir import load_model
    from sdk.radar.augment import doppler_mirror
    from sdk.train.zoo_fit import fit_zoo_model

    config = {"data": str(data / "g.h5"), "epochs": 2, "seed": 1, "board": "msp430fr6989",
              "arch": HAND, "quantizer": "approx_sign"}
    task = task_for(config["data"])
    with one_torch_thread():
        trial = nas_trial(config, str(data / "trial"))
        frames = [(x[:, 0], y) for x, y in (task.train, task.val, task.test)]
        report = fit_zoo_model("bnn_gesture_msp430", *frames, task.classes, epochs=2, seed=1,
                               patience=2, progress=False, augment=doppler_mirror,
                               schedule="cosine", lr=5e-3,
                               model_options={"last": "int8", "quantizer": "approx_sign"})
    assert (trial["accuracy"], trial["val_accuracy"]) == (report.test_accuracy,
                                                           report.val_accuracy)
    graph = load_model(model_path(str(data / "trial"), config))
    assert [t.data.tobytes() for t in graph.tensors.values() if t.data is not None] == \
        [t.data.tobytes() for t in report.graph.tensors.values() if t.data is not None]
    assert graph.metadata["class_names"] == task.classes
    assert graph.metadata["preprocess"] == task.metadata["preprocess"]


@needs_optuna
def test_a_tight_18_hz_budget_still_yields_candidates(tmp_path):
    """At 18 Hz with the gesture loop's reserve most of the space is over the MSP430's
    budget; rejected candidates are told how far over they are, so the sampler finds ones
    that fit (without it, seed 0 drew 100 candidates and none fit)."""
    from host.nas_search import run_search
    from sdk.nas.budget import board_budget, check_budget
    from sdk.nas.space import arch_graph
    from sdk.sweep import ResultStore
    from sdk.sweep.executor import make_backend

    budget = board_budget("msp430fr6989", 18.0, 370_000)
    result = run_search({}, (1, 30, 20), 4, budget, 3, 0, ResultStore(tmp_path / "r.jsonl"),
                        make_backend("local", 1), 1,
                        lambda c: {"accuracy": 0.5, "weight_bytes": 1, "binary_ops": 1},
                        progress=False)
    assert len(result.trained) == 3 and len(result.rejected) < 100
    for record in result.trained:
        assert check_budget(arch_graph(record["config"]["arch"]), budget).fits


@needs_optuna
@pytest.mark.slow  # about 20 s: one one-epoch training on a small synthetic set
def test_data_with_a_time_context_is_searched_at_its_own_shape(data):
    proc = cli("nas", "--data", "context.h5", "--board", "qemu_m7", "--trials", "1",
               "--epochs", "1", "--no-run-winner", "--out", "ctx", "--json", cwd=data)
    assert proc.returncode == 0, proc.stderr
    from sdk.ir import load_model

    [model] = (data / "ctx" / "models").glob("*.tpm")
    graph = load_model(model)
    assert list(graph.tensors[graph.inputs[0]].shape)[1:3] == [60, 20]
    assert graph.metadata["preprocess"]["context_frames"] == 2
    assert np.isfinite(json.loads(proc.stdout)["rows"][0]["accuracy"])


def test_standardized_data_is_refused_on_the_q15_board(data):
    proc = cli("nas", "--data", "standardized.h5", "--board", "msp430fr6989", "--trials", "1",
               "--out", "std", cwd=data)
    assert_one_line_error(proc, "standardized", "msp430fr6989")
    assert not (data / "std").exists()


@needs_optuna
def test_a_search_starts_from_enqueued_designs_and_resumes_without_redoing_them(tmp_path):
    """`--enqueue`: the given architectures are the first candidates asked, in order; one
    over the budget is still rejected before training (and not counted), the one that fits
    is the first trained, and a longer run of the same search reuses it from the store."""
    from host.nas_search import run_search
    from sdk.nas.budget import board_budget
    from sdk.nas.search import describe
    from sdk.sweep import ResultStore
    from sdk.sweep.executor import make_backend

    too_slow = {**HAND, "convs": [[64, 5, 1, 1], [64, 5, 1, 1]]}
    budget = board_budget("msp430fr6989", 18.0, 380_000)
    trained: list[str] = []

    def trial(config: dict) -> dict:
        trained.append(describe(config["arch"]))
        return {"accuracy": 0.5, "weight_bytes": 1, "binary_ops": 1}

    def search(trials: int):
        return run_search({}, (1, 30, 20), 4, budget, trials, 0,
                          ResultStore(tmp_path / "r.jsonl"), make_backend("local", 1), 1, trial,
                          progress=False, enqueue=[too_slow, HAND])

    first = search(2)
    assert first.rejected[0]["arch"] == describe(too_slow)
    assert "cycles" in " ".join(first.rejected[0]["reasons"])
    assert trained[0] == describe(HAND) == describe(first.trained[0]["config"]["arch"])
    assert (first.ran, len(first.trained)) == (2, 2)
    longer = search(3)
    assert (longer.ran, longer.reused) == (1, 2)
    assert trained.count(describe(HAND)) == 1 and len(trained) == 3
    assert longer.trained[0]["config"]["arch"] == HAND


def test_an_enqueued_design_outside_the_space_is_a_one_line_error(data):
    proc = cli("nas", "--data", "g.h5", "--board", "msp430fr6989", "--trials", "1",
               "--enqueue", "c16k3s2p-c20k3p-d64-h4", "--out", "enq", cwd=data)
    assert_one_line_error(proc, "--enqueue", "c20k3", "channels")
    assert not (data / "enq").exists()
