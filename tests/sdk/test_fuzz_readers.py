"""Bounded coverage-guided fuzzing runs of the Python readers of untrusted files (.tflite, .tpm,
HDF5 recordings) with atheris (tests/fuzz_readers.py): any byte string gives the reader's object
or a one-line TinypruneError, never another exception and never a hang (libFuzzer -timeout).

Seeded with small valid files the harness writes; the long runs and their results are in
docs/reliability.md.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from fuzz_readers import READERS, write_seeds
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
    if reader == "h5" and ("libFuzzer: timeout" in log or "libFuzzer: out-of-memory" in log):
        # Open findings F1 and F2 (docs/reliability.md): libhdf5 spins forever reading a string
        # whose global heap is corrupt, or allocates gigabytes for a corrupt chunk (reproducers
        # in tests/vectors/fuzz). Any other h5 finding still fails here.
        pytest.xfail("known: libhdf5 hangs or exhausts memory on corrupt files "
                     "(docs/reliability.md F1, F2)")
    assert run.returncode == 0, log[-4000:]
    runs = [int(line.split(":")[-1]) for line in log.splitlines()
            if line.startswith("stat::number_of_executed_units")]
    assert runs and runs[0] > 500, log[-1000:]
