"""The fuzzing targets of docs/reliability.md: libFuzzer builds of the C parsers of host bytes,
and their seed corpora made from the protocol test vectors.

Used by tests/device/test_fuzz_c.py for the short CI runs, and from the command line for the
long runs::

    python tests/fuzz_targets.py build <target> <folder>   # prints the fuzzer's path

then ``<folder>/fuzz_<target> -max_total_time=600 <folder>/corpus`` (docs/reliability.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from sdk.paths import DEVICE_DIR, ENGINE_DIR, ROOT
from sdk.protocol.frame import Frame, encode_frame
from sdk.protocol.messages import CaptureStart, GetProfile, Sweep, pack_message

PROTO_DIR = DEVICE_DIR / "protocol"
C_DIR = ROOT / "tests" / "c"
FUZZ_FLAGS = ["clang-14", "-g", "-O1", "-std=c99", "-fsanitize=fuzzer,address,undefined",
              "-fno-sanitize-recover=all", "-Wall", "-Wextra", "-Werror"]
C_TARGETS = ("protocol", "seq", "gesture_app")
# Longest input worth trying: a frame or two for the parsers, a short session for the app.
MAX_LEN = {"protocol": 2048, "seq": 512, "gesture_app": 4096}
SESSION_SWEEPS = 22  # a full 20-sweep frame and two classified sweeps


def _vectors() -> dict:
    return json.loads((ROOT / "tests" / "vectors" / "protocol_vectors.json").read_text())


def _protocol_seeds(vectors: dict) -> list[bytes]:
    """Wire streams, and type byte + payload of every valid and invalid payload."""
    seeds = [bytes.fromhex(v["wire"]) for v in vectors["frames"] + vectors["streams"]]
    seeds += [bytes((v["frame"]["type_code"],)) + bytes.fromhex(v["frame"]["payload"])
              for v in vectors["frames"] if v["verdict"] == "OK"]
    seeds += [bytes((v["type_code"],)) + bytes.fromhex(v["payload"])
              for v in vectors["payload_errors"] + vectors["records"] + vectors["record_errors"]]
    return seeds


def _header(seq: int, flags: int, type_code: int) -> bytes:
    return bytes((seq & 0xFF, seq >> 8, flags, type_code))


def _seq_seeds(vectors: dict) -> list[bytes]:
    """fuzz_seq.c's 4-byte headers: the sequence vectors as SWEEPs, the frames as sent."""
    seeds = [b"".join(_header(seq, sync, 0x23) for seq, sync in v["events"])
             for v in vectors["sequence"]]
    ok = [v["frame"] for v in vectors["frames"] if v["verdict"] == "OK"]
    seeds += [_header(f["seq"], f["flags"], f["type_code"]) * 2 for f in ok]
    seeds.append(b"".join(_header(f["seq"], f["flags"], f["type_code"]) for f in ok))
    return seeds


def _frame(type_code: int, seq: int, payload: bytes = b"", flags: int = 0) -> bytes:
    return encode_frame(Frame(type_code, seq, payload, flags))


def _session_seeds(vectors: dict) -> list[bytes]:
    """Host sessions the app answers in full, and every vector's wire bytes."""
    rng = np.random.default_rng(0)
    sweeps = [_frame(0x23, 10 + i, pack_message(Sweep(i, tuple(
        int(v) for v in rng.integers(-2000, 2000, 60)))), flags=int(i == 0))
        for i in range(SESSION_SWEEPS)]
    hello, stats, reset, stop = (_frame(t, s, flags=1 if t == 1 else 0)
                                 for t, s in ((1, 1), (2, 2), (4, 3), (6, 4)))
    profile = _frame(0x03, 40, pack_message(GetProfile(0)))
    capture = _frame(0x05, 41, pack_message(CaptureStart(3, CaptureStart.FLAG_CLASSIFY)))
    seeds = [hello, hello + hello, hello + stats + reset + stop,
             hello + b"".join(sweeps) + profile + stats,
             capture, capture + profile + stop + capture,
             b"".join(sweeps[:3]) + sweeps[1] + sweeps[5]]
    return seeds + [bytes.fromhex(v["wire"]) for v in vectors["frames"] + vectors["streams"]]


def write_seeds(target: str, folder: Path) -> int:
    """Write the target's seed corpus into ``folder``; returns the number of seeds."""
    vectors = _vectors()
    seeds = {"protocol": _protocol_seeds, "seq": _seq_seeds,
             "gesture_app": _session_seeds}[target](vectors)
    folder.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds):
        (folder / f"seed{i:03d}").write_bytes(seed)
    return len(seeds)


def _gesture_app_sources(folder: Path) -> tuple[list[Path], list[Path]]:
    """Generate a small float gesture model's app headers; (sources, include folders)."""
    from graphs import GraphBuilder
    from host.gesture_fw import build_gesture_firmware
    from sdk.codegen import c_library
    from sdk.ir.serialize import save_model

    b = GraphBuilder("fuzz_gesture", (1, 30, 20, 1), 0)
    x = b.pool(b.conv("input", 2, activation="relu"), "MaxPool2D")
    graph = b.finish(b.softmax(b.dense(b.flatten(x), 4)))
    gen_dir = folder / "gesture_fw"
    save_model(graph, folder / "fuzz_gesture.tpm")
    replay = np.random.default_rng(1).integers(-2000, 2000, (25, 30, 2)).astype(np.int16)
    build = build_gesture_firmware(graph, folder / "fuzz_gesture.tpm", "host", gen_dir,
                                   replay=replay)
    gen = build.generated
    outside = [f for f in gen.outside_files if f.suffix == ".c"]
    sources = [gen_dir / "model.c", *c_library.sources_for(gen.engine_kernels, "host"),
               *outside, *(DEVICE_DIR / "app" / n for n in
                           ("tp_gesture.c", "tp_sensor.c", "gesture_dsp.c")),
               *sorted(PROTO_DIR.glob("*.c"))]
    includes = [gen_dir, ENGINE_DIR, DEVICE_DIR / "app", PROTO_DIR, DEVICE_DIR / "dsp",
                *dict.fromkeys(p.parent for p in gen.outside_files)]
    return sources, includes


def build_c_target(target: str, folder: Path) -> subprocess.CompletedProcess:
    """Compile ``tests/c/fuzz_<target>.c`` with libFuzzer, ASan and UBSan into
    ``folder/fuzz_<target>``; returns the compiler's completed process."""
    folder.mkdir(parents=True, exist_ok=True)
    if target == "gesture_app":
        sources, includes = _gesture_app_sources(folder)
        extra = ["-DTP_PROFILE_HOOK=tp_gesture_mark"]
    else:
        sources, includes, extra = sorted(PROTO_DIR.glob("*.c")), [PROTO_DIR], []
    cmd = [*FUZZ_FLAGS, *extra, *(f"-I{d}" for d in includes),
           str(C_DIR / f"fuzz_{target}.c"), *map(str, sources), "-lm",
           "-o", str(folder / f"fuzz_{target}")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def main(argv: list[str]) -> int:
    """``build <target> <folder>``: the fuzzer and its seed corpus in ``folder/corpus``."""
    if len(argv) != 3 or argv[0] != "build" or argv[1] not in C_TARGETS:
        print(f"usage: fuzz_targets.py build {{{','.join(C_TARGETS)}}} <folder>",
              file=sys.stderr)
        return 2
    folder = Path(argv[2]).resolve()
    done = build_c_target(argv[1], folder)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    write_seeds(argv[1], folder / "corpus")
    print(folder / f"fuzz_{argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
