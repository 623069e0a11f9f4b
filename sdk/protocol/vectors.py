"""Generates tests/vectors/protocol_vectors.json, the test vectors of docs/protocol.md.

Run ``python -m sdk.protocol.vectors --out tests/vectors/protocol_vectors.json``. Every
corrupt frame is built for one verdict, and generation fails if the decoder disagrees, so
the file states the intent of each vector, not merely what the code happens to do.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
from pathlib import Path

from sdk.protocol.cobs import cobs_encode
from sdk.protocol.crc import crc16_ccitt_false
from sdk.protocol.frame import (
    FLAG_SYNC,
    MAX_PAYLOAD,
    MAX_RAW,
    VERSION,
    Frame,
    MsgType,
    StreamDecoder,
    Verdict,
    decode_frame,
    encode_frame,
)
from sdk.protocol.messages import (
    Ack,
    CaptureStart,
    CaptureStop,
    Error,
    GetProfile,
    GetStats,
    Hello,
    InfoPage,
    Log,
    Message,
    Nack,
    PayloadError,
    Profile,
    ResetStats,
    Result,
    StatsPage,
    Sweep,
    unpack_message,
)
from sdk.protocol.records import Info, Stats
from sdk.protocol.sequence import SeqTracker

SEED = 20261121


def message_fields(msg: Message) -> dict:
    """A message's fields as JSON values: tuples become lists, bytes become hex."""
    out = {}
    for f in dataclasses.fields(msg):
        value = getattr(msg, f.name)
        if isinstance(value, bytes):
            value = value.hex()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _raw(msg_type: int, seq: int, payload: bytes, *, flags: int = 0, version: int = VERSION,
         length: int | None = None) -> bytes:
    """A decoded frame with a correct CRC and any header, including wrong ones."""
    n = len(payload) if length is None else length
    body = bytes((version, msg_type, flags, seq & 0xFF, seq >> 8, n & 0xFF, n >> 8)) + payload
    crc = crc16_ccitt_false(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def _wire(raw: bytes) -> bytes:
    return cobs_encode(raw) + b"\x00"


QEMU_INFO = Info(protocol_version=VERSION, fw_major=0, fw_minor=1, fw_patch=0,
                 clock_hz=216_000_000, counter_unit=0, deadline_budget=12_000_000,
                 model_hash=bytes.fromhex("00a1b2c3d4e5f600"), n_classes=4, start_mm=200,
                 step_um=20690, n_depths=30, sweep_rate_mhz=18000, frame_sweeps=20,
                 flash_used=131_072, ram_used=65_536, capabilities=0b011, board="qemu_m7")


def _records() -> list[tuple[str, Info | Stats]]:
    return [("info qemu_m7", QEMU_INFO),
            ("info, empty board name",
             Info(VERSION, 255, 255, 255, 0xFFFFFFFF, 1, 0, bytes(8), 0, 0, 0, 0, 0, 0, 0, 0, 0,
                  "")),
            ("stats", Stats(*range(1, 17)))]


def _good_messages(rng: random.Random) -> list[tuple[str, int, int, Message]]:
    info = QEMU_INFO.pack()
    stats = Stats(*range(1, 17)).pack()
    sweep30 = tuple(rng.randint(-32768, 32767) for _ in range(60))
    sweep62 = tuple(rng.randint(-2000, 2000) for _ in range(124))
    return [
        ("hello with SYNC", 0, FLAG_SYNC, Hello()),
        ("hello for the third page", 10, FLAG_SYNC, Hello(offset=32)),
        ("get_stats", 1, 0, GetStats()),
        ("get_stats for the last page", 11, 0, GetStats(offset=48)),
        ("get_profile page 2", 2, 0, GetProfile(first_step=59)),
        ("reset_stats", 3, 0, ResetStats()),
        ("capture_start 100 sweeps, classify", 4, 0, CaptureStart(n_sweeps=100, flags=1)),
        ("capture_stop at seq 0xFFFF", 0xFFFF, 0, CaptureStop()),
        ("ack", 0x1234, 0, Ack(acked_seq=0xBEEF, acked_type=MsgType.CAPTURE_START)),
        ("nack busy", 9, 0, Nack(acked_seq=0x0100, acked_type=MsgType.CAPTURE_START, reason=3)),
        ("info qemu_m7, first page, with SYNC", 0, FLAG_SYNC,
         InfoPage(0, len(info), info[:16])),
        ("info qemu_m7, last page (short)", 1, FLAG_SYNC,
         InfoPage(48, len(info), info[48:])),
        ("sweep of 30 depths", 100, 0, Sweep(sweep_index=123456, iq=sweep30)),
        ("sweep of 62 depths (largest payload, two COBS blocks)", 101, 0,
         Sweep(sweep_index=0xFFFFFFFF, iq=sweep62)),
        ("sweep of zeros (COBS stuffs every byte)", 102, 0, Sweep(sweep_index=0, iq=(0,) * 60)),
        ("sweep of no depths", 103, 0, Sweep(sweep_index=7, iq=())),
        ("result, class 2, swipe event, deadline met", 500, 0,
         Result(sweep_index=42, frame_class=2, event=0, flags=0, work=1_234_567,
                scores=(-128, 5, 127, -3))),
        ("result while the window fills, deadline missed", 501, 0,
         Result(sweep_index=3, frame_class=0xFF, event=0xFF, flags=1, work=13_000_000,
                scores=(0, 0, 0, 0))),
        ("profile, 14 steps", 502, 0,
         Profile(sweep_index=42, unit=0, preprocess=27_000, inference=9_100_000,
                 total_steps=14, first_step=0,
                 steps=tuple(rng.randint(0, 2_000_000) for _ in range(14)))),
        ("profile page of 59 steps", 503, 0,
         Profile(sweep_index=1, unit=1, preprocess=1, inference=2, total_steps=120,
                 first_step=59, steps=tuple(range(1000, 1059)))),
        ("stats, second page", 504, 0, StatsPage(16, len(stats), stats[16:32])),
        ("stats, last page", 507, 0, StatsPage(48, len(stats), stats[48:])),
        ("log", 505, 0, Log(level=1, text="model 00a1b2c3 loaded, arena 41 kB")),
        ("error: model mismatch", 506, 0,
         Error(code=1, text="model hash 00a1b2c3d4e5f600 != firmware 1111111111111111")),
    ]


def _frame_vector(name: str, wire: bytes) -> dict:
    verdict, frame = decode_frame(wire[:-1])
    vec: dict[str, object] = {"name": name, "wire": wire.hex(), "verdict": verdict.name}
    if frame is not None:
        vec["frame"] = {"type": MsgType(frame.type).name, "type_code": frame.type,
                        "seq": frame.seq, "flags": frame.flags, "payload": frame.payload.hex()}
    return vec


def _corrupt_frames(rng: random.Random) -> list[tuple[str, bytes, Verdict]]:
    good_payload = Sweep(9, tuple(rng.randint(-100, 100) for _ in range(20))).pack()
    good = _raw(MsgType.SWEEP, 77, good_payload)
    flipped = bytearray(good)
    flipped[20] ^= 0x04
    good_wire = _wire(good)
    return [
        ("bad CRC (one payload bit flipped)", _wire(bytes(flipped)), Verdict.CRC),
        ("bad CRC (CRC bytes swapped)", _wire(good[:-2] + good[-1:] + good[-2:-1]), Verdict.CRC),
        ("truncated: delimiter inside a COBS block", good_wire[:30] + b"\x00", Verdict.COBS),
        ("truncated: last 3 bytes of the frame lost",
         _wire(good[:-3]), Verdict.CRC),
        ("truncated below header and CRC", _wire(good[:8]), Verdict.SHORT),
        ("a single COBS byte decoding to nothing", b"\x01\x00", Verdict.SHORT),
        ("bad COBS: code byte points past the delimiter", bytes.fromhex("0511223300"),
         Verdict.COBS),
        ("oversize: 300 non-zero bytes without a delimiter", b"\x55" * 300 + b"\x00",
         Verdict.OVERSIZE),
        ("oversize: valid COBS of 266 decoded bytes", _wire(bytes(range(1, 256)) + bytes(11)),
         Verdict.OVERSIZE),
        ("oversize length field (300) with a valid CRC",
         _wire(_raw(MsgType.SWEEP, 78, good_payload, length=300)), Verdict.LENGTH),
        ("length field one more than the payload",
         _wire(_raw(MsgType.SWEEP, 79, good_payload, length=len(good_payload) + 1)),
         Verdict.LENGTH),
        ("unknown type 0x7F", _wire(_raw(0x7F, 80, b"abc")), Verdict.TYPE),
        ("unknown type 0x00", _wire(_raw(0x00, 81, b"")), Verdict.TYPE),
        ("wrong version 1 (before paged records)", _wire(_raw(MsgType.HELLO, 82, b"\x00",
                                                               version=1)), Verdict.VERSION),
        ("wrong version 0 with a bad length too (version is checked first)",
         _wire(_raw(MsgType.HELLO, 83, b"", version=0, length=5)), Verdict.VERSION),
    ]


def _payload_errors() -> list[tuple[str, int, bytes, str]]:
    """Payloads that break their layout: (name, type, payload, words the error must contain)."""
    return [
        ("hello without an offset", MsgType.HELLO, b"", "0 bytes, expected 1"),
        ("get_stats with two offset bytes", MsgType.GET_STATS, b"\x00\x00",
         "2 bytes, expected 1"),
        ("reset_stats with a payload byte", MsgType.RESET_STATS, b"\x00", "1 bytes, expected 0"),
        ("info page at its total", MsgType.INFO, bytes((64, 64)), "offset 64 not below total 64"),
        ("info page of a record of no bytes", MsgType.INFO, bytes((0, 0)), "not below total 0"),
        ("stats page one byte short of full", MsgType.STATS, bytes((0, 64)) + bytes(15),
         "15 data bytes, expected 16"),
        ("stats page of 17 bytes", MsgType.STATS, bytes((0, 64)) + bytes(17),
         "17 data bytes, expected 16"),
        ("last stats page one byte long", MsgType.STATS, bytes((48, 63)) + bytes(16),
         "16 data bytes, expected 15"),
        ("page without its head", MsgType.STATS, b"\x00", "1 bytes, expected at least 2"),
        ("get_profile of 1 byte", MsgType.GET_PROFILE, b"\x01", "1 bytes, expected 2"),
        ("capture_start with a reserved flag", MsgType.CAPTURE_START,
         bytes.fromhex("0000000002"), "reserved flags"),
        ("ack of 2 bytes", MsgType.ACK, b"\x01\x00", "2 bytes, expected 3"),
        ("nack with reason 9", MsgType.NACK, bytes.fromhex("01000509"), "unknown reason 9"),
        ("nack with reason 0", MsgType.NACK, bytes.fromhex("01000500"), "unknown reason 0"),
        ("sweep shorter than its head", MsgType.SWEEP, bytes(5), "expected at least 6"),
        ("sweep of 2 depths with 1 depth of samples", MsgType.SWEEP,
         bytes.fromhex("010000000200") + bytes(4), "expected 14 for 2 depths"),
        ("sweep claiming 63 depths", MsgType.SWEEP, bytes.fromhex("000000003f00") + bytes(252),
         "n_depths 63"),
        ("result with frame_class 4 of 4 scores", MsgType.RESULT,
         Result(1, 4, 0xFF, 0, 0, (1, 2, 3, 4)).pack(), "frame_class 4 with 4 scores"),
        ("result with event 4 of 4 scores", MsgType.RESULT,
         Result(1, 0, 4, 0, 0, (1, 2, 3, 4)).pack(), "event 4 with 4 scores"),
        ("result with a reserved flag", MsgType.RESULT, Result(1, 0, 0, 2, 0, (1,)).pack(),
         "reserved flags"),
        ("result with 17 scores", MsgType.RESULT, Result(1, 0, 0, 0, 0, (0,) * 17).pack(),
         "n_scores 17"),
        ("result one byte longer than its scores", MsgType.RESULT,
         Result(1, 0, 0, 0, 0, (1, 2)).pack() + b"\x00", "expected 16 for 2 scores"),
        ("profile one step beyond total_steps", MsgType.PROFILE,
         Profile(1, 0, 0, 0, 14, 10, (1, 2, 3, 4, 5)).pack(), "beyond total_steps 14"),
        ("profile whose first_step + n wraps 16 bits", MsgType.PROFILE,
         Profile(1, 0, 0, 0, 0xFFFF, 0xFFFE, (1, 2)).pack(), "beyond total_steps 65535"),
        ("profile with unit 2", MsgType.PROFILE, Profile(1, 2, 0, 0, 1, 0, (1,)).pack(),
         "unknown unit 2"),
        ("profile with 60 steps", MsgType.PROFILE, Profile(1, 0, 0, 0, 60, 0, (0,) * 60).pack(),
         "n_steps 60"),
        ("log without a level", MsgType.LOG, b"", "expected a level"),
        ("log with level 4", MsgType.LOG, b"\x04hi", "unknown level 4"),
        ("error of 1 byte", MsgType.ERROR, b"\x01", "expected at least 2"),
    ]


def _record_errors() -> list[tuple[str, type[Info] | type[Stats], bytes, str]]:
    """Records that break their layout: (name, record, bytes, words the error must contain)."""
    info = Info(VERSION, 0, 1, 0, 1, 0, 1, bytes(8), 4, 1, 1, 1, 1, 20, 1, 1, 1, "ab").pack()
    return [
        ("info one byte short", Info, info[:-1], "expected 47"),
        ("info with a board name of 33 bytes", Info, info[:44] + b"\x21" + b"a" * 33,
         "board name of 33 bytes"),
        ("info with a non-printable board name", Info, info[:-1] + b"\x07", "not printable"),
        ("info with counter_unit 2", Info, info[:8] + b"\x02" + info[9:], "counter_unit 2"),
        ("info with 17 classes", Info, info[:21] + b"\x11" + info[22:], "n_classes 17"),
        ("stats of 63 bytes", Stats, bytes(63), "63 bytes, expected 64"),
    ]


def _refused(name: str, unpack, payload: bytes, why: str) -> str:
    """The error ``unpack(payload)`` raises, which must contain ``why``."""
    try:
        unpack(payload)
    except PayloadError as exc:
        if why not in str(exc):
            raise AssertionError(f"payload vector {name!r} refused for another reason: {exc}") from exc
        return str(exc)
    raise AssertionError(f"payload vector {name!r} was accepted")


def _streams(rng: random.Random, frames: list[bytes]) -> list[tuple[str, bytes]]:
    garbage = bytes(rng.randrange(256) for _ in range(200))
    noisy = bytearray()
    for wire in frames[:6]:
        noisy += bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) + b"\x00" + wire
    return [
        ("empty frames are ignored", b"\x00\x00" + frames[0] + b"\x00\x00\x00" + frames[1]),
        ("random garbage, then a delimiter, then two frames", garbage + b"\x00" + frames[2]
         + frames[3]),
        ("a frame cut short, the next frame intact", frames[10][:40] + b"\x00" + frames[11]),
        ("a frame that lost its delimiter merges with the next: both lost",
         frames[0][:-1] + frames[1]),
        ("an oversize run, then a frame", b"\x77" * 600 + b"\x00" + frames[4]),
        ("frames with garbage bursts between them", bytes(noisy)),
        ("a frame duplicated", frames[14] + frames[14]),
    ]


def _sequence_cases() -> list[dict]:
    cases = [
        ("in order from a SYNC", [(5, True), (6, False), (7, False)]),
        ("gaps and duplicates", [(10, True), (11, False), (11, False), (14, False), (12, False),
                                 (20, False)]),
        ("wrap around 0xFFFF", [(0xFFFE, True), (0xFFFF, False), (1, False), (0, False)]),
        ("peer restarted: SYNC resets, a repeated SYNC frame is a duplicate",
         [(900, True), (901, False), (0, True), (0, True), (1, False)]),
        ("stale half a window behind", [(100, True), (100 + 0x8000, False), (101, False)]),
    ]
    out = []
    for name, events in cases:
        tracker = SeqTracker()
        classes = [tracker.classify(seq, sync).value for seq, sync in events]
        out.append({"name": name, "events": [[s, int(y)] for s, y in events], "classes": classes,
                    "gaps": tracker.gaps, "duplicates": tracker.duplicates})
    return out


def build() -> dict:
    """All test vectors as one JSON-ready document."""
    rng = random.Random(SEED)
    frames = []
    wires = []
    for name, seq, flags, msg in _good_messages(rng):
        wire = encode_frame(Frame(type=msg.TYPE, seq=seq, payload=msg.pack(), flags=flags))
        vec = _frame_vector(name, wire)
        assert vec["verdict"] == "OK", name
        vec["message"] = message_fields(unpack_message(msg.TYPE, bytes.fromhex(vec["frame"]["payload"])))
        frames.append(vec)
        wires.append(wire)
    for name, wire, expected in _corrupt_frames(rng):
        vec = _frame_vector(name, wire)
        if vec["verdict"] != expected.name:
            raise AssertionError(f"vector {name!r}: built for {expected.name}, decoder says {vec['verdict']}")
        frames.append(vec)
    payload_errors = [
        {"name": name, "type": MsgType(msg_type).name, "type_code": int(msg_type),
         "payload": payload.hex(),
         "error": _refused(name, lambda b, t=msg_type: unpack_message(t, b), payload, why)}
        for name, msg_type, payload, why in _payload_errors()]
    records = [{"name": name, "type": rec.TYPE.name, "type_code": int(rec.TYPE),
                "payload": rec.pack().hex(),
                "record": message_fields(type(rec).unpack(rec.pack()))}
               for name, rec in _records()]
    record_errors = [
        {"name": name, "type": kind.TYPE.name, "type_code": int(kind.TYPE),
         "payload": payload.hex(), "error": _refused(name, kind.unpack, payload, why)}
        for name, kind, payload, why in _record_errors()]
    streams = []
    for name, data in _streams(rng, wires):
        dec = StreamDecoder()
        got = dec.feed(data)
        streams.append({"name": name, "wire": data.hex(), "frames_ok": [f.seq for f in got],
                        "counts": {v.name: dec.counts[v] for v in Verdict}})
    return {
        "spec": "docs/protocol.md",
        "generator": "python -m sdk.protocol.vectors",
        "protocol_version": VERSION, "max_payload": MAX_PAYLOAD, "max_raw": MAX_RAW,
        "verdicts": {v.name: int(v) for v in Verdict},
        "types": {t.name: int(t) for t in MsgType},
        "crc": [{"data": b"123456789".hex(), "crc": crc16_ccitt_false(b"123456789")},
                {"data": "", "crc": crc16_ccitt_false(b"")},
                {"data": "00", "crc": crc16_ccitt_false(b"\x00")},
                {"data": bytes(range(256)).hex(), "crc": crc16_ccitt_false(bytes(range(256)))}],
        "cobs": [{"data": d.hex(), "encoded": cobs_encode(d).hex()} for d in (
            b"", b"\x00", b"\x00\x00", b"\x11\x22\x00\x33", b"\x11\x00\x00\x00",
            bytes(range(1, 255)), bytes(range(0, 255)), bytes(range(1, 256)),
            bytes(range(2, 256)) + b"\x00", bytes(range(3, 256)) + b"\x00\x01")],
        "frames": frames,
        "payload_errors": payload_errors,
        "records": records,
        "record_errors": record_errors,
        "streams": streams,
        "sequence": _sequence_cases(),
    }


def main() -> None:
    """Command-line entry: write the vectors file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
