"""Bounded coverage-guided fuzzing runs of the C code that reads host bytes: the frame decoder
and message unpackers (tests/c/fuzz_protocol.c), the sequence judge and command-retry filter
(tests/c/fuzz_seq.c), and the gesture app's command and sweep handling (tests/c/
fuzz_gesture_app.c).

libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer, a fixed seed and a seed corpus
made from the protocol test vectors (tests/fuzz_targets.py); each harness also checks its own
properties. The long runs and their results are in docs/reliability.md.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from fuzz_targets import C_TARGETS, MAX_LEN, build_c_target, write_seeds

FUZZ_SECONDS = 30
MIN_RUNS = {"protocol": 10_000, "seq": 10_000, "gesture_app": 1_000}


@pytest.mark.slow  # 30 s of fuzzing per target: CI runs it, the fast lane does not
@pytest.mark.parametrize("target", C_TARGETS)
def test_fuzz_c_target(target, tmp_path):
    if shutil.which("clang-14") is None:
        pytest.skip("clang-14 not installed (./setup.sh installs it)")
    build = build_c_target(target, tmp_path)
    if build.returncode != 0 and "libclang_rt.fuzzer" in build.stderr + build.stdout:
        pytest.skip("libFuzzer runtime missing: apt-get install libclang-rt-14-dev")
    assert build.returncode == 0, build.stderr
    corpus = tmp_path / "corpus"
    assert write_seeds(target, corpus) >= 10
    run = subprocess.run(
        [str(tmp_path / f"fuzz_{target}"), f"-max_total_time={FUZZ_SECONDS}", "-seed=5",
         f"-max_len={MAX_LEN[target]}", "-rss_limit_mb=1024", "-timeout=10",
         "-print_final_stats=1", f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=FUZZ_SECONDS + 60, cwd=tmp_path)
    log = run.stderr
    assert run.returncode == 0, log[-3000:]
    assert "ERROR:" not in log and "runtime error" not in log, log[-3000:]
    runs = [int(line.split(":")[-1]) for line in log.splitlines()
            if line.startswith("stat::number_of_executed_units")]
    assert runs and runs[0] > MIN_RUNS[target], log[-1000:]
