"""Talk to a running gesture firmware: check it, stream a recording, capture, profile.

The host side of ``tinyprune run --data``, ``capture`` and ``profile``: everything here works
on a :class:`host.link.Link`, so the emulator (``socket://``) and a board (``/dev/ttyACM0``)
are the same code. The host reference (same model, numpy preprocessing, same detector) is
computed from exactly the int16 sweeps sent, so agreement can be exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from host.gesture_fw import RadarConfig, model_hash, wire_to_complex
from host.link import Link, LinkError
from sdk.errors import TinypruneError
from sdk.ir import Graph
from sdk.protocol.frame import MsgType
from sdk.protocol.messages import (
    CaptureStart,
    CaptureStop,
    Error,
    GetProfile,
    GetStats,
    Hello,
    Log,
    Profile,
    ResetStats,
    Result,
    Sweep,
)
from sdk.protocol.records import Info, Stats
from sdk.radar import gestures
from sdk.radar.preprocess import PreprocessConfig, model_inputs
from sdk.radar.recording import Recording

RATE_HZ = 18.0
IN_FLIGHT = 4  # sweeps sent ahead of the last RESULT in --fast mode
# How long --fast waits for a RESULT before sending on: a lost SWEEP or RESULT is never
# repaired, so waiting longer than a frame's round trip (12 ms at 115200 baud, plus the
# device's work) only slows a lossy link down.
STALL_WAIT_S = 0.3
RESULT_WAIT_S = 2.0  # after the last sweep: how long to wait for the outstanding RESULTs
# A device that sends nothing at all for SILENCE_S while sweeps await their RESULT is asked
# (GET_STATS, a short frame that gets through a line that loses long SWEEPs) for PROBE_S; no
# answer ends the stream with an error then, 2 s after the last byte, not at its end.
SILENCE_S = 1.4
PROBE_S = 0.6


class MismatchError(TinypruneError):
    """The device runs another model, or expects another radar configuration."""


def info_radar(info: Info) -> RadarConfig:
    """The radar configuration a device reports."""
    return RadarConfig(info.start_mm, info.step_um, info.n_depths, info.sweep_rate_mhz)


def check_device(info: Info, model_file: str | Path | None, radar: RadarConfig | None,
                 url: str) -> None:
    """Refuse a device whose model hash or radar configuration differs, saying which."""
    if model_file is not None:
        want = model_hash(model_file)
        if info.model_hash != want:
            raise MismatchError(
                f"model mismatch: the device on {url} runs model {info.model_hash.hex()}, "
                f"{model_file} hashes to {want.hex()} (build and flash it, or pass that model)")
    if radar is not None:
        diff = info_radar(info).differences(radar)
        if diff:
            raise MismatchError(f"radar configuration mismatch (device vs recording): "
                                f"{', '.join(diff)}")


def hello(link: Link) -> Info:
    """HELLO, returning the device's INFO (read page by page)."""
    return Info.unpack(link.read_record(Hello, MsgType.INFO))


@dataclass
class HostReference:
    """What the host computes from the same sweeps: classes, scores, p256, events."""

    classes: np.ndarray  # per sweep, NONE while the window fills
    scores: np.ndarray  # (sweeps, classes) in RESULT's integer form
    events: np.ndarray


def model_frames(graph: Graph, sweeps_iq: np.ndarray,
                 preprocess: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """The model's input for every complete input of the wire sweeps (numpy preprocessing,
    time context, quantized for an int8 model): one per ``preprocess.input_sweeps(n)``."""
    x = model_inputs(wire_to_complex(sweeps_iq), preprocess)
    inp = graph.tensors[graph.inputs[0]]
    feed = x.reshape(len(x), *inp.shape[1:])
    if inp.dtype == "int8" and len(x):
        q_in = inp.qparams()
        feed = gestures.quantize_input(feed, float(q_in.scale[0]), int(q_in.zero_point[0]))
    return feed


def reference_from_outputs(graph: Graph, n: int, out: np.ndarray,
                           gesture: gestures.GestureConfig,
                           preprocess: PreprocessConfig = PreprocessConfig()) -> HostReference:
    """Classes, scores and events of ``n`` sweeps whose complete inputs gave the model outputs
    ``out`` (one row per input, in the output's dtype): the firmware's arithmetic. The
    detector steps once per input, at the frame rate; other sweeps have neither."""
    out_t = graph.tensors[graph.outputs[0]]
    n_classes = out_t.size
    classes = np.full(n, gestures.NONE, dtype=np.int64)
    scores = np.zeros((n, n_classes), dtype=np.int64)
    events = np.full(n, gestures.NONE, dtype=np.int64)
    at = preprocess.input_sweeps(n)
    if len(out):
        out = out.reshape(len(out), n_classes)
        if out_t.dtype == "int8":
            q = out.astype(np.int64)
            cls = gestures.frame_class(q)
            scores[at] = q
            q_out = out_t.qparams()
            p256 = gestures.int8_p256(q[np.arange(len(q)), cls], int(q_out.zero_point[0]),
                                      gestures.p256_multiplier(q_out.scale[0]))
        else:
            out32 = out.astype(np.float32)
            cls = gestures.frame_class(out32)
            scores[at] = gestures.float_scores(out32)
            p256 = scores[at][np.arange(len(cls)), cls]
        classes[at] = cls
        events[at] = gestures.detect_events(cls, p256, gesture, preprocess.frame_rate_hz)
    return HostReference(classes, scores, events)


def host_reference(graph: Graph, sweeps_iq: np.ndarray, gesture: gestures.GestureConfig,
                   preprocess: PreprocessConfig = PreprocessConfig()) -> HostReference:
    """Run numpy preprocessing, the reference executor and the detector on wire sweeps."""
    from host.device_run import reference_outputs

    feed = model_frames(graph, sweeps_iq, preprocess)
    out = reference_outputs(graph, feed) if len(feed) else np.zeros((0,))
    return reference_from_outputs(graph, len(sweeps_iq), out, gesture, preprocess)


@dataclass
class StreamOutcome:
    """What came back from streaming: RESULTs by sweep index, and everything else."""

    results: dict[int, Result] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    late_waits: int = 0


def _collect(link: Link, out: StreamOutcome, timeout: float,
             on_result: Callable[[Result], None] | None) -> None:
    msg = link.receive(timeout)
    while msg is not None:
        if isinstance(msg, Result):
            out.results.setdefault(msg.sweep_index, msg)
            if on_result is not None:
                on_result(msg)
        elif isinstance(msg, Error):
            out.errors.append(f"device error {msg.code}: {msg.text}")
        elif isinstance(msg, Log):
            out.logs.append(msg.text)
        msg = link.receive(0.0)


def stream_sweeps(link: Link, sweeps_iq: np.ndarray, fast: bool = True,
                  on_result: Callable[[Result], None] | None = None,
                  rate_hz: float = RATE_HZ) -> StreamOutcome:
    """Send every sweep (index 0 first, which restarts the device's pipeline) and gather the
    RESULTs: in real time at ``rate_hz``, or with ``fast`` as fast as the device answers
    (at most IN_FLIGHT sweeps ahead, or STALL_WAIT_S). Lost frames are not re-sent; a RESULT
    missing RESULT_WAIT_S after the last sweep is given up on."""
    out = StreamOutcome()
    n = len(sweeps_iq)
    flat = np.asarray(sweeps_iq, dtype=np.int16).reshape(n, -1)
    start = time.monotonic()

    def newest() -> int:
        return max(out.results, default=-1)

    # Silence counts from the later of the last byte received and the first send after an
    # answered state, so a pause of the host's own (before the first sweep) is not silence.
    unanswered_since = time.monotonic()

    def check_alive(sent: int) -> None:
        nonlocal unanswered_since
        silent = time.monotonic() - max(link.last_rx, unanswered_since)
        if sent <= newest() + 1 or silent <= SILENCE_S:
            return
        try:
            link.command(GetStats(), budget_s=PROBE_S)
        except LinkError:
            raise LinkError(f"{link.url}: the device stopped answering: nothing received for "
                            f"{time.monotonic() - max(link.last_rx, unanswered_since):.1f} s "
                            f"with {sent - newest() - 1} sweeps unanswered (last RESULT for "
                            f"sweep {newest()})") from None
        unanswered_since = time.monotonic()  # alive: its SWEEPs were lost on the line

    for i in range(n):
        if i == newest() + 1:
            unanswered_since = time.monotonic()
        if fast:
            waited = time.monotonic()
            while i - newest() > IN_FLIGHT and time.monotonic() - waited < STALL_WAIT_S:
                _collect(link, out, 0.02, on_result)
                check_alive(i)
            if i - newest() > IN_FLIGHT:
                out.late_waits += 1
        else:
            while time.monotonic() < start + i / rate_hz:
                _collect(link, out, max(0.0, min(0.01, start + i / rate_hz - time.monotonic())),
                         on_result)
                check_alive(i)
        check_alive(i)
        link.send(Sweep(i, tuple(int(v) for v in flat[i])))
        _collect(link, out, 0.0, on_result)
    last_new = time.monotonic()
    while newest() < n - 1 and time.monotonic() - last_new < RESULT_WAIT_S:
        before = len(out.results)
        _collect(link, out, 0.05, on_result)
        if len(out.results) != before:
            last_new = time.monotonic()
    return out


def fetch_profile(link: Link) -> Profile:
    """Every page of the device's profile of its last classified sweep, as one Profile."""
    def page_at(first_step: int) -> Profile:
        page = link.command(GetProfile(first_step), MsgType.PROFILE, accept=lambda m: (
            isinstance(m, Profile) and m.first_step == first_step))
        assert isinstance(page, Profile)
        return page

    first = page_at(0)
    steps = list(first.steps)
    while len(steps) < first.total_steps:
        page = page_at(len(steps))
        if not page.steps:
            break
        if page.sweep_index != first.sweep_index:
            raise LinkError(f"{link.url}: the profile changed between pages (sweep "
                            f"{first.sweep_index}, then {page.sweep_index}): read it while "
                            "no sweep is processed")
        steps += page.steps
    return Profile(first.sweep_index, first.unit, first.preprocess, first.inference,
                   first.total_steps, 0, tuple(steps))


def fetch_stats(link: Link) -> Stats:
    """The device's counters (read page by page from one snapshot)."""
    stats = Stats.unpack(link.read_record(GetStats, MsgType.STATS))
    assert isinstance(stats, Stats)
    return stats


def reset_stats(link: Link) -> None:
    """Zero the device's counters."""
    link.command(ResetStats())


def capture(link: Link, n_sweeps: int, timeout_s: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """CAPTURE_START for ``n_sweeps`` sweeps of the device's own source; returns their indices
    and the sweeps (n, depths, 2) int16 in index order (lost ones are absent)."""
    got: dict[int, Sweep] = {}
    link.command(CaptureStart(n_sweeps, 0))
    deadline = time.monotonic() + timeout_s
    last_new = time.monotonic()
    try:
        while len(got) < n_sweeps and time.monotonic() < deadline:
            msg = link.receive(0.1)
            if isinstance(msg, Sweep) and msg.sweep_index < n_sweeps:
                if msg.sweep_index not in got:
                    got[msg.sweep_index] = msg
                    last_new = time.monotonic()
            elif isinstance(msg, Error):
                raise LinkError(f"{link.url}: device error {msg.code}: {msg.text}")
            if got and max(got) == n_sweeps - 1 and time.monotonic() - last_new > 0.5:
                break  # the last sweep came and nothing since: the missing ones were lost
    finally:
        link.command(CaptureStop())
    if not got:
        raise LinkError(f"{link.url}: no sweep arrived within {timeout_s:g} s of CAPTURE_START")
    idx = np.array(sorted(got))
    iq = np.array([got[i].iq for i in idx], dtype=np.int16).reshape(len(idx), -1, 2)
    return idx, iq


def capture_recording(indices: np.ndarray, sweeps_iq: np.ndarray, info: Info, label: str,
                      session: str | None = None) -> Recording:
    """A labeled Acconeer-layout IQ recording of captured sweeps (times from their indices,
    so lost sweeps show as gaps), every sweep of class ``label``; ``session`` (one sitting:
    person, room, sensor placement) is what `tinyprune data pack` splits by."""
    rate = info.sweep_rate_mhz / 1000.0
    start_m, step_m = info.start_mm / 1000.0, info.step_um / 1e6
    n_depths = sweeps_iq.shape[1]
    data = wire_to_complex(sweeps_iq).astype(np.complex64)[:, None, :]
    return Recording(
        mode="iq", data=data, sample_times=np.asarray(indices, dtype=np.float64) / rate,
        sensor_config={"mode": "IQ", "sensor": [1], "update_rate": rate,
                       "range_interval": [start_m, start_m + step_m * n_depths]},
        session_info={"range_start_m": start_m, "range_length_m": step_m * n_depths,
                      "data_length": n_depths, "step_length_m": step_m},
        labels=np.zeros(len(indices), dtype=np.int64), label_names=[label],
        preprocess=PreprocessConfig(),
        meta={"source": f"tinyprune capture from {info.board}",
              "model_hash": info.model_hash.hex(), "sweep_indices": [int(i) for i in indices],
              **({"session": session} if session is not None else {})},
    )
