"""The C protocol codec (device/protocol) against the same test vectors as the Python one,
and compile checks for the three toolchains it must build warning-free with."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from sanitizers import SANITIZE
from sdk.paths import DEVICE_DIR, ROOT

PROTO_DIR = DEVICE_DIR / "protocol"
SOURCES = sorted(PROTO_DIR.glob("*.c"))
VECTORS = json.loads((ROOT / "tests" / "vectors" / "protocol_vectors.json").read_text())
WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wconversion", "-Wsign-conversion", "-pedantic"]


def _hex(data: str) -> str:
    return data or "-"


def _canonical(fields: dict) -> str:
    """Fields as the C driver prints them: ints, comma lists, text and bytes in hex."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, list):
            text = ",".join(str(v) for v in value) or "-"
        elif isinstance(value, str):
            text = (value or "-") if name in ("model_hash", "data") else \
                (value.encode("utf-8").hex() or "-")
        else:
            text = str(value)
        parts.append(f"{name}={text}")
    return " ".join(parts) if parts else "-"


@pytest.fixture(scope="module", params=["plain", "sanitized"])
def driver(request, tmp_path_factory):
    """The driver as is, and with ASan and UBSan (tests/sanitizers.py)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed: cannot build the C protocol test driver")
    exe = tmp_path_factory.mktemp("proto") / "protocol_driver"
    flags = SANITIZE if request.param == "sanitized" else []
    cmd = ["gcc", "-std=c99", "-O1", *WARNINGS[:4], *flags, f"-I{PROTO_DIR}",
           str(ROOT / "tests" / "c" / "protocol_driver.c"), *map(str, SOURCES), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return exe


def _run(driver, lines: list[str]) -> list[str]:
    proc = subprocess.run([str(driver)], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) == len(lines)
    return out


def test_c_crc_and_cobs(driver):
    out = _run(driver, [f"C {_hex(v['data'])}" for v in VECTORS["crc"]]
               + [f"B {_hex(v['data'])}" for v in VECTORS["cobs"]])
    crcs, cobs = out[:len(VECTORS["crc"])], out[len(VECTORS["crc"]):]
    assert crcs == [f"C {v['crc']}" for v in VECTORS["crc"]]
    assert cobs == [f"B {v['encoded']} {_hex(v['data'])}" for v in VECTORS["cobs"]]


def test_c_frame_vectors(driver):
    frames = VECTORS["frames"]
    out = _run(driver, [f"F {v['wire']}" for v in frames])
    for vec, got in zip(frames, out):
        code = VECTORS["verdicts"][vec["verdict"]]
        if vec["verdict"] == "OK":
            f = vec["frame"]
            expected = (f"F {code} {f['type_code']} {f['seq']} {f['flags']} "
                        f"{_hex(f['payload'])} {vec['wire']}")
        else:
            expected = f"F {code}"
        assert got == expected, vec["name"]


def test_c_message_vectors(driver):
    good = [v for v in VECTORS["frames"] if v["verdict"] == "OK"]
    bad = VECTORS["payload_errors"]
    out = _run(driver, [f"M {v['frame']['type_code']} {_hex(v['frame']['payload'])}" for v in good]
               + [f"M {v['type_code']} {_hex(v['payload'])}" for v in bad])
    for vec, got in zip(good, out):
        assert got == f"M OK {_canonical(vec['message'])} {_hex(vec['frame']['payload'])}", vec["name"]
    for vec, got in zip(bad, out[len(good):]):
        assert got == "M BAD", vec["name"]


def test_c_record_vectors(driver):
    """The INFO and STATS records the pages carry, packed and refused as in Python."""
    good = VECTORS["records"]
    bad = VECTORS["record_errors"]
    out = _run(driver, [f"R {v['type_code']} {_hex(v['payload'])}" for v in good + bad])
    for vec, got in zip(good, out):
        assert got == f"R OK {_canonical(vec['record'])} {_hex(vec['payload'])}", vec["name"]
    for vec, got in zip(bad, out[len(good):]):
        assert got == "R BAD", vec["name"]


def test_c_stream_vectors(driver):
    streams = VECTORS["streams"]
    out = _run(driver, [f"S {v['wire']}" for v in streams])
    for vec, got in zip(streams, out):
        seqs = ",".join(map(str, vec["frames_ok"])) or "-"
        counts = ",".join(str(vec["counts"][name]) for name in VECTORS["verdicts"])
        assert got == f"S {seqs} {counts}", vec["name"]


def test_c_sequence_vectors(driver):
    cases = VECTORS["sequence"]
    out = _run(driver, ["Q " + ",".join(f"{s}:{y}" for s, y in c["events"]) for c in cases])
    for case, got in zip(cases, out):
        assert got == f"Q {','.join(case['classes'])} {case['gaps']} {case['duplicates']}", case["name"]


CROSS = {
    "arm-none-eabi-gcc": ["arm-none-eabi-gcc", "-std=c99", "-Os", "-mcpu=cortex-m7", "-mthumb",
                          "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"],
    "msp430-clang": ["clang-14", "--target=msp430", "-std=c99", "-Os", "-ffreestanding"],
    "host-gcc": ["gcc", "-std=c99", "-O2"],
}


@pytest.mark.parametrize("name", sorted(CROSS))
def test_device_protocol_compiles_warning_free(name, tmp_path):
    cmd = CROSS[name]
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} not installed (./setup.sh installs it)")
    for src in SOURCES:
        proc = subprocess.run([*cmd, *WARNINGS, "-c", str(src), "-o", str(tmp_path / "x.o")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{name} {src.name}:\n{proc.stderr}"
