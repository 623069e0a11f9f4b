"""``tinyprune nas``: a small seeded search on gesture data under the MSP430's budget writes
its table and Pareto plot, every trained candidate fits the budget, the winner runs bit-exact
in the MSP430 simulator at the predicted cycles (within 10 %), a longer run of the same
search trains only the new candidates, and bad options are one-line errors."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil

import pytest

from cli_helpers import assert_one_line_error, cli
from sdk.radar.dataset import synthesize

needs_optuna = pytest.mark.skipif(importlib.util.find_spec("optuna") is None,
                                  reason="Optuna is not installed (the `nas` extra)")


@pytest.fixture(scope="module")
def gestures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nas")
    synthesize(folder / "g.h5", per_class=15, seed=0)  # three sessions: train, val, test
    return folder


@needs_optuna
@pytest.mark.slow  # about 40 s: five one-epoch trainings on a small synthetic set
def test_a_small_search_fits_the_budget_writes_reports_and_resumes(gestures):
    args = ("nas", "--space", "bnn", "--data", "g.h5", "--board", "msp430fr6989",
            "--objective", "accuracy", "--epochs", "1", "--frame-rate", "18", "--seed", "3",
            "--out", "n", "--json")
    on_board = shutil.which("mspdebug") is not None and shutil.which("clang-14") is not None
    first = cli(*args, "--trials", "3", "--run-winner" if on_board else "--no-run-winner",
                cwd=gestures)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    if on_board:  # the most accurate candidate, built and run in the MSP430 simulator
        winner = doc["winner"]
        assert winner["bit_exact"] and abs(winner["error"]) <= 0.10, winner
    assert (doc["ran"], doc["reused"], len(doc["rows"])) == (3, 0, 3)
    budget = doc["budget"]
    for row in doc["rows"]:
        assert row["fits"] and row["weight_bytes"] <= budget["weight_bytes"]
        assert row["activation_bytes"] <= budget["activation_bytes"] == 1_472
        assert row["predicted_count"] <= budget["count_limit"] == 888_888
        assert 0.0 <= row["accuracy"] <= 1.0
    assert any(row["pareto"] for row in doc["rows"])
    assert all(r["reasons"] for r in doc["rejected"])
    with open(gestures / "n" / "nas.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 3
    assert (gestures / "n" / "pareto.png").stat().st_size > 10_000
    assert "| architecture |" in (gestures / "n" / "nas.md").read_text()
    # The same search, longer: the seeded sampler asks for the same first candidates, which
    # come from the store; only the new ones train.
    longer = json.loads(cli(*args, "--trials", "5", "--no-run-winner", cwd=gestures).stdout)
    assert (longer["ran"], longer["reused"]) == (2, 3)
    assert [r["arch"] for r in longer["rows"]][:3] == [r["arch"] for r in doc["rows"]]


@needs_optuna
@pytest.mark.slow  # about 30 s: two one-epoch trainings, each scored under bit errors
def test_accuracy_at_a_bit_error_rate_is_the_objective(gestures):
    """With 'accuracy at ber=R' a candidate's accuracy is its mean over seeded flips of its
    packed weights (R = 0 flips nothing: the error-free accuracy, bit for bit), trained with
    the margin loss and its margin when asked."""
    def search(rate: str, out: str) -> list[dict]:
        proc = cli("nas", "--space", "bnn", "--data", "g.h5", "--board", "msp430fr6989",
                   "--objective", f"accuracy at ber={rate}", "--ber-trials", "2", "--loss",
                   "hinge", "--margin", "8", "--epochs", "1", "--seed", "5", "--trials", "2",
                   "--no-run-winner", "--out", out, "--json", cwd=gestures)
        assert proc.returncode == 0, proc.stderr
        configs = [json.loads(line)["config"]
                   for line in (gestures / out / "results.jsonl").read_text().splitlines()]
        assert all((c["loss"], c["margin"]) == ("hinge", 8.0) for c in configs)
        return json.loads(proc.stdout)["rows"]

    clean = search("0", "ber0")
    assert all(r["accuracy"] == r["clean_accuracy"] for r in clean)
    noisy = search("0.3", "ber30")
    # the same seeded candidates, trained the same way: only the flips differ
    assert [(r["arch"], r["clean_accuracy"]) for r in noisy] == \
        [(r["arch"], r["clean_accuracy"]) for r in clean]
    assert any(r["accuracy"] != r["clean_accuracy"] for r in noisy)


@pytest.mark.parametrize("opts, needles", [
    (("--loss", "mse"), ("not supported", "'mse'", "hinge")),
    (("--margin", "16"), ("--margin", "--loss hinge only")),
    (("--loss", "hinge", "--margin", "0"), ("margin", "positive")),
    (("--quantizer", "tanh"), ("--quantizer", "approx_sign")),
    (("--ber-trials", "0"), ("--ber-trials",)),
    (("--objective", "accuracy at ber=2"), ("[0, 1)",)),
    (("--objective", "latency"), ("expected 'accuracy'",)),
    (("--space", "cnn"), ("--space", "bnn")),
    (("--augment",), ("--augment", "MNIST digits")),
    (("--board", "host"), ("no memory limits",)),
    (("--frame-rate", "0"), ("--frame-rate",)),
    (("--backend", "ray", "--address", "nonsense"), ("HOST:PORT",)),
])
def test_bad_options_are_one_line_errors_and_write_nothing(gestures, opts, needles):
    proc = cli("nas", "--data", "g.h5", "--trials", "2", "--out", "bad", *opts, cwd=gestures)
    assert_one_line_error(proc, *needles)
    assert not (gestures / "bad").exists()
