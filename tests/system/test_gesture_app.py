"""The real-time gesture firmware (device/app/gesture_app.c) and its host tools: the detector
in C vs numpy, the app over pipes (host build) and on the emulated Cortex-M7 through a real
TCP serial link, under a faulty link, capture from the replay source, refusals of a mismatched
model or radar configuration, and the profile command."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

from graphs import GraphBuilder
from host.cli_stream import run_stream, simulated_recording
from host.devices import start_device, start_qemu
from host.faulty_pipe import Faults, FaultyPipe
from host.gesture_fw import RadarConfig, build_gesture_firmware, radar_config, wire_sweeps
from host.gesture_stream import (
    MismatchError,
    capture,
    check_device,
    fetch_profile,
    fetch_stats,
    hello,
    host_reference,
    reset_stats,
    stream_sweeps,
)
from host.link import Link, LinkError
from sanitizers import SANITIZE
from sdk.ir.serialize import load_model, save_model
from sdk.paths import DEVICE_DIR, ROOT
from sdk.protocol.messages import CaptureStart, CaptureStop
from sdk.radar import gestures
from sdk.radar.dataset import synthesize
from sdk.radar.recording import load_recording

pytestmark = pytest.mark.timeout(60)

HAVE_QEMU = shutil.which("qemu-system-arm") is not None and shutil.which("arm-none-eabi-gcc")
needs_qemu = pytest.mark.skipif(not HAVE_QEMU, reason="qemu-system-arm or arm-none-eabi-gcc "
                                "missing (./setup.sh installs them)")
# Events from a random-weight model: low threshold, no background class, short debounce.
EAGER = gestures.GestureConfig(threshold=0, consecutive=2, refractory_s=3 / 18, background=0xFF)


def small_gesture_graph(seed: int = 0):
    """A small CNN on the 30 x 20 frame with random weights: agreement is what is tested."""
    b = GraphBuilder("small_gesture", (1, 30, 20, 1), seed)
    x = b.conv("input", 4, activation="relu")
    x = b.pool(x, "MaxPool2D")
    x = b.conv(x, 4, activation="relu")
    x = b.pool(x, "MaxPool2D")
    x = b.dense(b.flatten(x), 4)
    return b.finish(b.softmax(x))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("gesture")
    save_model(small_gesture_graph(0), d / "small.tpm")
    save_model(small_gesture_graph(1), d / "other.tpm")
    synthesize(d / "test.h5", per_class=1, seed=5)
    simulated_recording(d / "swipe.h5", "swipe", seed=2)
    return d


@pytest.fixture(scope="module")
def native_fw(files):
    if shutil.which("gcc") is None:
        pytest.skip("gcc missing")
    g = load_model(files / "small.tpm")
    rec = load_recording(files / "swipe.h5")
    return build_gesture_firmware(g, files / "small.tpm", "host", files / "native",
                                  replay=wire_sweeps(rec), gesture=EAGER)


@pytest.fixture(scope="module")
def qemu_fw(files):
    if not HAVE_QEMU:
        pytest.skip("qemu-system-arm or arm-none-eabi-gcc missing (./setup.sh installs them)")
    g = load_model(files / "small.tpm")
    rec = load_recording(files / "swipe.h5")
    return build_gesture_firmware(g, files / "small.tpm", "qemu_m7", files / "qemu",
                                  replay=wire_sweeps(rec), gesture=EAGER)


# ---- the detector: C and numpy, the same events ----

@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitized"])
def test_detector_in_c_equals_numpy(tmp_path, sanitize):
    if shutil.which("gcc") is None:
        pytest.skip("gcc missing")
    exe = tmp_path / "gesture_driver"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1",
                    *(SANITIZE if sanitize else []),
                    f"-I{DEVICE_DIR / 'app'}", str(ROOT / "tests" / "c" / "gesture_driver.c"),
                    str(DEVICE_DIR / "app" / "tp_gesture.c"), "-o", str(exe)], check=True)
    rng = np.random.default_rng(7)
    configs = [gestures.GestureConfig(), gestures.GestureConfig(100, 1, 0, 0xFF),
               gestures.GestureConfig(150, 4, 5 / 18, 2), gestures.GestureConfig(0, 2, 30 / 18, 0)]
    fired = 0
    for cfg in configs:
        # Runs of one class (as frames of a gesture are), NONE at the start, noisy scores.
        classes = np.repeat(rng.integers(0, 4, 120), rng.integers(1, 8, 120))[:600]
        classes[:19] = gestures.NONE
        p256 = rng.integers(60, 257, len(classes))
        text = "".join(f"{c} {p}\n" for c, p in zip(classes, p256))
        out = subprocess.run([str(exe), str(cfg.threshold), str(cfg.consecutive),
                              str(cfg.refractory_frames(18.0)), str(cfg.background)], input=text,
                             capture_output=True, text=True, check=True, timeout=10).stdout
        c_events = np.array([int(v) for v in out.split()])
        np_events = gestures.detect_events(classes, p256, cfg)
        assert np.array_equal(c_events, np_events), cfg
        fired += int((np_events != gestures.NONE).sum())
    assert fired > 20  # the comparison covered real events, not only "none"


def test_detector_rules():
    cfg = gestures.GestureConfig(threshold=128, consecutive=3, refractory_s=2 / 18, background=3)
    cls = [255, 0, 0, 0, 0, 0, 0, 1, 1, 3, 1, 1, 1]
    p = [0, 200, 200, 200, 200, 200, 200, 200, 200, 255, 200, 100, 200]
    ev = gestures.detect_events(cls, p, cfg).tolist()
    # fires on the third confident 0, then 2 quiet sweeps, then a new run of three 0s...
    assert ev == [255, 255, 255, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255]
    score = gestures.score_events([255, 255, 0, 255, 1], [0, 0, 0, 3, 3], background=3, slack=0)
    assert (score.gestures, score.detected, score.false_triggers, score.latencies) == (1, 1, 1, (2,))


# ---- the app over pipes (host build) ----

def test_native_app_over_pipes_matches_host(files, native_fw):
    with start_device(native_fw.elf, "native") as dev, dev.connect() as link:
        info = hello(link)
        assert info.board == "host" and info.capabilities == 0b111
        rec = load_recording(files / "swipe.h5")
        sweeps = wire_sweeps(rec)
        out = stream_sweeps(link, sweeps, fast=True)
        stats = fetch_stats(link)
    ref = host_reference(load_model(files / "small.tpm"), sweeps, EAGER)
    idx = sorted(out.results)
    assert idx == list(range(len(sweeps)))
    dev_cls = [out.results[i].frame_class for i in idx]
    dev_evt = [out.results[i].event for i in idx]
    assert dev_cls == ref.classes.tolist()
    assert dev_evt == ref.events.tolist()
    assert any(e != 255 for e in dev_evt)
    assert stats.sweeps == stats.results == len(sweeps)
    assert stats.crc_errors == stats.seq_gaps == 0


def test_native_refuses_mismatched_model_and_radar_config(files, native_fw):
    with start_device(native_fw.elf, "native") as dev, dev.connect() as link:
        info = hello(link)
        check_device(info, files / "small.tpm", RadarConfig(), link.url)  # the right one
        with pytest.raises(MismatchError, match="model mismatch.*other.tpm hashes to"):
            check_device(info, files / "other.tpm", None, link.url)
        with pytest.raises(MismatchError, match="radar configuration mismatch.*start_mm 200 vs 250"):
            check_device(info, None, RadarConfig(start_mm=250), link.url)
    # The same through the command path, against the running device on its port.
    with start_device(native_fw.elf, "native") as dev:
        with pytest.raises(MismatchError, match="model mismatch"):
            run_stream(str(files / "other.tpm"), "host", str(files / "swipe.h5"), port=dev.url)


def test_device_refuses_capture_of_a_recording_with_another_config(files):
    if shutil.which("gcc") is None:
        pytest.skip("gcc missing")
    g = load_model(files / "small.tpm")
    rec = load_recording(files / "swipe.h5")
    fw = build_gesture_firmware(g, files / "small.tpm", "host", files / "mismatch",
                                replay=wire_sweeps(rec), replay_radar=RadarConfig(start_mm=300))
    with start_device(fw.elf, "native") as dev, dev.connect(timeout=0.3, attempts=2) as link:
        hello(link)
        with pytest.raises(LinkError, match="model or radar configuration mismatch"):
            capture(link, 5, timeout_s=3)
        msg = link.receive(1.0)
        while msg is not None and not hasattr(msg, "code"):
            msg = link.receive(1.0)
        assert msg is not None and msg.code == 2
        assert "radar configuration mismatch" in msg.text and "start_mm 300" in msg.text


def test_sweep_with_wrong_depth_count_is_reported_not_processed(native_fw):
    from sdk.protocol.messages import Error, Sweep

    with start_device(native_fw.elf, "native") as dev, dev.connect() as link:
        hello(link)
        link.send(Sweep(0, tuple(range(2 * 12))))
        msg = link.receive(3.0)
        while msg is not None and not isinstance(msg, Error):
            msg = link.receive(3.0)
        stats = fetch_stats(link)
    assert msg is not None and msg.code == 3 and "expects 30 depths" in msg.text
    assert "has 12" in msg.text and stats.sweeps == 0


# ---- the emulated Cortex-M7 over its UART as a TCP socket ----

@pytest.mark.qemu
@needs_qemu
def test_qemu_stream_equals_host_with_no_deadline_miss(files, qemu_fw):
    rep = run_stream(str(files / "small.tpm"), "qemu_m7", str(files / "test.h5"), fast=True,
                     out=files / "qemu-run", gesture=EAGER)
    assert rep["results"] == rep["sweeps"] == 96
    assert rep["classes_equal"] and rep["events_equal"] and rep["agreement"] == 1.0
    assert rep["events"] and rep["events"] == rep["host_events"]
    assert rep["accuracy"] == rep["host_accuracy"]
    assert rep["deadline_misses"] == 0 and 0 < rep["max_work"] < rep["deadline_budget"]
    assert rep["crc_errors"] == 0 and rep["sequence_gaps"] == 0
    prof = rep["profile"]
    assert prof["preprocess"] > 0 and len(prof["steps"]) == 6
    # Steps add up to the inference (less the input copy and the marks).
    assert 0.9 * prof["inference"] < sum(s["count"] for s in prof["steps"]) <= prof["inference"]


@pytest.mark.qemu
@needs_qemu
def test_qemu_through_a_faulty_link_loses_nothing_silently(files, qemu_fw):
    rec = load_recording(files / "swipe.h5")
    sweeps = np.concatenate([wire_sweeps(rec)] * 2)  # 48 sweeps
    faults = Faults(byte_error_rate=0.01, drop_rate=0.03, duplicate_rate=0.03,
                    truncate_rate=0.02, garbage_rate=0.03)
    delivered: list[int] = []
    with start_qemu(qemu_fw.elf) as dev:
        port = int(dev.url.rsplit(":", 1)[1])
        # QEMU must be listening before the pipe connects to it: open and drop a link first.
        dev.connect().close()
        time.sleep(0.2)
        with FaultyPipe(("127.0.0.1", port), up=faults, down=faults, seed=4,
                        max_seconds=50) as pipe:
            with Link(f"socket://127.0.0.1:{pipe.port}", timeout=0.5, attempts=10) as link:
                hello(link)
                reset_stats(link)
                out = stream_sweeps(link, sweeps, fast=True,
                                    on_result=lambda r: delivered.append(r.sweep_index))
                stats = fetch_stats(link)  # a command completes through retries
                host = link.stats
            counts = pipe.counts()
    # At most once: no RESULT delivered twice, none corrupted (scores are those of a sweep
    # index the host sent, and classes are in range).
    assert len(delivered) == len(set(delivered))
    assert all(0 <= i < len(sweeps) for i in delivered)
    assert all(r.frame_class in (255, 0, 1, 2, 3) and len(r.scores) in (0, 4)
               for r in out.results.values())
    # The faults happened, and every loss is counted by someone.
    assert counts["up"].corrupted_bytes > 0 and counts["down"].corrupted_bytes > 0
    assert stats.sweeps < len(sweeps) or counts["up"].dropped_frames == 0
    lost_up = len(sweeps) - stats.sweeps
    assert lost_up <= stats.seq_gaps + stats.crc_errors + stats.cobs_errors + \
        stats.short_errors + stats.length_errors + stats.version_errors + stats.type_errors + \
        stats.oversize_errors + 1  # +1: a loss after the last delivered SWEEP shows no gap yet
    missing_down = stats.results - len(delivered)
    assert missing_down >= 0
    assert host.sequence_gaps + host.crc_errors + host.framing_errors + \
        host.header_errors >= min(missing_down, 1)
    # Commands completed (hello, reset, stats above) although some needed retries.
    assert host.retries > 0 and host.crc_errors + host.framing_errors > 0
    # The device sees a frame twice when the pipe duplicates it or the host sends it again
    # (a retry whose ACK was lost); either copy may be corrupted on the way (a 137-byte SWEEP
    # survives 1 % byte errors with probability 0.25), so it counts at most that many.
    assert stats.duplicates <= counts['up'].duplicated_frames + host.retries


@pytest.mark.qemu
@needs_qemu
@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", [0, 1])
def test_qemu_every_command_completes_at_five_percent_byte_errors(qemu_fw, seed):
    """The firmware's paged answers (docs/protocol.md, "Short answers"): through 5 % byte
    errors both ways every command completes within the link's default 10 s budget (a
    LinkError otherwise; the bound is in tests/system/test_link_policy.py)."""
    five = Faults(byte_error_rate=0.05, drop_rate=0.0, duplicate_rate=0.0, truncate_rate=0.0,
                  garbage_rate=0.0)
    with start_qemu(qemu_fw.elf) as dev:
        port = int(dev.url.rsplit(":", 1)[1])
        dev.connect().close()
        time.sleep(0.2)
        with FaultyPipe(("127.0.0.1", port), up=five, down=five, seed=seed,
                        max_seconds=250) as pipe:
            with Link(f"socket://127.0.0.1:{pipe.port}") as link:
                info = hello(link)
                reset_stats(link)
                # A short capture: sweeps streamed until CAPTURE_STOP would be about the
                # downlink's bandwidth (the pipe queues what the line cannot carry), not errors.
                link.command(CaptureStart(n_sweeps=3))
                link.command(CaptureStop())
                profile = fetch_profile(link)
                stats = fetch_stats(link)
                host = link.stats
            counts = pipe.counts()
    assert info.board == "qemu_m7" and info.n_depths == 30
    assert len(profile.steps) == profile.total_steps == len(qemu_fw.steps)
    assert stats.rx_frames > 0 and host.retries > 0
    assert counts["up"].corrupted_bytes > 0 and counts["down"].corrupted_bytes > 0


@pytest.mark.qemu
@needs_qemu
def test_capture_round_trip_from_the_replay_source(files, qemu_fw, tmp_path):
    from typer.testing import CliRunner

    from host.cli import app

    rec = load_recording(files / "swipe.h5")
    with start_qemu(qemu_fw.elf) as dev:
        dev.connect().close()
        out = tmp_path / "cap.h5"
        res = CliRunner().invoke(app, ["capture", "--port", dev.url, "--label", "swipe",
                                       "--out", str(out), "--sweeps", "24", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.strip().splitlines()[-1])["lost"] == 0
    got = load_recording(out)
    assert got.label_names[int(got.labels[0])] == "swipe" and len(got.labels) == 24
    assert np.array_equal(wire_sweeps(got), wire_sweeps(rec))
    assert radar_config(got) == radar_config(rec)


@pytest.mark.qemu
@needs_qemu
def test_profile_command_prints_steps_and_writes_a_chart(files, tmp_path):
    from typer.testing import CliRunner

    from host.cli import app

    chart = tmp_path / "profile.png"
    res = CliRunner().invoke(app, ["profile", str(files / "small.tpm"), "--board", "qemu_m7",
                                   "--chart", str(chart), "--out", str(tmp_path / "b"),
                                   "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    assert doc["unit"] == "instructions" and doc["profile"]["preprocess"] > 0
    assert [s["name"] for s in doc["profile"]["steps"]][0] == "conv1"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_device_that_stops_answering_is_reported_during_the_stream(files, native_fw):
    rec = load_recording(files / "swipe.h5")
    sweeps = np.concatenate([wire_sweeps(rec)] * 12)  # 288 sweeps: 16 s in real time
    with start_device(native_fw.elf, "native") as dev, dev.connect() as link:
        hello(link)
        reset_stats(link)

        def freeze(result):
            if result.sweep_index == 5:
                os.kill(dev.proc.pid, signal.SIGSTOP)  # alive but silent, like a hung board

        try:
            with pytest.raises(LinkError, match="stopped answering") as info:
                stream_sweeps(link, sweeps, fast=False, on_result=freeze)
        finally:
            os.kill(dev.proc.pid, signal.SIGCONT)
    # Reported after SILENCE_S + PROBE_S (2 s, 36 sweeps at 18/s), long before the end.
    unanswered = int(re.search(r"with (\d+) sweeps unanswered", str(info.value)).group(1))
    assert unanswered < 100 < len(sweeps)
