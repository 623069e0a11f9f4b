"""The simulator's A121 mode (sdk/radar/sim_a121.py): bursts, subsweeps, profiles and the A121
gesture set, written as A121 records that our reader and Acconeer's loader open."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, cli
from sdk.errors import ShapeError
from sdk.radar import radar_stats as rs
from sdk.radar.recording import load_recording, save_recording
from sdk.radar.sim_a121 import (
    A121_CLASSES,
    A121SimConfig,
    A121Subsweep,
    a121_gesture_recording,
    scene_configs,
    tap_path,
)

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from acconeer.exptool import a121 as et_a121
    EXPTOOL_MISSING = ""
except ImportError as exc:
    EXPTOOL_MISSING = f"acconeer-exptool cannot be imported ({exc}); ./setup.sh installs it"

SMALL = A121SimConfig(sweeps_per_frame=16, sweep_rate_hz=800.0, frame_rate_hz=25.0, frames=30,
                      subsweeps=(A121Subsweep(20, 40, 3), A121Subsweep(60, 8, 12, "PROFILE_3", 60, 5)))


@pytest.mark.parametrize("gesture", A121_CLASSES)
def test_every_gesture_reads_back_through_ours_and_acconeers(tmp_path: Path, gesture: str) -> None:
    rec = a121_gesture_recording(gesture, SMALL, seed=1)
    path = tmp_path / f"{gesture}.h5"
    save_recording(path, rec)
    ours = load_recording(path)
    assert ours.generation == "a121" and ours.data.shape == (30, 1, 16, 48)
    assert np.array_equal(ours.data, rec.data)
    assert ours.labels is not None and set(ours.labels) == {A121_CLASSES.index(gesture)}
    assert ours.label_names == list(A121_CLASSES) and ours.meta["gesture"] == gesture
    assert ours.sweep_rate_hz == 800.0 and ours.update_rate_hz == 25.0
    assert [(s.offset, s.length, s.profile) for s in ours.a121.subsweeps] == \
        [(0, 40, "PROFILE_1"), (40, 8, "PROFILE_3")]
    assert np.allclose(np.diff(ours.times_s), 0.04)
    if EXPTOOL_MISSING:
        pytest.skip(EXPTOOL_MISSING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = et_a121.load_record(path)
    frames = theirs.frames
    assert np.array_equal(frames["real"] + 1j * frames["imag"] if frames.dtype.names else frames,
                          rec.data[:, 0])
    assert theirs.session_config.sensor_config.sweeps_per_frame == 16
    assert [s.profile.name for s in theirs.session_config.sensor_config.subsweeps] == \
        ["PROFILE_1", "PROFILE_3"]


def test_taps_move_the_hand_the_way_they_say() -> None:
    cfg = A121SimConfig(frames=40, subsweeps=(A121Subsweep(20, 40, 3),))
    t = cfg.sweep_times().ravel()
    for seed in range(5):
        _, z_in, _ = tap_path("tap_in", t, cfg.timing, np.random.default_rng(seed))
        _, z_out, _ = tap_path("tap_out", t, cfg.timing, np.random.default_rng(seed))
        _, z_two, _ = tap_path("double_tap", t, cfg.timing, np.random.default_rng(seed))
        x_wig, z_wig, _ = tap_path("wiggle", t, cfg.timing, np.random.default_rng(seed))
        assert z_in[0] - z_in[-1] >= 0.06 and z_out[-1] - z_out[0] >= 0.06
        dips = np.count_nonzero(np.diff((z_two < z_two[0] - 0.03).astype(int)) == 1)
        assert dips == 2 and z_two[-1] == pytest.approx(z_two[0])
        assert 0.01 <= np.ptp(x_wig) / 2 <= 0.03 + 1e-9 and np.ptp(z_wig) == 0
    with pytest.raises(ShapeError, match="gesture 'clap'"):
        tap_path("clap", t, cfg.timing, np.random.default_rng(0))
    peaks = {g: np.percentile(rs.block_frames(rs.sweep_blocks(a121_gesture_recording(g, cfg, 5))[0])
                              .max(axis=(1, 2)), 90) for g in ("empty", "wiggle", "double_tap")}
    assert peaks["wiggle"] > peaks["empty"] + 0.15 and peaks["double_tap"] > peaks["empty"] + 0.15


def test_continuous_mode_timing_and_scene_profiles() -> None:
    cfg = A121SimConfig(sweeps_per_frame=16, sweep_rate_hz=320.0, continuous_sweep_mode=True, frames=5)
    t = cfg.sweep_times().ravel()
    assert np.allclose(np.diff(t), 1 / 320.0)  # no gap between frames
    scenes = scene_configs(A121SimConfig(subsweeps=(A121Subsweep(), A121Subsweep(profile="PROFILE_2"))))
    assert scenes[0].profile == "a121/profile1/hwaas40/gain0" and scenes[0].noise_std > 0
    assert scenes[1].noise_std == 0 and scenes[1].sigma_p_m == 0.042  # never calibrated
    with pytest.raises(ShapeError, match="longer than a frame"):
        A121SimConfig(sweeps_per_frame=64, sweep_rate_hz=1000.0, frame_rate_hz=20.0)


def test_cli_synth_a121(tmp_path: Path) -> None:
    proc = cli("data", "synth-a121", "--out", "rec", "--gestures", "tap_in,wiggle", "--frames", "8",
               "--subsweep", "20,30,3,PROFILE_1,40,0", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["recordings"] == 2
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == ["tap_in_0_0.h5", "wiggle_0_0.h5"]
    assert_one_line_error(cli("data", "synth-a121", "--out", "x", "--gestures", "clap",
                              cwd=tmp_path), "unknown gesture 'clap'")
    assert_one_line_error(cli("data", "synth-a121", "--out", "rec", cwd=tmp_path), "exists")
    assert not (tmp_path / "x").exists()
