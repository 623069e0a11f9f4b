"""The MSP430 self-test firmware (device/app/selftest_main.c): the protocol codec against the
test vectors and the q15 preprocessing, both run in mspdebug's simulator.

Everything the firmware checks against is generated here, never written by hand:

- ``selftest_vectors.h``: every CRC, COBS, frame, payload-error, stream and sequence vector of
  tests/vectors/protocol_vectors.json as const arrays (FRAM), with the decoded header and
  message fields each valid frame must give;
- ``selftest_sweeps.h``: simulated int16 I,Q sweeps (sdk/radar/simulator.py), depth-reduced as
  they travel in a SWEEP (30 depths, docs/protocol.md section 5);
- ``selftest_dsp_tables.h``: the preprocessing tables for that sweep length (sdk/radar/dsp_tables.py).

The firmware prints pass/fail counts on the simulator console, writes the q15 frames to the
mailbox file ``frames.bin``, records a counter reading before and after each step (read back
as ``tp_selftest_marks``) and exits with its number of failures.
``python -m host.msp430_selftest`` builds, runs and prints a summary.
"""

from __future__ import annotations

import json
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sdk.errors import ToolchainError
from sdk.paths import DEVICE_DIR, ROOT

if TYPE_CHECKING:
    from host.size_report import SizeReport

VECTORS_FILE = ROOT / "tests" / "vectors" / "protocol_vectors.json"
SELFTEST_SOURCE = DEVICE_DIR / "app" / "selftest_main.c"
N_SWEEPS = 24        # one simulated recording: 5 frames of 20 sweeps
N_DEPTHS = 30        # sweeps as a SWEEP carries them to the gesture firmware
SWEEP_SEED = 5         # a swipe whose frames reach above 0.5 (the tight part of the tolerance)
FRAME_SHAPE = (30, 20)
_PROTOCOL_SOURCES = ["tp_cobs.c", "tp_crc16.c", "tp_frame.c", "tp_messages.c", "tp_seq.c"]
_SEQ_CLASS = {"new": 0, "duplicate": 1, "stale": 2}


def _u32(v: int) -> int:
    return int(v) & 0xFFFFFFFF


def message_fields(message: dict) -> list[int]:
    """The decoded fields of a message in the order selftest_main.c lists them: integers as
    they are, lists and text (UTF-8) as their length then their elements, model_hash as its
    8 bytes, a page's data as its length then its bytes. The JSON's field order is that of
    sdk/protocol/messages.py and of the C structs."""
    out: list[int] = []
    for name, value in message.items():
        if name == "model_hash":
            out += list(bytes.fromhex(value))
        elif name == "data":
            raw = bytes.fromhex(value)
            out += [len(raw), *raw]
        elif isinstance(value, list):
            out += [len(value), *value]
        elif isinstance(value, str):
            raw = value.encode("utf-8")
            out += [len(raw), *raw]
        else:
            out.append(int(value))
    return [_u32(v) for v in out]


def load_vectors() -> dict:
    """The protocol test vectors shared with the Python and host-C codecs."""
    return json.loads(VECTORS_FILE.read_text())


class _Blob:
    """Byte strings and 32-bit values packed into two arrays; vectors refer to them by offset."""

    def __init__(self) -> None:
        self.bytes = bytearray()
        self.words: list[int] = []

    def add_bytes(self, data: bytes) -> tuple[int, int]:
        off = len(self.bytes)
        self.bytes += data
        return off, len(data)

    def add_words(self, values: list[int]) -> tuple[int, int]:
        off = len(self.words)
        self.words += [_u32(v) for v in values]
        return off, len(values)


def _rows(values: list, per_line: int, fmt: str = "{}") -> list[str]:
    if not values:
        return ["    0"]  # C99 has no empty initializer lists; the count says 0
    return ["    " + ", ".join(fmt.format(v) for v in values[i:i + per_line]) + ","
            for i in range(0, len(values), per_line)]


def _array(ctype: str, name: str, values: list, per_line: int = 12, fmt: str = "{}") -> list[str]:
    return [f"static const {ctype} {name}[] = {{", *_rows(values, per_line, fmt), "};"]


def _struct_array(ctype: str, name: str, rows: list[list[int]]) -> list[str]:
    if not rows:
        rows = [[0]]
    return [f"static const {ctype} {name}[] = {{",
            *["    {" + ", ".join(f"{v}u" for v in row) + "}," for row in rows], "};"]


def render_vectors_header(vectors: dict) -> str:
    """selftest_vectors.h for the parsed protocol_vectors.json (types in selftest_main.c)."""
    verdicts = vectors["verdicts"]
    blob = _Blob()
    crc = [[*blob.add_bytes(bytes.fromhex(v["data"])), v["crc"]] for v in vectors["crc"]]
    cobs = [[*blob.add_bytes(bytes.fromhex(v["data"])), *blob.add_bytes(bytes.fromhex(v["encoded"]))]
            for v in vectors["cobs"]]
    frames = []
    for v in vectors["frames"]:
        wire = blob.add_bytes(bytes.fromhex(v["wire"]))
        if v["verdict"] == "OK":
            f = v["frame"]
            payload = blob.add_bytes(bytes.fromhex(f["payload"]))
            fields = blob.add_words(message_fields(v["message"]))
            header = [f["type_code"], f["flags"], f["seq"]]
        else:
            payload, fields, header = (0, 0), (0, 0), [0, 0, 0]
        frames.append([*wire, verdicts[v["verdict"]], *header, *payload, *fields])
    bad = [[v["type_code"], *blob.add_bytes(bytes.fromhex(v["payload"]))]
           for v in vectors["payload_errors"]]
    streams = []
    for v in vectors["streams"]:
        wire = blob.add_bytes(bytes.fromhex(v["wire"]))
        seqs = blob.add_words(v["frames_ok"])
        counts = blob.add_words([v["counts"][name] for name in sorted(verdicts, key=verdicts.get)])
        streams.append([*wire, *seqs, counts[0]])
    seq = []
    for v in vectors["sequence"]:
        events = blob.add_words([w for (s, sync), cls in zip(v["events"], v["classes"])
                                 for w in (s, sync, _SEQ_CLASS[cls])])
        seq.append([events[0], len(v["events"]), v["gaps"], v["duplicates"]])
    lines = [f"/* Generated by host/msp430_selftest.py from {VECTORS_FILE.relative_to(ROOT)}. "
             "Do not edit. */",
             "#ifndef SELFTEST_VECTORS_H", "#define SELFTEST_VECTORS_H", "",
             f"#define ST_N_CRC {len(crc)}u", f"#define ST_N_COBS {len(cobs)}u",
             f"#define ST_N_FRAMES {len(frames)}u", f"#define ST_N_BAD_PAYLOADS {len(bad)}u",
             f"#define ST_N_STREAMS {len(streams)}u", f"#define ST_N_SEQUENCES {len(seq)}u", "",
             *_array("uint8_t", "st_bytes", list(blob.bytes), 16, "0x{:02x}"),
             *_array("uint32_t", "st_words", blob.words, 8, "{}u"),
             "/* data offset, length, crc */",
             *_struct_array("st_crc_vec", "st_crc", crc),
             "/* data offset, length, encoded offset, length */",
             *_struct_array("st_cobs_vec", "st_cobs", cobs),
             "/* wire offset, length, verdict, type, flags, seq, payload offset, length, "
             "fields offset (st_words), count */",
             *_struct_array("st_frame_vec", "st_frames", frames),
             "/* type, payload offset, length */",
             *_struct_array("st_bad_vec", "st_bad", bad),
             "/* wire offset, length, OK seqs offset (st_words), count, verdict counts offset */",
             *_struct_array("st_stream_vec", "st_streams", streams),
             "/* events offset (st_words: seq, sync, class), count, gaps, duplicates */",
             *_struct_array("st_seq_vec", "st_seq", seq),
             "", "#endif /* SELFTEST_VECTORS_H */", ""]
    return "\n".join(lines)


def selftest_sweeps(n_sweeps: int = N_SWEEPS, n_depths: int = N_DEPTHS,
                    seed: int = SWEEP_SEED) -> np.ndarray:
    """Simulated swipe sweeps as a SWEEP carries them: (n_sweeps, n_depths, 2) int16."""
    from dataclasses import replace

    from sdk.radar.preprocess import reduce_depths
    from sdk.radar.simulator import SimConfig, new_session, simulate

    cfg = replace(SimConfig(), sweeps=n_sweeps)
    rng = np.random.default_rng(seed)
    _t, sweeps = simulate("swipe", new_session(cfg, rng, 0), cfg, rng)
    reduced = reduce_depths(sweeps, n_depths)
    iq = np.stack([reduced.real, reduced.imag], axis=-1)
    return np.clip(np.rint(iq), -32768, 32767).astype(np.int16)


def render_sweeps_header(sweeps: np.ndarray) -> str:
    """selftest_sweeps.h: the sweeps as a const int16 array (FRAM)."""
    n, depths, _ = sweeps.shape
    flat = [int(v) for v in np.asarray(sweeps, np.int16).ravel()]
    return "\n".join([
        "/* Generated by host/msp430_selftest.py (simulated sweeps). Do not edit. */",
        "#ifndef SELFTEST_SWEEPS_H", "#define SELFTEST_SWEEPS_H", "",
        f"#define ST_N_SWEEPS {n}", f"#define ST_N_DEPTHS {depths}", "",
        *_array("int16_t", "st_sweeps", flat, 16), "", "#endif /* SELFTEST_SWEEPS_H */", ""])


def write_headers(out: Path, sweeps: np.ndarray, vectors: dict | None = None) -> None:
    """Write the three generated headers into ``out`` (``vectors``: the parsed vector file,
    by default tests/vectors/protocol_vectors.json)."""
    from sdk.radar.dsp_tables import write_header
    from sdk.radar.preprocess import PreprocessConfig

    out.mkdir(parents=True, exist_ok=True)
    vectors = load_vectors() if vectors is None else vectors
    (out / "selftest_vectors.h").write_text(render_vectors_header(vectors))
    (out / "selftest_sweeps.h").write_text(render_sweeps_header(sweeps))
    write_header(out / "selftest_dsp_tables.h", PreprocessConfig(), sweeps.shape[1])


@dataclass
class SelftestBuild:
    """The linked self-test firmware, the sweeps compiled into it and its size report."""

    elf: Path
    sweeps: np.ndarray
    size: SizeReport


def build_selftest(out_dir: str | Path, sweeps: np.ndarray | None = None,
                   vectors: dict | None = None) -> SelftestBuild:
    """Generate the headers and link selftest_main.c for boards/msp430fr6989."""
    from host.build import build_sources
    from host.size_report import size_report
    from sdk.boards import load_board

    sweeps = selftest_sweeps() if sweeps is None else np.asarray(sweeps, np.int16)
    out = Path(out_dir).resolve()
    write_headers(out, sweeps, vectors)
    board = load_board("msp430fr6989")
    proto, dsp = DEVICE_DIR / "protocol", DEVICE_DIR / "dsp"
    sources = [SELFTEST_SOURCE, *[proto / s for s in _PROTOCOL_SOURCES], dsp / "tp_dsp_q15.c",
               *[board.dir / s for s in board.sources]]
    elf, map_file, _cmd = build_sources(
        board, sources, out, [out, proto, dsp, DEVICE_DIR / "app"],
        ['-DTP_DSP_TABLES_HEADER="selftest_dsp_tables.h"'], name="selftest")
    return SelftestBuild(elf, sweeps, size_report(elf, map_file, board))


@dataclass
class SelftestRun:
    """One run in mspdebug: exit status (failures), console, frames and cycle counts."""

    exit_code: int
    console: str
    frames: np.ndarray           # (n_frames, 30, 20) q15 as written by the firmware
    protocol_cycles: int         # the whole protocol self-test
    push_cycles: list[int]       # each tp_dsp_q15_push, counter call overhead removed
    counter_cycles: int          # cost of one counter call (subtracted above)
    instructions: int
    cycles: int
    wall_s: float
    counter_stops: list


def run_selftest(elf: Path, n_sweeps: int = N_SWEEPS, timeout_s: float = 60.0) -> SelftestRun:
    """Run the self-test firmware (built with ``n_sweeps`` sweeps) in mspdebug and decode what
    it left behind."""
    from host.mspdebug import run_mspdebug, substitute_counter

    # Counter marks (selftest_main.c): protocol start and end, before and after every push,
    # then two back to back.
    n_marks = 2 + 2 * n_sweeps + 2
    r = run_mspdebug(elf, max_counter_calls=n_marks, timeout_s=timeout_s,
                     read={"tp_selftest_marks": 4 * n_marks})
    raw = struct.unpack(f"<{n_marks}I", r.memory["tp_selftest_marks"])
    if 0 in raw:
        raise ToolchainError(f"{elf.name}: the self-test stopped before its last counter mark "
                             f"(exit {r.exit_code}): {r.console.strip().splitlines()[-1:]}")
    marks = substitute_counter(raw, r.counter_stops)
    # The last two marks are back to back: the cost of one counter call.
    call = marks[-1] - marks[-2]
    protocol = marks[1] - marks[0] - call
    pushes = [marks[3 + 2 * i] - marks[2 + 2 * i] - call for i in range(n_sweeps)]
    data = r.files.get("frames.bin", b"")
    size = FRAME_SHAPE[0] * FRAME_SHAPE[1] * 2
    if len(data) % size:
        raise ToolchainError(f"{elf.name}: frames.bin of {len(data)} bytes is not whole frames")
    frames = np.frombuffer(data, "<i2").reshape(-1, *FRAME_SHAPE)
    return SelftestRun(r.exit_code, r.console, frames, protocol, pushes, call, r.instructions,
                       r.cycles, r.wall_s, r.counter_stops)


def host_q15_frames(sweeps: np.ndarray, work_dir: Path) -> np.ndarray:
    """The same sweeps through the host (gcc) build of tp_dsp_q15.c: (n, 30, 20) int16."""
    import subprocess

    from sdk.radar.c_preprocess import build_host_preprocessor

    exe = build_host_preprocessor(work_dir, sweeps.shape[1], q15=True)
    out = subprocess.run([str(exe)], input=np.asarray(sweeps, "<i2").tobytes(),
                         capture_output=True, check=True, timeout=60).stdout
    return np.frombuffer(out, "<i2").reshape(-1, *FRAME_SHAPE)


def numpy_frames_q15(sweeps: np.ndarray) -> np.ndarray:
    """The numpy reference preprocessing of the int16 sweeps, in q15 units (float64)."""
    from sdk.radar import preprocess as prep

    x = sweeps.astype(np.float64)
    return prep.frames(x[..., 0] + 1j * x[..., 1]).astype(np.float64) * 32768


def main() -> int:
    """Build, run and summarize (the docs/benchmarks.md "MSP430 self-test" numbers)."""
    with tempfile.TemporaryDirectory() as tmp:
        built = build_selftest(Path(tmp) / "fw")
        run = run_selftest(built.elf, len(built.sweeps))
        host = host_q15_frames(built.sweeps, Path(tmp) / "host")
    s = built.size
    ready = run.push_cycles[19:]
    print(run.console.rstrip())
    print(f"exit status {run.exit_code} (failures); {len(run.frames)} frames, "
          f"equal to the host q15 build: {np.array_equal(run.frames, host)}")
    print(f"cycles: protocol self-test {run.protocol_cycles:,}; push that completes a frame "
          f"{min(ready):,}-{max(ready):,} (mean {int(np.mean(ready)):,}); filling push "
          f"{min(run.push_cycles[:19]):,}-{max(run.push_cycles[:19]):,}; counter call "
          f"{run.counter_cycles}")
    print(f"whole run: {run.instructions:,} instructions, {run.cycles:,} cycles, "
          f"{run.wall_s:.2f} s wall")
    print(f"size: FRAM {s.flash_bytes:,} / {s.flash_limit_bytes:,} B (text {s.text_bytes:,}, "
          f"rodata {s.rodata_bytes:,}, .persistent {s.fram_data_bytes:,}, data image "
          f"{s.data_bytes:,}); SRAM {s.ram_bytes:,} / {s.ram_limit_bytes:,} B (data "
          f"{s.data_bytes:,}, bss {s.bss_bytes:,}, stack reserve {s.stack_bytes:,})")
    return 0 if run.exit_code == 0 and np.array_equal(run.frames, host) else 1


if __name__ == "__main__":
    sys.exit(main())
