"""Concurrent `tinyprune run` in one checkout: each invocation builds and runs in its own
work folder, so two at once never report each other's results, and nothing is left behind.
Concurrent `tinyprune build` into one folder: each builds privately and publishes its folder
whole, so the folder is always exactly one of the builds."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import TINYPRUNE, assert_one_line_error, cli
from graphs import residual_net
from host.device_run import reference_outputs
from host.run_files import run_native
from host.workdir import BUILD_MARKER
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


def _concurrent_builds(tmp_path: Path, rounds: int) -> tuple[int, int]:
    """``rounds`` times, build two different models of one name into the same default folder
    (build/net-host) at once; returns (mixed, failed): a folder is mixed unless its model.c is
    one model's and its firmware computes that same model."""
    graphs = [residual_net(seed=1), residual_net(seed=2)]
    x = np.random.default_rng(3).normal(size=(1, 12, 10, 3)).astype(np.float32)
    refs = [reference_outputs(graph, x) for graph in graphs]
    sources = []
    for side, graph in enumerate(graphs):
        (tmp_path / f"m{side}").mkdir()
        save_model(graph, tmp_path / f"m{side}" / "net.tpm")
        subprocess.run([*TINYPRUNE, "build", f"m{side}/net.tpm", "--board", "host", "--out",
                        f"alone{side}"], cwd=tmp_path, check=True, capture_output=True)
        sources.append((tmp_path / f"alone{side}" / "model.c").read_text())
    assert sources[0] != sources[1]
    folder = tmp_path / "build" / "net-host"
    (tmp_path / "run").mkdir()
    mixed = failed = 0
    for _ in range(rounds):
        procs = [subprocess.Popen([*TINYPRUNE, "build", f"m{side}/net.tpm", "--board", "host"],
                                  cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for side in range(2)]
        for proc in procs:
            proc.communicate(timeout=300)
            failed += proc.returncode != 0
        model_c = (folder / "model.c").read_text()
        whose = sources.index(model_c) if model_c in sources else None
        out = run_native(folder / "firmware.elf", graphs[0], [x], tmp_path / "run")[0]
        computes = [side for side, ref in enumerate(refs)
                    if np.allclose(out, ref, rtol=1e-5, atol=1e-6)]
        if whose is None or computes != [whose] or not (folder / BUILD_MARKER).is_file():
            mixed += 1
    return mixed, failed


def _build_leftovers(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "build").glob(".tp-*"))


def test_two_concurrent_builds_publish_one_whole_folder(tmp_path):
    assert _concurrent_builds(tmp_path, 2) == (0, 0)
    assert _build_leftovers(tmp_path) == []


@pytest.mark.slow
def test_twenty_concurrent_build_pairs_never_mix(tmp_path):
    assert _concurrent_builds(tmp_path, 20) == (0, 0)
    assert _build_leftovers(tmp_path) == []


def test_build_replaces_only_its_own_folder(tmp_path):
    """An --out folder with files `build` did not make needs --force; a failing build leaves
    the published folder as it was."""
    save_model(residual_net(seed=1), tmp_path / "net.tpm")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    refused = cli("build", "net.tpm", "--board", "host", "--out", "mine", cwd=tmp_path)
    assert_one_line_error(refused, "--out mine", "--force")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    forced = cli("build", "net.tpm", "--board", "host", "--out", "mine", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert not (tmp_path / "mine" / "notes.txt").exists()
    assert (tmp_path / "mine" / "firmware.elf").is_file()
    before = sorted(p.name for p in (tmp_path / "mine").iterdir())
    (tmp_path / "bad.tpm").write_bytes(b"not a model")
    bad = cli("build", "bad.tpm", "--board", "host", "--out", "mine", cwd=tmp_path)
    assert bad.returncode == 1
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == before
    again = cli("build", "net.tpm", "--board", "host", "--out", "mine", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert list(tmp_path.glob(".tp-*")) == []


def test_sigterm_during_build_leaves_neither_folder(tmp_path):
    """SIGTERM while `build` compiles in its private folder: exit 143, the private folder is
    removed and the published folder is not created."""
    save_model(residual_net(seed=1), tmp_path / "net.tpm")
    proc = subprocess.Popen([*TINYPRUNE, "build", "net.tpm", "--board", "host"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):  # until the private folder holds generated C
            if list((tmp_path / "build").glob(".tp-net-host-*/model.c")) or \
                    proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the build ended before it could be interrupted"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert list((tmp_path / "build").iterdir()) == []
