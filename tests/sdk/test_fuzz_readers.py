"""Bounded coverage-guided fuzzing runs of the Python readers of untrusted files (.tflite, .tpm,
HDF5 recordings) with atheris (tests/fuzz_readers.py): any byte string gives the reader's object
or a one-line TinypruneError, never another exception and never a hang (libFuzzer -timeout);
HDF5 files are read within the time and memory limits of sdk/untrusted_h5.py, so libhdf5's
hangs and huge allocations on corrupt files (docs/reliability.md F1, F2) are one-line errors.

Seeded with small valid files the harness writes; the long runs and their results are in
docs/reliability.md.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from fuzz_readers import H5_SECONDS, READERS, write_seeds
from sdk.paths import ROOT

FUZZ_SECONDS = 30
HARNESS = ROOT / "tests" / "fuzz_readers.py"


@pytest.mark.slow  # 30 s of fuzzing per reader: CI runs it, the fast lane does not
@pytest.mark.parametrize("reader", READERS)
def test_fuzz_reader(reader, tmp_path):
    pytest.importorskip("atheris", reason="atheris not installed (pip install -e '.[dev]')")
    corpus = tmp_path / "corpus"
    assert write_seeds(reader, corpus) >= 2
    run = subprocess.run(
        [sys.executable, str(HARNESS), "fuzz", reader, f"-max_total_time={FUZZ_SECONDS}",
         "-seed=5", "-timeout=10", "-rss_limit_mb=1024", "-print_final_stats=1",
         f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=FUZZ_SECONDS + 90, cwd=tmp_path)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-4000:]
    runs = [int(line.split(":")[-1]) for line in log.splitlines()
            if line.startswith("stat::number_of_executed_units")]
    # An h5 input that hits the reader's time limit (F1 of docs/reliability.md) costs up to
    # H5_SECONDS, so the h5 floor is one input per such limit.
    floor = FUZZ_SECONDS / H5_SECONDS if reader == "h5" else 500
    assert runs and runs[0] > floor, log[-1000:]


@pytest.mark.parametrize("finding", ["h5_global_heap_hang.h5", "h5_chunk_allocation.h5",
                                     "h5_segfault.h5"])
def test_h5_findings_answer_within_the_limits(finding, tmp_path):
    """The inputs of F1 (libhdf5 spins), F2 (libhdf5 allocates gigabytes) and F3 (libhdf5
    crashes) pass the harness: one-line errors within libFuzzer's -timeout and -rss_limit_mb,
    not findings."""
    pytest.importorskip("atheris", reason="atheris not installed (pip install -e '.[dev]')")
    run = subprocess.run(
        [sys.executable, str(HARNESS), "fuzz", "h5", "-timeout=10", "-rss_limit_mb=1024",
         f"-artifact_prefix={tmp_path}/", str(ROOT / "tests" / "vectors" / "fuzz" / finding)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    log = run.stdout + run.stderr
    assert run.returncode == 0 and "Executed" in log, log[-4000:]
