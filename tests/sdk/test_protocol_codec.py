"""The Python protocol codec against the shared test vectors and a few values checked by hand."""

from __future__ import annotations

import json
import random

import pytest

from sdk.paths import ROOT
from sdk.protocol.cobs import CobsError, cobs_decode, cobs_encode
from sdk.protocol.crc import crc16_ccitt_false
from sdk.protocol.frame import (
    MAX_PAYLOAD,
    MAX_RAW,
    Frame,
    MsgType,
    StreamDecoder,
    Verdict,
    decode_frame,
    encode_frame,
)
from sdk.protocol.messages import Ack, Hello, PayloadError, Sweep, pack_message, unpack_message
from sdk.protocol.sequence import CommandFilter, SeqTracker
from sdk.protocol.vectors import build, message_fields

VECTORS_PATH = ROOT / "tests" / "vectors" / "protocol_vectors.json"
VECTORS = json.loads(VECTORS_PATH.read_text())


def test_vectors_file_is_up_to_date():
    assert build() == VECTORS, (
        "tests/vectors/protocol_vectors.json differs from the generator: rerun "
        "python -m sdk.protocol.vectors --out tests/vectors/protocol_vectors.json")


def test_crc_check_value_by_hand():
    # The published check value of CRC-16/CCITT-FALSE.
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF
    assert crc16_ccitt_false(b"6789", crc16_ccitt_false(b"12345")) == 0x29B1


def test_cobs_published_examples_by_hand():
    # Examples from the COBS paper / Wikipedia's table, written out by hand.
    assert cobs_encode(b"\x00") == bytes.fromhex("0101")
    assert cobs_encode(b"\x00\x00") == bytes.fromhex("010101")
    assert cobs_encode(bytes.fromhex("11220033")) == bytes.fromhex("0311220233")
    assert cobs_encode(bytes.fromhex("11000000")) == bytes.fromhex("0211010101")
    assert cobs_encode(bytes(range(1, 255))) == b"\xff" + bytes(range(1, 255))
    assert cobs_encode(bytes(range(1, 256))) == b"\xff" + bytes(range(1, 255)) + b"\x02\xff"


def test_hello_frame_by_hand():
    # HELLO for offset 0, seq 1, SYNC. Raw: 03 01 01 01 00 01 00 (version, type, flags, seq LE,
    # length LE), payload 00, then its CRC 0x99EB little-endian (EB 99; also checked with a
    # bitwise implementation). COBS blocks: [03 01 01 01] -> 05..., [01] -> 02 01, an empty
    # block -> 01, [EB 99] -> 03 EB 99.
    assert crc16_ccitt_false(bytes.fromhex("0301010100010000")) == 0x99EB
    assert encode_frame(Frame(MsgType.HELLO, 1, b"\x00", flags=1)) == bytes.fromhex(
        "05 03010101 02 01 01 03 eb99 00")


def test_crc_vectors():
    for vec in VECTORS["crc"]:
        assert crc16_ccitt_false(bytes.fromhex(vec["data"])) == vec["crc"]


def test_cobs_vectors_round_trip():
    for vec in VECTORS["cobs"]:
        data, enc = bytes.fromhex(vec["data"]), bytes.fromhex(vec["encoded"])
        assert cobs_encode(data) == enc
        assert 0 not in enc
        assert cobs_decode(enc, 1000) == data


@pytest.mark.parametrize("vec", VECTORS["frames"], ids=lambda v: v["name"])
def test_frame_vectors(vec):
    wire = bytes.fromhex(vec["wire"])
    verdict, frame = decode_frame(wire[:-1])
    assert verdict.name == vec["verdict"]
    if vec["verdict"] != "OK":
        assert frame is None
        return
    expect = vec["frame"]
    assert (MsgType(frame.type).name, frame.seq, frame.flags, frame.payload.hex()) == (
        expect["type"], expect["seq"], expect["flags"], expect["payload"])
    assert encode_frame(frame) == wire
    msg = unpack_message(frame.type, frame.payload)
    assert message_fields(msg) == vec["message"]
    assert pack_message(msg) == frame.payload


@pytest.mark.parametrize("vec", VECTORS["payload_errors"], ids=lambda v: v["name"])
def test_payload_error_vectors(vec):
    with pytest.raises(PayloadError, match=vec["type"]):
        unpack_message(vec["type_code"], bytes.fromhex(vec["payload"]))


@pytest.mark.parametrize("vec", VECTORS["streams"], ids=lambda v: v["name"])
@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_stream_vectors_in_any_chunking(vec, chunk):
    data = bytes.fromhex(vec["wire"])
    dec = StreamDecoder()
    got = [f.seq for i in range(0, len(data), chunk) for f in dec.feed(data[i:i + chunk])]
    assert got == vec["frames_ok"]
    assert {v.name: dec.counts[v] for v in Verdict} == vec["counts"]


@pytest.mark.parametrize("case", VECTORS["sequence"], ids=lambda c: c["name"])
def test_sequence_vectors(case):
    tracker = SeqTracker()
    assert [tracker.classify(s, bool(y)).value for s, y in case["events"]] == case["classes"]
    assert (tracker.gaps, tracker.duplicates) == (case["gaps"], case["duplicates"])


def test_command_filter_executes_a_retry_once():
    filt = CommandFilter()
    assert not filt.is_retry(7, MsgType.CAPTURE_START)
    filt.executed(7, MsgType.CAPTURE_START, Ack(7, MsgType.CAPTURE_START))
    assert filt.is_retry(7, MsgType.CAPTURE_START)
    assert not filt.is_retry(7, MsgType.CAPTURE_STOP)
    assert not filt.is_retry(8, MsgType.CAPTURE_START)


def test_oversize_payload_is_refused_when_encoding():
    with pytest.raises(ValueError, match="exceeds 256"):
        encode_frame(Frame(MsgType.LOG, 1, bytes(MAX_PAYLOAD + 1)))
    with pytest.raises(ValueError, match="at most 124"):
        Sweep(1, (0,) * 126).pack()


def test_cobs_decode_reports_oversize_before_a_cut_block():
    with pytest.raises(CobsError) as info:
        cobs_decode(b"\xff" + b"\x01" * 20, 10)
    assert info.value.oversize


def test_stream_decoder_recovers_every_frame_from_garbage():
    """Random garbage (zeros included) between valid frames costs no valid frame."""
    rng = random.Random(1234)
    dec = StreamDecoder()
    sent, got = [], []
    for seq in range(300):
        msg = Sweep(seq, tuple(rng.randint(-32768, 32767) for _ in range(2 * rng.randint(0, 62))))
        wire = encode_frame(Frame(MsgType.SWEEP, seq, pack_message(msg)))
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        # A delimiter after the junk ends it, as a UART idle line or a resync byte would.
        stream = junk + b"\x00" + wire
        sent.append(msg)
        pos = 0
        while pos < len(stream):
            step = rng.randint(1, 64)
            got += dec.feed(stream[pos:pos + step])
            pos += step
    assert [unpack_message(f.type, f.payload) for f in got] == sent
    assert dec.counts[Verdict.OK] == 300
    assert dec.errors > 0


def test_stream_decoder_memory_is_bounded():
    dec = StreamDecoder()
    for _ in range(100):
        assert dec.feed(b"\x55" * 1000) == []
    assert dec.counts[Verdict.OVERSIZE] == 1
    assert len(dec._buf) <= MAX_RAW + 2
    assert dec.feed(b"\x00" + encode_frame(Frame(MsgType.HELLO, 3))) == [Frame(MsgType.HELLO, 3)]


def test_unknown_message_type_names_it():
    with pytest.raises(PayloadError, match="0x7f"):
        unpack_message(0x7F, b"")
    assert unpack_message(MsgType.HELLO, b"\x05") == Hello(offset=5)
