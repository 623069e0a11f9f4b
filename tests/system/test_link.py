"""The host link against a Python protocol peer on 127.0.0.1, directly and through the
faulty pipe (rate-limited to 115200 baud, seeded faults)."""

from __future__ import annotations

import socket
import time

import pytest

from host.faulty_pipe import Faults, FaultyPipe
from host.gesture_stream import fetch_profile, fetch_stats, hello
from host.link import Link, LinkError
from protocol_peer import ProtocolPeer, captured_sweep, expected_result
from sdk.protocol.frame import Frame, MsgType, encode_frame
from sdk.protocol.messages import (
    CaptureStart,
    CaptureStop,
    GetProfile,
    Hello,
    ResetStats,
    Result,
    StatsPage,
    Sweep,
    pack_message,
)
from sdk.protocol.records import Info, Stats

pytestmark = pytest.mark.timeout(60)


def _sweep(index: int) -> Sweep:
    return Sweep(index, tuple(((index * 13 + k * 101) % 20001) - 10000 for k in range(60)))


def test_hello_info_and_profile_over_a_clean_socket():
    with ProtocolPeer() as peer, Link(f"socket://127.0.0.1:{peer.port}", timeout=0.5) as link:
        info = hello(link)
        assert isinstance(info, Info) and info.board == "python-peer" and info.n_depths == 30
        link.send(_sweep(5))
        result = link.receive(timeout=2.0)
        assert isinstance(result, Result) and result.sweep_index == 5
        assert (result.frame_class, result.scores) == expected_result(_sweep(5))
        profile = fetch_profile(link)
        assert profile.sweep_index == 5 and sum(profile.steps) == 9_000_000
        assert link.stats.retries == 0 and link.stats.sequence_gaps == 0


def test_nothing_answers_gives_one_line_naming_the_port():
    with ProtocolPeer(silent=True) as peer:
        url = f"socket://127.0.0.1:{peer.port}"
        with Link(url, timeout=0.1, attempts=3) as link:
            start = time.monotonic()
            with pytest.raises(LinkError) as info:
                link.command(Hello(), reply=MsgType.INFO)
            assert time.monotonic() - start < 2.0
    text = str(info.value)
    assert "\n" not in text and url in text and "HELLO" in text and "3 attempts" in text
    assert peer.executions == {(1, MsgType.HELLO): 1}


def test_unreachable_port_is_named():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(LinkError, match=f"socket://127.0.0.1:{port}: cannot open"):
        Link(f"socket://127.0.0.1:{port}")


def test_nack_is_reported_with_its_reason():
    with ProtocolPeer() as peer, Link(f"socket://127.0.0.1:{peer.port}") as link:
        link.command(CaptureStart(n_sweeps=0))
        with pytest.raises(LinkError, match="refused CAPTURE_START: busy"):
            link.command(CaptureStart(n_sweeps=5))
        link.command(CaptureStop())


def test_an_answer_after_its_command_is_dropped_and_counted():
    """A device answers every retry of a query; an answer arriving after the command completed
    is stale: never handed out as a data message."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        with Link(f"socket://127.0.0.1:{server.getsockname()[1]}") as link:
            device, _ = server.accept()
            with device:
                for seq, msg in enumerate((StatsPage(0, 3, b"abc"), _sweep(7)), start=1):
                    device.sendall(encode_frame(Frame(msg.TYPE, seq, pack_message(msg), 0)))
                got = link.receive(timeout=2.0)
                assert isinstance(got, Sweep) and got.sweep_index == 7
                assert link.receive(timeout=0.2) is None
                assert link.stats.stale_answers == 1


def test_duplicated_frames_are_delivered_once():
    dup = Faults(0.0, 0.0, 1.0, 0.0, 0.0)  # every frame twice, both ways
    with ProtocolPeer() as peer, \
            FaultyPipe(("127.0.0.1", peer.port), up=dup, down=dup, seed=3,
                       max_seconds=20) as pipe, \
            Link(f"socket://127.0.0.1:{pipe.port}") as link:
        link.command(ResetStats())
        for i in range(20):
            link.send(_sweep(i))
        got = [link.receive(timeout=2.0) for _ in range(20)]
        assert [r.sweep_index for r in got] == list(range(20))
        assert link.receive(timeout=0.3) is None
        assert link.stats.duplicates == pipe.counts()["down"].duplicated_frames > 20
    assert sum(peer.executions.values()) == 1


def test_link_through_a_bad_line():
    """115200 baud, 1 % corrupted bytes, 2 % each of dropped, duplicated, truncated frames and
    garbage bursts, both ways: nothing delivered twice or corrupted, every loss counted,
    every command completed and executed once (the pipe's max_seconds bounds the run)."""
    started = time.monotonic()
    with ProtocolPeer(capture_hz=40.0) as peer, \
            FaultyPipe(("127.0.0.1", peer.port), up=Faults(), down=Faults(), seed=11,
                       max_seconds=45) as pipe, \
            Link(f"socket://127.0.0.1:{pipe.port}", timeout=0.2, attempts=12) as link:
        info = hello(link)
        assert info.board == "python-peer"
        link.command(ResetStats())
        results: list[Result] = []
        n_sent = 150
        for i in range(n_sent):
            link.send(_sweep(i))
            # About 50 sweeps/s: 7 kB/s of the line's 11.5 kB/s.
            until = time.monotonic() + 0.02
            while (msg := link.receive(timeout=max(0.0, until - time.monotonic()))) is not None:
                results.append(msg)
        # Many short commands, so that some need retries.
        for i in range(40):
            if i % 2:
                assert link.command(GetProfile(0), reply=MsgType.PROFILE).total_steps == 3
            else:
                link.command(ResetStats())
        link.command(CaptureStart(n_sweeps=60))
        captured: list[Sweep] = []
        # Collect until the peer has sent all 60 (its own count, not a clock, so a loaded
        # machine only makes it slower), so that none of them comes after the final
        # command's ACK (which must be the peer's last frame); the pipe's max_seconds bounds it.
        while peer.capturing:
            msg = link.receive(timeout=0.1)
            if msg is not None:
                (captured if isinstance(msg, Sweep) else results).append(msg)
        stats = fetch_stats(link)
        while (msg := link.receive(timeout=0.1)) is not None:
            (captured if isinstance(msg, Sweep) else results).append(msg)
        link_stats = link.stats
    elapsed = time.monotonic() - started
    faults = pipe.counts()

    # Nothing twice, nothing corrupted.
    assert all(isinstance(r, Result) for r in results)
    indices = [r.sweep_index for r in results]
    assert len(indices) == len(set(indices))
    for r in results:
        assert (r.frame_class, r.scores) == expected_result(_sweep(r.sweep_index))
    assert len({s.sweep_index for s in captured}) == len(captured)
    for s in captured:
        assert s == captured_sweep(s.sweep_index)

    # Every loss counted: device-to-host frames either arrived or are a counted gap (the
    # last frame the peer sent, the final ACK, arrived, so there are no uncounted losses).
    assert link_stats.rx_frames + link_stats.sequence_gaps == peer.tx_frames
    # Host-to-device likewise, counted by the peer: the host numbered its frames 1..last.
    assert peer.rx_new + peer.tracker.gaps == peer.tracker.last
    assert isinstance(stats, Stats) and stats.tx_frames < peer.tx_frames
    assert faults["up"].dropped_frames + faults["down"].dropped_frames > 0
    assert link_stats.crc_errors + link_stats.framing_errors > 0
    assert peer.tracker.gaps > 0 and link_stats.sequence_gaps > 0
    # A duplicated frame may itself be corrupted on the way, so at most as many.
    assert 0 < link_stats.duplicates <= faults["down"].duplicated_frames
    # At 1 % byte errors a 137-byte SWEEP survives with probability 0.99^137 = 25 %, its
    # 31-byte RESULT with 73 %: about 18 % of the results come back.
    assert n_sent // 10 < len(results) < n_sent // 2
    assert 5 < len(captured) < 60

    # Every command completed, each executed exactly once despite the retries.
    assert set(peer.executions.values()) == {1}
    assert sum(peer.executions.values()) >= 44
    assert link_stats.retries > 0
    print(f"\nbad line: {len(results)}/{n_sent} results, {len(captured)}/60 captured, "
          f"{link_stats}, pipe {faults}, {elapsed:.1f} s")
