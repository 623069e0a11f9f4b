"""Simulator calibration (sdk/radar/calibrate.py): it recovers known parameters from simulated
sweeps, the default profile is the original simulator bit for bit, and profiles load by name
or file with one-line errors."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, cli
from sdk.errors import DataFileError
from sdk.radar import calibrate as cal
from sdk.radar import radar_stats as rs
from sdk.radar.dataset import load_dataset
from sdk.radar.simulator import CLASSES, SimConfig, new_session, simulate

# sha256 of the default simulator's times and sweeps for seeds (0, s), s < 3, every class: the
# gesture CNN, the demo and the golden figures are trained and measured on this output.
DEFAULT_SHA256 = "f584145412a943f8456a037ea9967c7f0d83a2611f16caa68fef7cb460165831"
# The fits below pool scenes of about this many independent depths instead of POOL_DEPTHS:
# what they test is the recovery of known parameters, not a pooled static level's draw.
FEWER_DEPTHS = 48


def test_default_profile_is_the_original_simulator() -> None:
    cfg, digest = cal.load_sim("default"), hashlib.sha256()
    assert cfg == SimConfig()
    for s in range(3):
        rng = np.random.default_rng([0, s])
        session = new_session(cfg, rng, s)
        for gesture in CLASSES:
            t, x = simulate(gesture, session, cfg, rng)
            digest.update(t.tobytes())
            digest.update(x.tobytes())
    assert digest.hexdigest() == DEFAULT_SHA256


def test_calibration_recovers_known_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cal, "POOL_DEPTHS", FEWER_DEPTHS)
    truth = replace(cal.base_config("a111/profile2"), noise_std=30.0, noise_corr_m=0.04,
                    noise_ar=0.3, static_std=60.0, leakage=900.0)
    like = rs.SweepBlocks(np.zeros((1, 160, 240), complex), 0.002 * np.arange(240), 20.0,
                          "a111", "profile2", "<shape>")
    blocks = [cal.simulate_blocks(truth, like, np.random.default_rng([7, i])) for i in range(2)]
    fitted, target, got = cal.fit(blocks, seed=3)
    assert fitted.noise_std == pytest.approx(30.0, rel=0.08)
    assert fitted.noise_ar == pytest.approx(0.3, abs=0.06)
    assert fitted.noise_corr_m == pytest.approx(0.04, rel=0.1)
    assert fitted.static_std == pytest.approx(60.0, rel=0.3)
    assert fitted.leakage == pytest.approx(900.0, rel=0.3)
    for name in ("noise", "noise_lag_ratio", "depth_corr_m", "frame_median", "static", "near_static"):
        assert getattr(got, name) == pytest.approx(getattr(target, name), rel=0.2), name


def test_builtin_profiles_load_and_errors_are_one_line(tmp_path: Path) -> None:
    a111 = cal.load_sim("a111/profile2")
    assert a111.profile == "a111/profile2" and a111.noise_std > 0 and a111.noise_corr_m > 0
    assert "a121/profile1/hwaas40/gain0" in cal.profile_names()
    with pytest.raises(DataFileError, match="not a built-in profile"):
        cal.load_sim("nope")
    bad = tmp_path / "sim.json"
    bad.write_text("[1]")
    with pytest.raises(DataFileError, match="not a sim.json file"):
        cal.load_sim(str(bad))
    doc = json.loads(cal.BUILTIN.read_text())
    bad.write_text(json.dumps(doc))
    with pytest.raises(DataFileError, match="holds 11 a121 profiles"):
        cal.load_sim(str(bad), generation="a121")
    assert a111.motion_reflectors > 0 and a111.motion_range_m[0] < a111.motion_range_m[1]
    doc["profiles"]["a111/profile2"]["sim"]["motion_range_m"] = [0.3]
    bad.write_text(json.dumps(doc))
    with pytest.raises(DataFileError, match="setting 'motion_range_m' must be like"):
        cal.load_sim(f"{bad}:a111/profile2")
    doc["profiles"]["a111/profile2"]["sim"]["noise_std"] = "loud"
    bad.write_text(json.dumps(doc))
    with pytest.raises(DataFileError, match="setting 'noise_std' must be like"):
        cal.load_sim(f"{bad}:a111/profile2")


def test_cli_synth_with_a_calibrated_profile(tmp_path: Path) -> None:
    proc = cli("data", "synth", "--out", "d.h5", "--per-class", "1", "--sim", "a111/profile2",
               "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["sim"] == "a111/profile2"
    ds = load_dataset(tmp_path / "d.h5")
    assert ds.info["simulator"]["noise_std"] == pytest.approx(cal.load_sim("a111/profile2").noise_std)
    noise = rs.noise_level(ds.recordings[3].data[:, 0][None])  # the empty recording
    assert noise == pytest.approx(cal.load_sim("a111/profile2").noise_std, rel=0.25)
    assert_one_line_error(cli("data", "synth", "--out", "e.h5", "--sim", "nope", cwd=tmp_path),
                          "simulator profile 'nope'")
    assert not (tmp_path / "e.h5").exists()


def test_calibration_recovers_known_motion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cal, "POOL_DEPTHS", FEWER_DEPTHS)
    # one reflector breathing-like at 0.35 m: 1.5 mm rms displacement, 1 s correlation time
    truth = replace(cal.base_config("a111/profile2"), noise_std=30.0, noise_corr_m=0.01,
                    static_std=20.0, motion_reflectors=1, motion_range_m=(0.35, 0.35),
                    motion_amplitude=300.0, motion_disp_m=0.0015, motion_time_s=1.0)
    like = rs.SweepBlocks(np.zeros((1, 200, 150), complex), 0.2 + 0.002 * np.arange(150), 20.0,
                          "a111", "profile2", "<shape>")
    blocks = [cal.simulate_blocks(truth, like, np.random.default_rng([8, i])) for i in range(2)]
    still = cal.measure_simulated(replace(truth, motion_reflectors=0), blocks)
    fitted, target, got = cal.fit(blocks, seed=4)
    assert target.frame_p90 > 1.2 * still.frame_p90  # the motion is what the fit has to find
    assert fitted.motion_reflectors == 1
    assert np.mean(fitted.motion_range_m) == pytest.approx(0.35, abs=0.01)
    assert np.ptp(fitted.motion_range_m) < fitted.sigma_p_m / 2  # one body, not a spread
    assert fitted.motion_amplitude == pytest.approx(300.0, rel=0.25)
    assert fitted.motion_disp_m == pytest.approx(0.0015, rel=0.25)
    assert fitted.noise_std == pytest.approx(30.0, rel=0.1)
    for name in ("noise", "noise_lag_ratio", "depth_corr_m", "frame_median", "frame_p90"):
        assert getattr(got, name) == pytest.approx(getattr(target, name), rel=0.2), name
    quiet = cal.fit([cal.simulate_blocks(replace(truth, motion_reflectors=0), like,
                                         np.random.default_rng(9))], seed=4)[0]
    assert quiet.motion_reflectors == 0  # a still scene gets no motion


def test_calibration_recovers_a_static_jitter_and_the_leakage_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cal, "POOL_DEPTHS", FEWER_DEPTHS)
    # an A121 subsweep from 0 m: leakage whose phase jitters by 0.1 rad per sweep and point
    truth = replace(cal.base_config("a121/profile1/hwaas40/gain0"), leakage_sigma_m=0.018,
                    noise_std=20.0, static_std=30.0, leakage=3000.0, static_jitter_rad=0.1)
    like = rs.SweepBlocks(np.zeros((60, 16, 25), complex), 0.004 * np.arange(25), 320.0,
                          "a121", "profile1", "<shape>", "hwaas40/gain0")
    blocks = [cal.simulate_blocks(truth, like, np.random.default_rng([9, i])) for i in range(2)]
    fitted, target, got = cal.fit(blocks, seed=5)
    assert fitted.leakage_sigma_m == pytest.approx(0.018, rel=0.1)  # nominal profile 1: 0.024
    assert fitted.static_jitter_rad == pytest.approx(0.1, rel=0.2)
    assert fitted.motion_reflectors == 0  # the moving depths keep their mean: a jitter
    assert fitted.leakage == pytest.approx(3000.0, rel=0.15)
    assert fitted.noise_std == pytest.approx(20.0, rel=0.15)
    for name in ("noise", "frame_median", "frame_p90", "static", "near_static"):
        assert getattr(got, name) == pytest.approx(getattr(target, name), rel=0.2), name
