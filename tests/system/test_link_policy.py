"""The command retry policy at 5 % byte errors (the handshake and commands complete through
retries; how long they take is measured, not asserted: docs/protocol.md), and the stream
summary's link figures."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from host.cli_stream import print_stream_report
from host.faulty_pipe import Faults, FaultyPipe
from host.gesture_stream import fetch_profile, fetch_stats, hello
from host.link import Link
from protocol_peer import PROFILE_STEPS, ProtocolPeer
from sdk.protocol.messages import CaptureStart, CaptureStop, ResetStats, Sweep
from sdk.protocol.records import Info, Stats

pytestmark = pytest.mark.timeout(120)
FIVE_PERCENT = Faults(byte_error_rate=0.05, drop_rate=0.0, duplicate_rate=0.0,
                      truncate_rate=0.0, garbage_rate=0.0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_handshake_and_every_command_complete_at_five_percent_byte_errors(seed):
    """Each command within the link's default 10 s budget (a LinkError otherwise). Why that
    cannot flake: every answer is at most 37 bytes on the wire (a 16-byte record page, a
    2-step PROFILE page), so an attempt succeeds with probability >= 0.95^13 x 0.95^37 = 7.7 %
    (command and answer intact) and retries come every round trip (~30 ms): a command fails
    its 10 s budget with probability below (1 - 0.077)^100 = 3e-4 even at 100 attempts (a
    machine 3x slower than idle), about 1e-11 at the 330 attempts of an idle one. Before the
    pages a STATS answer (77 bytes on the wire) arrived 2 % of the time."""
    with ProtocolPeer(max_seconds=200) as peer, \
            FaultyPipe(("127.0.0.1", peer.port), up=FIVE_PERCENT, down=FIVE_PERCENT, seed=seed,
                       max_seconds=200) as pipe, \
            Link(f"socket://127.0.0.1:{pipe.port}") as link:
        info = hello(link)
        assert isinstance(info, Info) and info.board == "python-peer"
        link.command(ResetStats())
        link.send(Sweep(7, (1, 2) * 30))
        profile = fetch_profile(link)
        assert profile.steps == PROFILE_STEPS and profile.total_steps == len(PROFILE_STEPS)
        link.command(CaptureStart(n_sweeps=0))
        link.command(CaptureStop())
        stats = fetch_stats(link)
        assert isinstance(stats, Stats) and stats.rx_frames > 0
        assert link.stats.retries > 0 and link.stats.crc_errors + link.stats.framing_errors > 0
        counts = pipe.counts()
    assert counts["up"].corrupted_bytes > 0 and counts["down"].corrupted_bytes > 0
    # Executed once each although retried (the device's retry filter).
    assert max(peer.executions.values()) == 1


def test_summary_shows_framing_and_crc_errors_beside_the_other_link_figures():
    rep = {"board": "qemu_m7", "model_hash": "00" * 8, "sweeps": 10, "frames": 5,
           "accuracy": None, "host_accuracy": None, "agreement": 1.0, "classes_equal": True,
           "events_equal": True, "gestures": 0, "detected": 0, "false_triggers": 0,
           "frame_rate_hz": 18.0, "latency_s": None, "deadline_misses": 0, "max_work": 10,
           "deadline_budget": 100,
           "crc_errors": 7, "framing_errors": 13, "sequence_gaps": 2, "retries": 5,
           "counter_unit": "instructions", "device_errors": [],
           "profile": {"sweep": 9, "preprocess": 1, "inference": 2, "steps": []}}
    out = io.StringIO()
    print_stream_report(rep, Console(file=out, width=120))
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in out.getvalue().splitlines() if line.count("│") == 3}
    assert (rows["crc_errors"], rows["framing_errors"], rows["sequence_gaps"],
            rows["retries"]) == ("7", "13", "2", "5")
