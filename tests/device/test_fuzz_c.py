"""A bounded coverage-guided fuzzing run of the C frame decoder and message unpackers.

libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer; the seed corpus comes from
the test vectors. The harness also checks round-trip properties (tests/c/fuzz_protocol.c).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from sdk.paths import DEVICE_DIR, ROOT

PROTO_DIR = DEVICE_DIR / "protocol"
FUZZ_SECONDS = 20


def _seed_corpus(directory) -> int:
    vectors = json.loads((ROOT / "tests" / "vectors" / "protocol_vectors.json").read_text())
    seeds = [bytes.fromhex(v["wire"]) for v in vectors["frames"] + vectors["streams"]]
    seeds += [bytes((v["frame"]["type_code"],)) + bytes.fromhex(v["frame"]["payload"])
              for v in vectors["frames"] if v["verdict"] == "OK"]
    seeds += [bytes((v["type_code"],)) + bytes.fromhex(v["payload"])
              for v in vectors["payload_errors"]]
    for i, seed in enumerate(seeds):
        (directory / f"seed{i:03d}").write_bytes(seed)
    return len(seeds)


def test_fuzz_frame_decoder_and_unpackers(tmp_path):
    if shutil.which("clang-14") is None:
        pytest.skip("clang-14 not installed (./setup.sh installs it)")
    exe = tmp_path / "fuzz_protocol"
    build = subprocess.run(
        ["clang-14", "-g", "-O1", "-std=c99", "-fsanitize=fuzzer,address,undefined",
         "-fno-sanitize-recover=all", "-Wall", "-Wextra", "-Werror", f"-I{PROTO_DIR}",
         str(ROOT / "tests" / "c" / "fuzz_protocol.c"), *map(str, sorted(PROTO_DIR.glob("*.c"))),
         "-o", str(exe)], capture_output=True, text=True, timeout=120)
    if build.returncode != 0 and "libclang_rt.fuzzer" in build.stderr + build.stdout:
        pytest.skip("libFuzzer runtime missing: apt-get install libclang-rt-14-dev")
    assert build.returncode == 0, build.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    assert _seed_corpus(corpus) > 50
    run = subprocess.run(
        [str(exe), f"-max_total_time={FUZZ_SECONDS}", "-seed=5", "-max_len=2048",
         "-rss_limit_mb=1024", "-print_final_stats=1", str(corpus)],
        capture_output=True, text=True, timeout=FUZZ_SECONDS + 40)
    log = run.stderr
    assert run.returncode == 0, log[-3000:]
    assert "ERROR:" not in log and "runtime error" not in log, log[-3000:]
    runs = [int(line.split(":")[-1]) for line in log.splitlines()
            if line.startswith("stat::number_of_executed_units")]
    assert runs and runs[0] > 10_000, log[-1000:]
