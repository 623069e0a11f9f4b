"""The msp430fr6989 board in mspdebug's simulator: console, host files, exit status, the
runtime helpers against Python, simulated cycle counts, FRAM/SRAM limits at link time."""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest

import host.mspdebug as msp
from host.build import build_sources
from sdk.boards import load_board
from sdk.errors import BuildError
from sdk.paths import DEVICE_DIR

FIRMWARE = Path(__file__).parents[1] / "firmware"

pytestmark = [
    pytest.mark.msp430,
    pytest.mark.skipif(shutil.which("clang-14") is None or shutil.which("ld.lld-14") is None,
                       reason="clang-14 / ld.lld-14 not installed"),
]
needs_mspdebug = pytest.mark.skipif(shutil.which("mspdebug") is None,
                                    reason="mspdebug not installed")

# The operands of tests/firmware/msp430_selftest.c.
S16 = [(1234, -56), (-32768, 3), (-7, 2), (32767, -1), (-300, -7)]
S32 = [(123456789, -4321), (-2147483647, 65536), (-99, 7), (70000, 70001), (2147483647, 2)]
S64 = [(1234567890123, -9876543), (-4611686018427387904, 3),
       (0x7FFFFFFFFFFFFFFF, 0x100000001), (-5, 2)]
SHIFTS = [0, 1, 5, 15, 17, 31, 33, 63]


def wrap(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def crem(a: int, b: int) -> int:
    return a - cdiv(a, b) * b


def expected_ops() -> bytes:
    out = b""
    for a, b in S16:
        ua, ub = a & 0xFFFF, b & 0xFFFF
        out += struct.pack("<4h", wrap(a * b, 16), wrap(cdiv(a, b), 16), crem(a, b),
                           wrap(ua // ub, 16))
    for i, (a, b) in enumerate(S32):
        n = SHIFTS[i] & 31
        ua, ub = a & 0xFFFFFFFF, b & 0xFFFFFFFF
        out += struct.pack("<8i", wrap(a * b, 32), wrap(cdiv(a, b), 32), crem(a, b),
                           wrap(ua // ub, 32), wrap(ua % ub, 32), wrap(ua << n, 32), a >> n,
                           wrap(ua >> n, 32))
    for i, (a, b) in enumerate(S64):
        n = SHIFTS[i + 4]
        m = (1 << 64) - 1
        ua, ub = a & m, b & m
        out += struct.pack("<8q", wrap(a * b, 64), wrap(cdiv(a, b), 64), crem(a, b),
                           wrap(ua // ub, 64), wrap(ua % ub, 64), wrap(ua << n, 64), a >> n,
                           wrap(ua >> n, 64))
    return out


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def build(out: Path, source: Path, defines: tuple[str, ...] = ()) -> Path:
    board = load_board("msp430fr6989")
    elf, _map, _cmd = build_sources(board, [source, *[board.dir / s for s in board.sources]],
                                    out, [DEVICE_DIR / "app"], list(defines))
    return elf


@pytest.fixture(scope="module")
def selftest_elf(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("msp430"), FIRMWARE / "msp430_selftest.c")


def test_mailbox_layout_matches_the_board_header():
    header = (load_board("msp430fr6989").dir / "msp430fr6989_board.h").read_text()

    def define(name: str) -> int:
        return int(re.search(rf"#define {name} (0x[0-9A-Fa-f]+|\d+)u", header).group(1), 0)

    assert define("TP_SIM_FILES_ADDR") == msp.MAILBOX_ADDR
    assert define("TP_SIM_FILES_BYTES") == msp.MAILBOX_BYTES
    assert define("TP_SIM_FILES_MAGIC") == msp.MAILBOX_MAGIC
    assert define("TP_SIM_FILES_MAX") == msp.MAILBOX_MAX_FILES
    assert define("TP_SIM_FILE_NAME") == msp.MAILBOX_NAME_BYTES
    files = {"a.bin": b"xyz", "input12.bin": bytes(range(10))}
    assert msp.unpack_mailbox(msp.pack_mailbox(files) + bytes(100)) == files


@needs_mspdebug
def test_selftest_console_files_exit_and_runtime_helpers(selftest_elf):
    data = b"123456789"
    r = msp.run_mspdebug(selftest_elf, {"input.bin": data, "serial.in": b"HAL"},
                         read={"dot_result": 4})
    assert r.exit_code == 3
    assert r.files["serial.out"] == b"IBM"  # the serial link: each byte echoed + 1
    assert r.console == "msp430 self-test\ndone\n"
    crc = crc16_ccitt_false(data)
    assert crc == 0x29B1  # the CRC-16/CCITT-FALSE check value
    assert r.files["crc.bin"] == struct.pack("<H", crc) + b"!"  # written, then appended to
    assert r.files["ops.bin"] == expected_ops() + struct.pack("<H", crc)
    va = [k * 37 - 1000 for k in range(64)]
    vb = [500 - k * 11 for k in range(64)]
    assert struct.unpack("<i", r.memory["dot_result"])[0] == sum(a * b for a, b in zip(va, vb))


@needs_mspdebug
def test_cycle_counts_are_positive_and_repeatable(selftest_elf):
    runs = [msp.run_mspdebug(selftest_elf, {"input.bin": b"abc"}, read={"dot_marks": 12})
            for _ in range(2)]
    first, second = runs
    assert first.counter_stops == second.counter_stops
    assert (first.instructions, first.cycles) == (second.instructions, second.cycles)
    assert first.cycles > first.instructions > 0
    marks = msp.substitute_counter(struct.unpack("<3I", first.memory["dot_marks"]),
                                   first.counter_stops)
    mark_cost = marks[2] - marks[1]
    dot = marks[1] - marks[0] - mark_cost
    # 64 multiply-accumulates through the hardware multiplier: tens of cycles each.
    assert 0 < mark_cost < 100
    assert 64 * 20 < dot < 64 * 200


@needs_mspdebug
def test_firmware_that_never_stops_is_killed(tmp_path):
    src = tmp_path / "spin.c"
    src.write_text('#include "tp_board.h"\nint main(void)\n{\n    volatile int x = 0;\n'
                   '    for (;;) {\n        x++;\n    }\n    return x;\n}\n')
    elf = build(tmp_path, src)
    with pytest.raises(msp.ToolchainError, match="still running in mspdebug after 1 s"):
        msp.run_mspdebug(elf, timeout_s=1.0)


def test_fram_overflow_fails_the_link_with_region_and_overshoot(tmp_path):
    src = tmp_path / "big.c"
    src.write_text('#include "tp_board.h"\n#include "msp430fr6989_board.h"\n'
                   "static TP_FRAM volatile unsigned char ring[50000];\n"
                   "int main(void)\n{\n    ring[1] = 1;\n    return ring[1];\n}\n")
    with pytest.raises(BuildError, match=r"region FRAM \(flash, limit 48000 bytes\) "
                                         r"overflowed by (\d+) bytes") as err:
        build(tmp_path, src)
    over = int(re.search(r"overflowed by (\d+)", str(err.value)).group(1))
    assert 2000 < over < 50000 - 48000 + 4000  # the array's excess plus code and runtime


def test_sram_overflow_names_ram(tmp_path):
    src = tmp_path / "bss.c"
    src.write_text('#include "tp_board.h"\nstatic volatile unsigned char buf[1800];\n'
                   "int main(void)\n{\n    buf[1] = 1;\n    return buf[1];\n}\n")
    with pytest.raises(BuildError, match=r"region RAM \(RAM, limit 2048 bytes\) overflowed"):
        build(tmp_path, src)


def test_size_report_counts_fram_data_as_flash(tmp_path):
    from host.size_report import size_report

    src = tmp_path / "ring.c"
    src.write_text('#include "tp_board.h"\n#include "msp430fr6989_board.h"\n'
                   "static TP_FRAM volatile unsigned char ring[4000];\n"
                   "int main(void)\n{\n    ring[1] = 1;\n    return ring[1];\n}\n")
    board = load_board("msp430fr6989")
    elf = build(tmp_path, src)
    report = size_report(elf, tmp_path / "firmware.map", board)
    assert report.flash_bytes > 4000
    assert report.stack_bytes == 512
    assert report.ram_bytes < 1000  # the ring is not in SRAM


def test_float_model_is_refused_with_a_message(tmp_path):
    import numpy as np

    from graphs import GraphBuilder
    from host.device_run import run_on_board
    from sdk.errors import UnsupportedError

    b = GraphBuilder("tiny", (1, 8), seed=0)
    g = b.finish(b.dense("input", 4))
    with pytest.raises(UnsupportedError, match="not supported: float models on msp430; "
                                               "quantize to int8 first"):
        run_on_board(g, "msp430fr6989", np.zeros((1, 8), np.float32), tmp_path)
