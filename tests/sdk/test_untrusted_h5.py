"""Untrusted HDF5 files are read in a child process with time and memory limits
(sdk/untrusted_h5.py): the libhdf5 findings of docs/reliability.md (F1: a corrupt global heap
spins for minutes; F2: a 15 kB file allocates gigabytes; F3: a corrupt file crashes libhdf5)
end in one line naming the file,
a valid file reads exactly as in-process, and no child outlives its read or a SIGTERM."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from cli_helpers import TINYPRUNE, assert_one_line_error, cli
from host.cli_stream import simulated_recording
from host.shutdown import descendants
from sdk.errors import DataFileError, UnsupportedError
from sdk.paths import ROOT
from sdk.radar.dataset import load_dataset, synthesize
from sdk.radar.recording import load_recording
from sdk.untrusted_h5 import IsolatedReadError, limits, run_isolated

FUZZ = ROOT / "tests" / "vectors" / "fuzz"
HEAP_HANG = FUZZ / "h5_global_heap_hang.h5"  # F1
CHUNK_ALLOCATION = FUZZ / "h5_chunk_allocation.h5"  # F2
SEGFAULT = FUZZ / "h5_segfault.h5"  # F3


def test_valid_files_read_as_in_process(tmp_path):
    rec_path = simulated_recording(tmp_path / "rec.h5", "swipe", seed=3)
    synthesize(tmp_path / "ds.h5", per_class=1, seed=0)
    for isolated, inline, path in ((load_recording, load_recording.__wrapped__, rec_path),
                                   (load_dataset, load_dataset.__wrapped__, tmp_path / "ds.h5")):
        got, want = isolated(path), inline(path)
        assert type(got) is type(want)
        got_recs = got.recordings if hasattr(got, "recordings") else [got]
        want_recs = want.recordings if hasattr(want, "recordings") else [want]
        assert len(got_recs) == len(want_recs)
        for a, b in zip(got_recs, want_recs):
            np.testing.assert_array_equal(a.data, b.data)
            np.testing.assert_array_equal(a.sample_times, b.sample_times)
            assert a.sensor_config == b.sensor_config and a.source == b.source
    assert descendants() == []


def _raise_data_error(path):
    raise DataFileError(f"{path}: made up")


def _raise_unsupported(path):
    raise UnsupportedError("dreams")


class _Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")
        self.lock = __import__("threading").Lock()


def _raise_unpicklable(path):
    raise _Unpicklable(path, "friends")


def _allocate(path):
    return np.ones(2**31, np.uint8)


def _sleep(path):
    time.sleep(600)


def _spin(path):
    while True:
        pass


def _crash(path):
    os.kill(os.getpid(), signal.SIGSEGV)


def test_child_outcomes_become_the_readers_errors(tmp_path, monkeypatch):
    path = tmp_path / "x.h5"
    with pytest.raises(DataFileError, match=r"x\.h5: made up$"):
        run_isolated(_raise_data_error, path)
    with pytest.raises(UnsupportedError, match=r"^not supported: dreams$"):
        run_isolated(_raise_unsupported, path)
    with pytest.raises(RuntimeError, match="_Unpicklable: .*x.h5 and friends"):
        run_isolated(_raise_unpicklable, path)
    with pytest.raises(IsolatedReadError, match=r"x\.h5: needed more than 64 MB to read: corrupt HDF5\?"):
        run_isolated(_allocate, path, memory_mb=64)
    with pytest.raises(IsolatedReadError,
                       match=r"x\.h5: took more than 1 s of CPU time to read: corrupt HDF5\?"):
        run_isolated(_spin, path, seconds=0.5)
    monkeypatch.setattr("sdk.untrusted_h5.WALL_FACTOR", 0.5)  # a child that blocks, not spins
    with pytest.raises(IsolatedReadError, match=r"x\.h5: no answer after 0\.5 s: corrupt HDF5\?"):
        run_isolated(_sleep, path, seconds=1)
    with pytest.raises(IsolatedReadError, match=r"x\.h5: the HDF5 reader died \(signal SIGSEGV\)"):
        run_isolated(_crash, path)
    assert descendants() == []


def test_limits_grow_with_the_file(tmp_path):
    small, big = tmp_path / "small", tmp_path / "big"
    small.write_bytes(b"\0" * 1000)
    big.write_bytes(b"\0" * (64 << 20))
    (s_small, m_small), (s_big, m_big) = limits(small), limits(big)
    assert s_big > s_small and m_big > m_small >= 512


def test_chunk_allocation_is_one_line(tmp_path):
    """F2: libhdf5 asks for gigabytes; the memory limit turns it into one line, for every
    command that reads recordings or datasets."""
    for args in (("data", "info", str(CHUNK_ALLOCATION)),
                 ("train", "--data", str(CHUNK_ALLOCATION), "--out", "m.tpm", "--epochs", "1")):
        proc = cli(*args, cwd=tmp_path)
        assert_one_line_error(proc, str(CHUNK_ALLOCATION), "MB to read: corrupt HDF5?")
    with pytest.raises(IsolatedReadError):
        load_recording(CHUNK_ALLOCATION)
    assert not (tmp_path / "m.tpm").exists()


def test_libhdf5_crash_is_one_line(tmp_path):
    """F3: libhdf5 dereferences a corrupt pointer (SIGSEGV in-process); the child dies, the
    CLI says so in one line."""
    proc = cli("data", "info", str(SEGFAULT), cwd=tmp_path)
    assert_one_line_error(proc, str(SEGFAULT), "HDF5 reader died (signal SIGSEGV)",
                          "corrupt HDF5?")


@pytest.mark.slow  # spins out the 10 s CPU-time limit
def test_global_heap_hang_is_one_line(tmp_path):
    """F1: libhdf5 spins uninterruptibly; the time limit turns it into one line."""
    seconds, _ = limits(HEAP_HANG)
    proc = cli("data", "info", str(HEAP_HANG), cwd=tmp_path)
    assert_one_line_error(proc, str(HEAP_HANG), f"took more than {math.ceil(seconds)} s of CPU time")


def test_sigterm_kills_the_reading_child(tmp_path):
    """SIGTERM while the child spins in libhdf5 (F1): the CLI exits 143 and the child is gone."""
    proc = subprocess.Popen([*TINYPRUNE, "data", "info", str(HEAP_HANG)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        children: list[int] = []
        for _ in range(600):  # the child appears once the CLI has imported h5py and forked
            children = descendants(proc.pid)
            if children or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert children, "the CLI never started a reading child"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    for pid in children:
        assert not _running(pid), f"reading child {pid} outlived the CLI"


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs. A killed child is a zombie until init reaps it (the CLI that
    would have reaped it is gone), so look a bounded number of times and count zombies as ended."""
    for _ in range(20):
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state == "Z":
            return False
        time.sleep(0.1)
    return True
