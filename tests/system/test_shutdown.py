"""SIGTERM, SIGINT and SIGHUP at random (seeded) moments of `tinyprune run --data`: every
child (compiler, QEMU) is gone afterwards, the private work folder is removed, and the exit
status is 128 + the signal number. Children are found by a tag in their environment, which
they inherit, so one that outlived the CLI (reparented to init) is still found."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from test_gesture_app import small_gesture_graph

from cli_helpers import TINYPRUNE
from host.shutdown import descendants
from sdk.ir.serialize import save_model
from sdk.radar.dataset import synthesize

pytestmark = [pytest.mark.qemu, pytest.mark.timeout(900),
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None
                                 or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="qemu-system-arm or arm-none-eabi-gcc missing")]
TAG = "TINYPRUNE_SHUTDOWN_TEST"


@pytest.fixture(scope="module")
def stream_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("shutdown")
    save_model(small_gesture_graph(0), d / "small.tpm")
    synthesize(d / "long.h5", per_class=3, seed=5)  # 288 sweeps: 16 s in real time
    return d


def _tagged(tag: str) -> list[int]:
    """Live processes whose environment carries ``tag`` (zombies have no environment)."""
    found = []
    needle = f"{TAG}={tag}".encode()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def _handler_installed(pid: int, sig: int) -> bool:
    """True once ``pid`` catches ``sig`` (its SigCgt mask in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(int(line.split()[1], 16) for line in status.splitlines()
                if line.startswith("SigCgt:"))
    return bool(mask >> (sig - 1) & 1)


def _orphans_after(tag: str) -> list[int]:
    # A SIGKILLed child may take a moment to be reaped: look a bounded number of times.
    for _ in range(20):
        left = _tagged(tag)
        if not left:
            return []
        time.sleep(0.1)
    return left


def _interrupt_streams(files: Path, n: int, seed: int, signals: tuple[int, ...],
                       board: str = "qemu_m7", model: str = "small.tpm"
                       ) -> tuple[list[int], list[int], list[Path]]:
    """Start ``n`` streams of ``model`` on ``board`` one after another, each signalled at a
    seeded moment after its handler is installed; returns (exit statuses, orphan pids,
    leftover work folders)."""
    rng = np.random.default_rng(seed)
    statuses: list[int] = []
    orphans: list[int] = []
    for k in range(n):
        sig = signals[k % len(signals)]
        tag = uuid.uuid4().hex
        proc = subprocess.Popen(
            [*TINYPRUNE, "run", model, "--board", board, "--data", "long.h5", "--json"],
            cwd=files, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, TAG: tag})
        while not _handler_installed(proc.pid, sig) and proc.poll() is None:
            time.sleep(0.01)
        # Moments across the build (compiler children), the emulator's start and the stream.
        time.sleep(float(rng.uniform(0.0, 8.0)))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        statuses.append(proc.returncode)
        assert proc.returncode == 128 + sig, err.decode()
        orphans += _orphans_after(tag)
    runs = files / "build" / "runs"
    return statuses, orphans, (list(runs.iterdir()) if runs.exists() else [])


def test_signals_during_a_stream_leave_nothing_behind(stream_files):
    statuses, orphans, left = _interrupt_streams(
        stream_files, 3, seed=1, signals=(signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
    assert statuses == [143, 130, 129]
    assert orphans == [] and left == []


@pytest.mark.msp430
@pytest.mark.skipif(any(shutil.which(t) is None for t in ("clang-14", "ld.lld-14", "mspdebug")),
                    reason="clang-14, ld.lld-14 or mspdebug missing")
def test_signals_during_an_msp430_stream_leave_nothing_behind(stream_files):
    """The MSP430 stream's mspdebug session (one long-lived child) goes with the command."""
    torch = pytest.importorskip("torch")
    from sdk.bnn.export import export_binary
    from sdk.bnn.models import GESTURE_INPUT, bnn_gesture_msp430

    torch.manual_seed(0)
    save_model(export_binary(bnn_gesture_msp430(), GESTURE_INPUT, "bnn"), stream_files / "bnn.tpm")
    statuses, orphans, left = _interrupt_streams(
        stream_files, 3, seed=2, signals=(signal.SIGTERM, signal.SIGINT, signal.SIGHUP),
        board="msp430fr6989", model="bnn.tpm")
    assert statuses == [143, 130, 129]
    assert orphans == [] and left == []


@pytest.mark.slow
def test_sigterm_at_random_moments_of_twenty_streams(stream_files):
    statuses, orphans, left = _interrupt_streams(stream_files, 20, seed=10,
                                                 signals=(signal.SIGTERM,))
    assert statuses == [143] * 20
    assert orphans == [] and left == []


def test_descendants_finds_a_grandchild():
    child = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])
    try:
        for _ in range(100):
            if len(descendants()) >= 2:
                break
            time.sleep(0.02)
        assert child.pid in descendants() and len(descendants()) >= 2
    finally:
        for pid in reversed(descendants()):
            os.kill(pid, signal.SIGKILL)
        child.wait()


def _sigterm_mid_sweep(args: list[str], tmp_path) -> tuple[int, dict]:
    """SIGTERM a two-trial sweep (store ``sw``) once a trial has a child on the board: exit
    143, no child left, no work folder, fewer than 2 whole records. Returns the records kept
    and the JSON of the rerun, which must succeed."""
    tag = uuid.uuid4().hex
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, TAG: tag})
    while proc.poll() is None and not descendants(proc.pid):
        time.sleep(0.05)  # the first compiler or QEMU child: a trial is on the board
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()
    assert _orphans_after(tag) == []
    runs = tmp_path / "build" / "runs"
    assert not runs.exists() or list(runs.iterdir()) == []
    store = tmp_path / "sw" / "results.jsonl"
    done = len(store.read_text().splitlines()) if store.exists() else 0
    assert done < 2
    again = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    return done, json.loads(again.stdout)


@pytest.mark.slow
def test_sigterm_during_a_prune_sweep_keeps_finished_trials(tmp_path):
    """SIGTERM while a sweep trial builds or runs: exit 143, no child left, no work folder;
    the store holds only whole records and the next run does only what is missing."""
    synthesize(tmp_path / "g.h5", per_class=15, seed=0)
    args = [*TINYPRUNE, "prune", "sweep", "--data", "g.h5", "--methods", "l1_filter",
            "--amounts", "0.5", "--dense-epochs", "1", "--retrain-epochs", "0",
            "--device-frames", "1", "--out", "sw", "--json"]
    done, doc = _sigterm_mid_sweep(args, tmp_path)
    assert doc["ran"] == 2 - done


@pytest.mark.slow
def test_sigterm_during_a_ber_sweep_keeps_finished_trials(tmp_path):
    """SIGTERM while a bit-error trial builds or runs on qemu_m7: exit 143, no child left, no
    work folder; the next run does only the trials that are missing."""
    from binary_graphs import binary_net

    synthesize(tmp_path / "g.h5", per_class=12, seed=0)
    save_model(binary_net(seed=7, input_shape=(1, 30, 20, 1)), tmp_path / "b.tpm")
    args = [*TINYPRUNE, "ber", "sweep", "b.tpm", "--data", "g.h5", "--rates", "0.01,0.05",
            "--trials", "1", "--device-frames", "1", "--out", "sw", "--json"]
    done, doc = _sigterm_mid_sweep(args, tmp_path)
    assert doc["ran"] == 2 - done and all(r["bit_exact"] for r in doc["rows"])
