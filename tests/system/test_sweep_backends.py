"""``tinyprune prune sweep --backend ray``: a real small sweep on a local Ray instance gives
the records of the local backend, trial by trial, and a SIGTERM, while Ray starts or while
its trials run, ends it like a local sweep: exit 143, no Ray process left, finished trials
kept."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from test_shutdown import TAG, _orphans_after

from cli_helpers import TINYPRUNE, cli
from host.shutdown import descendants
from sdk.radar.dataset import synthesize
from sdk.sweep import ResultStore

needs = [pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                            reason="Ray is not installed (the `cluster` extra)"),
         pytest.mark.skipif(shutil.which("qemu-system-arm") is None
                            or shutil.which("arm-none-eabi-gcc") is None,
                            reason="qemu-system-arm or arm-none-eabi-gcc not installed")]

# Timings, and the worker's folder, are where a trial ran; everything else is what it found.
WHERE = ("seconds",)


@pytest.mark.qemu
@pytest.mark.slow  # about 90 s: two trials trained, built and run in QEMU, on each backend
@needs[0]
@needs[1]
def test_a_prune_sweep_on_ray_gives_the_local_records(tmp_path):
    synthesize(tmp_path / "g.h5", per_class=15, seed=0)
    args = ("prune", "sweep", "--data", "g.h5", "--methods", "l1_filter", "--amounts", "0.5",
            "--dense-epochs", "1", "--retrain-epochs", "1", "--device-frames", "1", "--json")
    local = cli(*args, "--out", "local", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    ray = cli(*args, "--out", "ray", "--backend", "ray", "--workers", "2", cwd=tmp_path)
    assert ray.returncode == 0, ray.stderr
    assert (json.loads(ray.stdout)["ran"], json.loads(ray.stdout)["failed"]) == (2, [])

    def results(folder: str) -> dict:
        records = ResultStore(tmp_path / folder / "results.jsonl").records
        return {k: {f: v for f, v in r["result"].items() if f not in WHERE}
                for k, r in records.items()}

    assert results("ray") == results("local")
    again = cli(*args, "--out", "ray", "--backend", "ray", cwd=tmp_path)
    assert (json.loads(again.stdout)["ran"], json.loads(again.stdout)["reused"]) == (0, 2)


def _trial_running(pid: int) -> bool:
    """True once a Ray worker under ``pid`` runs a trial (Ray names it after the task)."""
    for child in descendants(pid):
        try:
            if b"guarded_trial" in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


@pytest.mark.qemu
@pytest.mark.slow  # about 60 s: two sweeps signalled, one resumed
@needs[0]
@needs[1]
@pytest.mark.parametrize("moment", ["ray starting", "trial running"])
def test_sigterm_during_a_ray_sweep_leaves_no_ray_process(tmp_path, moment):
    synthesize(tmp_path / "g.h5", per_class=15, seed=0)
    args = [*TINYPRUNE, "prune", "sweep", "--data", "g.h5", "--methods", "l1_filter",
            "--amounts", "0.5", "--dense-epochs", "1", "--retrain-epochs", "0",
            "--device-frames", "1", "--out", "sw", "--backend", "ray", "--json"]
    tag = uuid.uuid4().hex
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, TAG: tag})
    ready = ((lambda: len(descendants(proc.pid)) > 0) if moment == "ray starting"
             else (lambda: _trial_running(proc.pid)))
    while proc.poll() is None and not ready():
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()
    assert err.decode().strip().splitlines()[-1] == "error: interrupted by SIGTERM"
    assert _orphans_after(tag) == []
    store = tmp_path / "sw" / "results.jsonl"
    done = len(store.read_text().splitlines()) if store.exists() else 0
    assert done < 2
    if moment == "trial running":
        again = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["ran"] == 2 - done
