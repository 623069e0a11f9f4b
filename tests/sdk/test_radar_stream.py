"""Continuous recordings (sdk/radar/stream.py, `tinyprune data synth-stream`): seeded, labels
per sweep that cover the gestures, real empty stretches, the hand entering and leaving, the
session scene of a dataset, and streaming through `load_stream_data` unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from host.cli import app
from host.cli_stream import load_stream_data
from sdk.radar import preprocess as prep
from sdk.radar.dataset import load_dataset, load_splits, synthesize
from sdk.radar.recording import load_recording
from sdk.radar.simulator import CLASSES, SimConfig
from sdk.radar.stream import (
    StreamConfig,
    _enter_perform_leave,
    _hand_echo,
    _swipe,
    continuous_recording,
    dataset_stream_source,
    session_scene,
    synth_stream,
)

pytestmark = pytest.mark.timeout(60)
EMPTY = CLASSES.index("empty")
ST = StreamConfig()


@pytest.fixture(scope="module")
def rec():
    return continuous_recording(seed=1, session_id=4, seconds=36.0)


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(begin, end, label) of every maximal run of one non-empty label."""
    out, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            if labels[start] != EMPTY:
                out.append((start, i, int(labels[start])))
            start = i
    return out


def test_deterministic_and_seeded(rec):
    again = continuous_recording(seed=1, session_id=4, seconds=36.0)
    assert np.array_equal(rec.data, again.data)
    assert np.array_equal(rec.labels, again.labels)
    assert np.array_equal(rec.sample_times, again.sample_times)
    assert rec.meta["episodes"] == again.meta["episodes"]
    other = continuous_recording(seed=1, session_id=4, seconds=36.0, index=1)
    assert not np.array_equal(rec.data, other.data)
    assert rec.meta["episodes"] != other.meta["episodes"]


def test_real_sweep_times_and_length(rec):
    assert rec.n_updates == 36 * 18
    dt = np.diff(rec.sample_times)
    assert dt.min() >= 0 and abs(np.median(dt) - 1 / 18) < 2e-3
    assert abs(rec.sample_times[-1] - 647 / 18) < 0.02


def test_labels_cover_the_gestures_one_run_per_episode(rec):
    episodes = rec.meta["episodes"]
    assert len(episodes) >= 4
    assert {e["gesture"] for e in episodes} == {"swipe", "press", "pick"}
    runs = _runs(rec.labels)
    assert [CLASSES[c] for _, _, c in runs] == [e["gesture"] for e in episodes]
    t = rec.sample_times
    for (b, e, _), ep in zip(runs, episodes):
        assert ep["start_s"] < t[b] and t[e - 1] < ep["end_s"]  # labeled while the hand is there
        assert ep["label_start_s"] <= t[b] < ep["label_start_s"] + 1 / 18 + 0.01
        assert 0.3 < t[e - 1] - t[b] < 2.5
    # approach and withdrawal are not a gesture: every episode has empty-labeled hand sweeps
    for ep in episodes:
        inside = (t >= ep["start_s"]) & (t < ep["end_s"])
        assert (rec.labels[inside] == EMPTY).any()


def test_empty_stretches_have_no_hand(rec):
    episodes = rec.meta["episodes"]
    t = rec.sample_times
    bounds = [0.0] + [v for e in episodes for v in (e["start_s"], e["end_s"])] + [t[-1] + 1 / 18]
    gaps = list(zip(bounds[::2], bounds[1::2]))
    assert len(gaps) == len(episodes) + 1
    for a, b in gaps:  # first, between, last: at least the shortest empty stretch
        assert b - a >= ST.empty_s[0] - 1e-9
    for a, b in gaps[1:-1]:
        assert b - a <= ST.empty_s[1] + 1e-9
    # Physically empty: frames whose 20-sweep window lies in a gap hold clutter drift and noise
    # only, far below the frames at the middle of a labeled gesture.
    cfg = prep.PreprocessConfig()
    frames = prep.frames(rec.iq_sweeps(), cfg)
    newest = t[cfg.window_sweeps - 1:]
    oldest = t[:len(frames)]
    in_gap = np.array([any(a <= o and n < b for a, b in gaps) for o, n in zip(oldest, newest)])
    assert in_gap.sum() > 100
    energy = frames.mean(axis=(1, 2))
    gesture_frames = [int(np.searchsorted(newest, e["label_end_s"])) for e in episodes]
    assert energy[in_gap].max() < min(energy[i] for i in gesture_frames)


@pytest.mark.parametrize("gesture", ["swipe", "press", "pick"])
def test_hand_enters_and_leaves_continuously(gesture):
    cfg, session = SimConfig(), session_scene(2, 3)
    for k in range(5):
        rng = np.random.default_rng([k, 9])
        if gesture == "swipe":
            duration, l0, l1, path = _swipe(rng, ST)
        else:
            duration, l0, l1, path = _enter_perform_leave(rng, ST, gesture)
        assert 0 < l0 < l1 < duration
        tau = np.linspace(0.0, duration, 4001)
        x, z, micro = path(tau)
        step = np.sqrt(np.diff(x) ** 2 + np.diff(z) ** 2 + np.diff(micro) ** 2)
        assert step.max() / (tau[1] - tau[0]) < 4.0  # no jump: under 4 m/s everywhere
        echo = np.abs(_hand_echo(path, tau[::20], session, cfg, rng)).max(axis=1)
        assert echo[0] < 0.02 * echo.max() and echo[-1] < 0.02 * echo.max()
        label = (tau >= l0) & (tau < l1)
        edge = max(echo[0], echo[-1])
        assert np.median(echo[label[::20]]) > 20 * edge + 5.0  # in view while it happens


def test_session_scene_is_the_datasets_and_source_is_a_test_session(tmp_path):
    path = tmp_path / "g.h5"
    synthesize(path, per_class=20, seed=3, sim=SimConfig(recordings_per_session=2))
    ds = load_dataset(path)
    for r in ds.recordings[::8]:
        s = session_scene(3, r.meta["session"], SimConfig(recordings_per_session=2))
        assert round(s.snr_db, 3) == r.meta["snr_db"]
    seed, session, cfg = dataset_stream_source(path)
    assert seed == 3 and cfg == SimConfig(recordings_per_session=2)
    splits = load_splits(path)
    assert session in set(splits.test.sessions.tolist())
    assert session not in set(splits.train.sessions.tolist()) | set(splits.val.sessions.tolist())


def test_file_streams_through_load_stream_data(tmp_path):
    path = tmp_path / "s.h5"
    rec = synth_stream(path, seed=0, session_id=7, seconds=12.0)
    back = load_recording(path)
    assert np.array_equal(back.labels, rec.labels) and back.meta["kind"] == "continuous"
    sweeps, labels, radar = load_stream_data(str(path))
    assert sweeps.shape == (12 * 18, 30, 2) and sweeps.dtype == np.int16
    assert np.array_equal(labels, rec.labels)
    assert (radar.start_mm, radar.n_depths, radar.sweep_rate_mhz) == (200, 30, 18000)
    assert np.abs(sweeps).max() > 50  # carries the signal, not zeros


def test_cli_synth_stream(tmp_path):
    out = tmp_path / "cli.h5"
    res = CliRunner().invoke(app, ["data", "synth-stream", "--out", str(out), "--seconds", "15",
                                   "--seed", "4", "--session", "11", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["sweeps"] == 270 and summary["session"] == 11
    rec = load_recording(out)
    assert np.array_equal(rec.data, continuous_recording(4, 11, 15.0).data)
    assert sum(summary["labeled_sweeps"].values()) == 270
    again = CliRunner().invoke(app, ["data", "synth-stream", "--out", str(out)])
    assert again.exit_code != 0 and "exists" in str(again.exception)


def test_cli_synth_stream_takes_a_calibrated_profile(tmp_path):
    """--sim as for `data synth`: the calibrated A111 profile gives other sweeps than the default
    simulator with the same seed, and the recording says which profile made it."""
    from sdk.radar.calibrate import load_sim

    res = CliRunner().invoke(app, ["data", "synth-stream", "--out", str(tmp_path / "cal.h5"),
                                   "--seconds", "5", "--sim", "a111/profile2", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["sim"] == "a111/profile2"
    rec = load_recording(tmp_path / "cal.h5")
    cfg = load_sim("a111/profile2")
    assert np.array_equal(rec.data, continuous_recording(0, 10_000, 5.0, cfg=cfg).data)
    assert not np.array_equal(rec.data, continuous_recording(0, 10_000, 5.0).data)
    both = CliRunner().invoke(app, ["data", "synth-stream", "--out", str(tmp_path / "b.h5"),
                                    "--sim", "a111/profile2", "--dataset", str(tmp_path / "cal.h5")])
    assert both.exit_code != 0 and "give one" in str(both.exception)


@pytest.mark.parametrize("noise_std", [10.0, 40.0])
def test_a_stream_follows_the_calibration(tmp_path, noise_std):
    """A stream synthesized with a sim.json has that file's sensor: its noise level, and its
    correlation along depth as `data synth --sim` simulates it (the default stream's noise is
    white at the session's SNR)."""
    from sdk.radar import radar_stats as rs
    from sdk.radar.calibrate import base_config, write_sim_json
    from sdk.radar.simulator import new_session, simulate, simulated_recording

    cfg = SimConfig(**{**base_config("a111/profile2").to_dict(), "noise_std": noise_std,
                       "noise_corr_m": 0.02, "static_std": 30.0})
    sim = {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.to_dict().items()}
    write_sim_json(tmp_path / "sim.json", {"format": 1, "profiles": {"a111/profile2": {"sim": sim}}})
    res = CliRunner().invoke(app, ["data", "synth-stream", "--out", str(tmp_path / "s.h5"),
                                   "--seconds", "10", "--sim", str(tmp_path / "sim.json")])
    assert res.exit_code == 0, res.output
    def before_the_hand(rec):  # the first 1.5-3 s: no hand yet
        [blocks] = rs.sweep_blocks(rec)
        blocks.bursts = blocks.bursts[:, rec.sample_times < rec.meta["episodes"][0]["start_s"]]
        return blocks

    calibrated = before_the_hand(load_recording(tmp_path / "s.h5"))
    default = before_the_hand(continuous_recording(0, 10_000, 10.0))
    rng = np.random.default_rng(5)
    session = new_session(cfg, rng, 0)
    short = [simulate("empty", session, cfg, rng) for _ in range(5)]
    synth = rs.pooled([rs.measure(b) for t, x in short for b in rs.sweep_blocks(
        simulated_recording(t, x, np.zeros(t.size, np.int64), cfg, {}, "empty"))])
    got, white = rs.measure(calibrated), rs.measure(default)
    assert got.noise == pytest.approx(noise_std, rel=0.1)
    assert got.depth_corr_m == pytest.approx(synth.depth_corr_m, rel=0.15)
    assert np.isnan(white.depth_corr_m) and abs(white.noise - noise_std) > 0.2 * noise_std
