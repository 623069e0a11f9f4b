"""Radar statistics (sdk/radar/radar_stats.py): each one measures what it claims on sweeps of
known make-up, and the shared real recordings give the figures the issue quotes."""

from __future__ import annotations

import numpy as np
import pytest

from sdk.errors import UnsupportedError
from sdk.paths import SHARED_DIR
from sdk.radar import radar_stats as rs
from sdk.radar.recording import load_recording

A111 = SHARED_DIR / "data" / "acconeer_a111"
A121 = SHARED_DIR / "data" / "acconeer_a121"
need_shared = pytest.mark.skipif(not (A111.is_dir() and A121.is_dir()),
                                 reason=f"shared Acconeer recordings not found in {A111.parent}")


def _noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    return rng.normal(0, sigma / np.sqrt(2), (*shape, 2)) @ np.array([1, 1j])


def _blocks(bursts: np.ndarray, step_m: float = 0.005, start_m: float = 0.2) -> rs.SweepBlocks:
    depths = start_m + step_m * np.arange(bursts.shape[-1])
    return rs.SweepBlocks(bursts, depths, 18.0, "a111", "profile2", "<test>")


def test_white_noise_level_lag_ratio_and_static() -> None:
    rng = np.random.default_rng(1)
    static = 300.0 * np.exp(1j * rng.uniform(0, 6.28, 120))
    bursts = (_noise(rng, (1, 400, 120), 20.0) + static)
    s = rs.measure(_blocks(bursts))
    assert s.noise == pytest.approx(20.0, rel=0.03)
    assert s.noise_lag_ratio == pytest.approx(1.0, abs=0.05)
    assert s.static == pytest.approx(300.0, rel=0.02)
    assert np.isnan(s.near_static)  # the depths start at 0.2 m
    assert np.isnan(s.depth_corr_m)  # white along depth: below what one step resolves
    assert s.notes["depth_corr_m"].startswith("not measurable: below one depth step (0.005 m)")


def test_ar1_noise_along_sweeps_raises_the_lag_ratio() -> None:
    rng = np.random.default_rng(2)
    a, n = 0.5, 4000
    w = _noise(rng, (n, 40), 1.0)
    x = np.zeros_like(w)
    x[0] = w[0]
    for t in range(1, n):
        x[t] = a * x[t - 1] + np.sqrt(1 - a * a) * w[t]
    assert rs.lag_ratio(x[None]) == pytest.approx(1 + a, abs=0.05)


def test_depth_correlation_length_of_smoothed_noise() -> None:
    rng = np.random.default_rng(3)
    step, length = 0.002, 0.03  # Gaussian kernel: correlation 0.5 at 2 sqrt(ln 2) sigma
    sigma = length / (2 * np.sqrt(np.log(2)))
    k = np.arange(-60, 61) * step
    kernel = np.exp(-0.5 * (k / sigma) ** 2)
    raw = _noise(rng, (300, 400), 1.0)
    smooth = np.stack([np.convolve(row, kernel, mode="valid") for row in raw])
    assert rs.measure(_blocks(smooth[None], step)).depth_corr_m == pytest.approx(length, rel=0.05)


def test_depth_correlation_below_one_step_from_the_first_lag() -> None:
    # noise correlated over 0.01 m sampled every 0.015 m: the first lag (0.21) already lies
    # below 0.5, so the length comes through the Gaussian shape 2^(-(x / L)^2)
    rng = np.random.default_rng(5)
    fine, length = 0.0005, 0.01
    k = np.arange(-80, 81) * fine
    kernel = np.exp(-0.5 * (k / (length / (2 * np.sqrt(np.log(2))))) ** 2)
    raw = _noise(rng, (2000, 400), 1.0)
    smooth = np.stack([np.convolve(row, kernel, mode="valid") for row in raw])[:, ::30]
    s = rs.measure(_blocks(smooth[None], 0.015))
    assert s.depth_corr_m == pytest.approx(length, rel=0.05) and not s.notes
    anti = rs.measure(_blocks((smooth[:, 1:] - smooth[:, :-1])[None], 0.015))
    assert np.isnan(anti.depth_corr_m)  # neighbours anti-correlated: says nothing of a length
    assert "correlation is -0." in anti.notes["depth_corr_m"]
    assert "depth_corr_m" in rs.pooled([anti, anti]).notes and not rs.pooled([s, anti]).notes


def test_near_static_sees_leakage_and_frames_follow_noise() -> None:
    rng = np.random.default_rng(4)
    depths = np.arange(60) * 0.005
    leak = 2000.0 * np.exp(-(depths / 0.03) ** 2)
    quiet = rs.measure(_blocks(_noise(rng, (1, 60, 60), 5.0) + leak, start_m=0.0))
    loud = rs.measure(_blocks(_noise(rng, (1, 60, 60), 50.0) + leak, start_m=0.0))
    assert quiet.near_static > 10 * quiet.static
    assert loud.frame_median > quiet.frame_median + 0.1  # 20 dB more noise: +1/3 of the scale


def test_a111_without_phase_is_refused() -> None:
    rec = load_recording(A111 / "distance_detector" / "input.h5") if A111.is_dir() else None
    if rec is None:
        pytest.skip(f"shared A111 recordings not found in {A111}")
    with pytest.raises(UnsupportedError, match="envelope data has no phase"):
        rs.sweep_blocks(rec)


@need_shared
def test_shared_recordings_give_the_issue_figures() -> None:
    """Issue 18: real A111 IQ noise 22-29 raw units (we measure 19.0 and 25.8), median frame
    value 0.05-0.09 (0.046 and 0.094), depth streaks of several centimetres."""
    sleep = rs.measure(rs.sweep_blocks(load_recording(A111 / "sleep_breathing" / "input.h5"))[0])
    obstacle = rs.measure(rs.sweep_blocks(load_recording(A111 / "obstacle_detection" / "input.h5"))[0])
    assert sleep.noise == pytest.approx(25.79, abs=0.05)
    assert obstacle.noise == pytest.approx(18.99, abs=0.05)
    assert sleep.frame_median == pytest.approx(0.0938, abs=0.001)
    assert 0.03 < sleep.depth_corr_m < 0.06 and 0.03 < obstacle.depth_corr_m < 0.07
    button = rs.sweep_blocks(load_recording(A121 / "touchless_button_both_ranges.h5"))
    assert [b.key for b in button] == ["a121/profile1/hwaas40/gain0", "a121/profile3/hwaas60/gain5"]
    near = rs.measure(button[0])
    assert near.near_static > 10 * near.noise  # the range starts at 0 m: leakage dominates
    # three points 6 cm apart from 0 m: neighbours anti-correlate (-0.28), no length measurable
    far = rs.measure(button[1])
    assert np.isnan(far.depth_corr_m) and "correlation is -0.28" in far.notes["depth_corr_m"]
