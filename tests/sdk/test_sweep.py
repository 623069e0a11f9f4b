"""The sweep executor: results keyed by configuration, resume without redoing, errors kept."""

from __future__ import annotations

import json

import pytest

from sdk.errors import DataFileError, TinypruneError
from sdk.sweep import LocalBackend, ResultStore, run_sweep, trial_key

CALLS: list[dict] = []


def _square(config: dict) -> dict:
    CALLS.append(config)
    if config["x"] < 0:
        raise TinypruneError(f"x {config['x']} is negative")
    return {"y": config["x"] ** 2}


def _configs(xs):
    return [{"x": x, "name": "sq"} for x in xs]


def test_keys_follow_the_whole_configuration_not_its_order():
    assert trial_key({"a": 1, "b": 2}) == trial_key({"b": 2, "a": 1})
    assert trial_key({"a": 1, "b": 2}) != trial_key({"a": 1, "b": 3})


def test_resume_runs_only_what_is_missing(tmp_path):
    CALLS.clear()
    store = ResultStore(tmp_path / "r.jsonl")
    first = run_sweep(_configs([1, 2, -1]), _square, store, progress=False)
    assert (first.ran, first.reused, len(first.failed)) == (3, 0, 1)
    assert first.failed[0]["error"] == "x -1 is negative"
    CALLS.clear()
    again = run_sweep(_configs([1, 2, 3, -1, 3]), _square, ResultStore(tmp_path / "r.jsonl"),
                      progress=False)
    assert [c["x"] for c in CALLS] == [3]
    assert (again.ran, again.reused) == (1, 3)
    assert [r.get("result", {}).get("y") for r in again.records] == [1, 4, 9, None, 9]


def test_a_torn_last_line_runs_again_and_a_bad_middle_line_is_an_error(tmp_path):
    path = tmp_path / "r.jsonl"
    run_sweep(_configs([1, 2]), _square, ResultStore(path), progress=False)
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n" + lines[1][:10])
    CALLS.clear()
    run_sweep(_configs([1, 2]), _square, ResultStore(path), progress=False)
    assert [c["x"] for c in CALLS] == [2]
    path.write_text("{not json\n" + lines[0] + "\n")
    with pytest.raises(DataFileError, match="line 1"):
        ResultStore(path)
    path.write_text(json.dumps({"x": 1}) + "\n")
    with pytest.raises(DataFileError, match="not a trial record"):
        ResultStore(path)


def test_a_process_pool_gives_the_same_records(tmp_path):
    a = run_sweep(_configs([1, 2, 3]), _square, ResultStore(tmp_path / "a.jsonl"),
                  progress=False)
    b = run_sweep(_configs([1, 2, 3]), _square, ResultStore(tmp_path / "b.jsonl"),
                  LocalBackend(workers=2), progress=False)
    assert [r["result"] for r in a.records] == [r["result"] for r in b.records]
