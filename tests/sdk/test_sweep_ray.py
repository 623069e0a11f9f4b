"""The Ray backend: the same records as the local backend for the same seeds, resume after a
crash without redoing finished trials, and addresses checked in one line before any work."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest

from sdk.errors import TinypruneError
from sdk.sweep import LocalBackend, ResultStore, make_backend, run_sweep
from sdk.sweep.ray_backend import check_address
from sweep_trials import crash_while_file, torch_fit

TESTS_DIR = Path(__file__).resolve().parents[1]
needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="Ray is not installed (the `cluster` extra)")


def _ray_backend():
    from sdk.sweep.ray_backend import RayBackend

    # A private local instance of 2 CPUs whose workers import this folder's trial functions.
    return RayBackend(num_cpus=2, runtime_env={"env_vars": {"PYTHONPATH": str(TESTS_DIR)}})


@needs_ray
def test_ray_gives_the_local_backends_records_for_the_same_seeds(tmp_path):
    configs = [{"seed": s, "width": w, "steps": 30} for s in (0, 1, -1) for w in (8, 64)]
    local = run_sweep(configs, torch_fit, ResultStore(tmp_path / "local.jsonl"),
                      LocalBackend(), progress=False)
    ray = run_sweep(configs, torch_fit, ResultStore(tmp_path / "ray.jsonl"), _ray_backend(),
                    progress=False)
    assert (ray.ran, len(ray.failed)) == (6, 2)
    assert [r["status"] for r in ray.records] == [r["status"] for r in local.records]
    assert [r.get("result") for r in ray.records] == [r.get("result") for r in local.records]
    assert ray.failed[0]["error"] == "seed -1 is negative"
    assert {r["result"]["threads"] for r in ray.records if r["status"] == "ok"} == {1}


@needs_ray
def test_a_crashed_ray_sweep_resumes_without_redoing_finished_trials(tmp_path):
    crash = tmp_path / "crash"
    crash.touch()
    configs = [{"x": x, "crash_file": str(crash)} for x in (1, 2, 3, 4, 5)]
    path = tmp_path / "r.jsonl"
    with pytest.raises(RuntimeError, match="trial 3 crashed"):
        run_sweep(configs, crash_while_file, ResultStore(path), _ray_backend(), progress=False)
    before = ResultStore(path).records
    assert 0 < len(before) < 5 and all(r["config"]["x"] != 3 for r in before.values())
    crash.unlink()
    again = run_sweep(configs, crash_while_file, ResultStore(path), _ray_backend(),
                      progress=False)
    assert (again.ran, again.reused) == (5 - len(before), len(before))
    assert [r["result"]["y"] for r in again.records] == [1, 4, 9, 16, 25]
    for key, record in before.items():  # the same process id: kept, not run again
        assert ResultStore(path).records[key]["result"] == record["result"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("address, needle", [
    ("nonsense", "expected HOST:PORT"), ("host:0", "expected HOST:PORT"),
    ("host:99999", "expected HOST:PORT"), (":6379", "expected HOST:PORT"),
    ("ray://head:10001", "not supported"), ("127.0.0.1:{closed}", "no Ray head answers"),
    ("no-such-host.invalid:6379", "no Ray head answers")])
def test_bad_addresses_are_one_line_errors(address, needle):
    address = address.format(closed=_closed_port())
    with pytest.raises(TinypruneError, match=needle) as err:
        check_address(address)
    assert "\n" not in str(err.value) and address in str(err.value)


def test_backend_choices_are_checked():
    with pytest.raises(TinypruneError, match="expected one of local, ray"):
        make_backend("slurm")
    with pytest.raises(TinypruneError, match="only with --backend ray"):
        make_backend("local", 2, "127.0.0.1:6379")
    assert make_backend("local", 3) == LocalBackend(3)
