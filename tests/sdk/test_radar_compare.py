"""`tinyprune data compare` on the shared real recordings of both generations: the calibrated
profiles come within the issue's 20 % where the default simulator does not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, cli
from sdk.paths import SHARED_DIR
from sdk.radar.compare import compare, of_class, recordings_at
from sdk.radar.dataset import synthesize
from sdk.radar.recording import load_recording

A111 = SHARED_DIR / "data" / "acconeer_a111"
A121 = SHARED_DIR / "data" / "acconeer_a121"
pytestmark = pytest.mark.skipif(not (A111.is_dir() and A121.is_dir()),
                                reason=f"shared Acconeer recordings not found in {A111.parent}")
REAL_A111 = [str(A111 / "sleep_breathing" / "input.h5"), str(A111 / "obstacle_detection" / "input.h5")]
SENSOR_STATS = ("noise", "noise_lag_ratio", "depth_corr_m", "frame_median")


def _gaps(proc) -> dict[str, dict[str, dict[str, float]]]:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["keys"]


def test_a111_calibrated_profile_against_the_real_iq_recordings(tmp_path: Path) -> None:
    # 20 per class (4 sessions), as docs/radar.md: seed 0; other seeds swing frame_median and
    # static by up to 19 % (1.3 s recordings keep part of a moving body's mean, four rooms),
    # which is why the target is judged by `compare --sim` (the test below)
    assert cli("data", "synth", "--sim", "a111/profile2", "--per-class", "20", "--out", "cal.h5",
               cwd=tmp_path).returncode == 0
    proc = cli("data", "compare", "cal.h5", *REAL_A111, "--class", "empty", cwd=tmp_path)
    assert proc.returncode == 0 and "noise_lag_ratio" in proc.stdout, proc.stderr
    assert (tmp_path / "cal_vs_real.png").stat().st_size > 10_000
    gaps = _gaps(cli("data", "compare", "cal.h5", *REAL_A111, "--class", "empty", "--json",
                     "--plot", "cal.png", cwd=tmp_path))["a111/profile2"]
    for stat in (*SENSOR_STATS, "frame_p90", "static"):  # p90: the fitted breathing and obstacles
        assert gaps[stat]["gap"] <= 0.2, (stat, gaps[stat])
    synthesize(tmp_path / "default.h5", per_class=2, seed=0)  # noise white along depth (issue 18)
    real = [load_recording(p) for p in REAL_A111]
    [default] = compare(of_class(recordings_at(tmp_path / "default.h5"), "empty", "default"), real)
    assert np.isnan(dict((n, g) for n, _, _, g in default.rows())["depth_corr_m"])
    assert "below one depth step" in default.notes()["depth_corr_m"]  # real: 0.045 m


def test_a121_mode_like_a_real_record(tmp_path: Path) -> None:
    real = A121 / "presence-short_range.h5"  # four subsweeps, four profiles
    proc = cli("data", "synth-a121", "--like", str(real), "--gestures", "empty", "--per-class", "3",
               "--out", "sim", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    keys = _gaps(cli("data", "compare", "sim", str(real), "--json", cwd=tmp_path))
    assert len(keys) == 4
    for key, gaps in keys.items():
        for stat in SENSOR_STATS:
            gap = gaps[stat]["gap"]
            assert gap is None or gap <= 0.2, (key, stat, gaps[stat])
    assert_one_line_error(cli("data", "compare", "sim", REAL_A111[0], "--plot", "x.png",
                              cwd=tmp_path), "no configuration in common")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("like, real", [
    ("distance-5to20.h5", ["distance-5to20.h5"]),
    ("touchless_button_both_ranges.h5", ["touchless_button_both_ranges.h5",
                                         "touchless_button_default.h5"]),
])
def test_a121_scenes_that_move(tmp_path: Path, like: str, real: list[str]) -> None:
    """The configurations whose recordings move (leakage and static returns jittering, a hand
    at the button): every statistic within 20 %, frame_p90 included; a depth correlation the
    step cannot resolve is reported with its reason instead of a number."""
    # 5 recordings (one session), as docs/radar.md: the touchless key's frame_median sits at
    # +14 % in the fit and +17 % here, +21 % with 3 recordings
    assert cli("data", "synth-a121", "--like", str(A121 / like), "--gestures", "empty",
               "--per-class", "5", "--out", "sim", cwd=tmp_path).returncode == 0
    keys = _gaps(cli("data", "compare", "sim", *[str(A121 / r) for r in real], "--json",
                     cwd=tmp_path))
    for key, gaps in keys.items():
        for stat in (*SENSOR_STATS, "frame_p90"):  # static levels on 1-3 points: one room's draw
            gap = gaps[stat]
            assert gap["gap"] is None or gap["gap"] <= 0.2, (key, stat, gap)
    if like.startswith("touchless"):
        corr = keys["a121/profile3/hwaas60/gain5"]["depth_corr_m"]
        assert corr["gap"] is None and "not measurable: below one depth step" in corr["note"]


@pytest.mark.slow
def test_compare_sim_every_key_at_the_real_length(tmp_path: Path) -> None:
    """`data compare --sim builtin` over every shared recording (the 12 calibrated keys): each
    real recording simulated at its own length in enough rooms, every measurable statistic
    within 20 %, static levels included; seed 2, which the calibration never simulated (the
    A111 static level was +46 % with 24-sweep dataset recordings of that seed)."""
    real = [*REAL_A111, *sorted(str(p) for p in A121.glob("*.h5"))]
    keys = _gaps(cli("data", "compare", "--sim", "builtin", *real, "--seed", "2", "--json",
                     cwd=tmp_path))
    assert len(keys) == 12
    for key, gaps in keys.items():
        for stat, gap in gaps.items():
            assert gap["gap"] is None or gap["gap"] <= 0.2, (key, stat, gap)
    assert (tmp_path / "builtin_vs_real.png").stat().st_size > 10_000
