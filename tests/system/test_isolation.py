"""Concurrent `tinyprune run` in one checkout: each invocation builds and runs in its own
work folder, so two at once never report each other's results, and nothing is left behind."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import TINYPRUNE
from graphs import residual_net
from host.device_run import reference_outputs
from sdk.ir import save_model

pytestmark = [pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed"),
              pytest.mark.timeout(600)]


def _concurrent_pairs(tmp_path: Path, pairs: int) -> tuple[int, int]:
    """Run ``pairs`` pairs of `run --board host` at once, each with its own input, in one
    checkout; returns (mixed, failed) counts."""
    graph = residual_net(seed=1)
    save_model(graph, tmp_path / "net.tpm")
    rng = np.random.default_rng(7)
    mixed = failed = 0
    for pair in range(pairs):
        names, expected, procs = [], [], []
        for side in range(2):
            x = rng.normal(size=(1, 12, 10, 3)).astype(np.float32)
            name = f"x{pair}_{side}.npy"
            np.save(tmp_path / name, x)
            expected.append(reference_outputs(graph, x))
            names.append(name)
        for name in names:
            procs.append(subprocess.Popen(
                [*TINYPRUNE, "run", "net.tpm", "--board", "host", "--input", name, "--json"],
                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for proc, want, other in zip(procs, expected, expected[::-1]):
            out, err = proc.communicate(timeout=300)
            if proc.returncode != 0:
                failed += 1
                continue
            got = np.asarray(json.loads(out)["output"])
            # Float model: within 1e-5 of its own reference, and not the other input's output.
            scale = float(np.max(np.abs(want))) or 1.0
            own = float(np.max(np.abs(got - want))) / scale
            swapped = float(np.max(np.abs(got - other))) / scale
            if not (own <= 1e-5 < swapped):
                mixed += 1
    return mixed, failed


def _leftovers(tmp_path: Path) -> list[Path]:
    runs = tmp_path / "build" / "runs"
    return list(runs.iterdir()) if runs.exists() else []


def test_two_concurrent_runs_keep_their_own_results(tmp_path):
    assert _concurrent_pairs(tmp_path, 2) == (0, 0)
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
def test_twenty_concurrent_pairs_never_mix(tmp_path):
    assert _concurrent_pairs(tmp_path, 20) == (0, 0)
    assert _leftovers(tmp_path) == []


def test_a_named_work_folder_is_kept(tmp_path):
    save_model(residual_net(seed=1), tmp_path / "net.tpm")
    proc = subprocess.run([*TINYPRUNE, "run", "net.tpm", "--board", "host", "--out", "mine",
                           "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mine" / "build" / "firmware.elf").is_file()
    assert _leftovers(tmp_path) == []
