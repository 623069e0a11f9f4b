"""`tinyprune data pack`: datasets from one's own labeled recordings."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from host.cli import app
from sdk.errors import DataFileError
from sdk.paths import SHARED_DIR
from sdk.radar.dataset import DataWarning, load_dataset, load_splits
from sdk.radar.pack import PackOptions, pack
from sdk.radar.recording import load_recording, save_recording
from sdk.radar.simulator import SimConfig, new_session, simulate, simulated_recording
from sdk.radar.stream import StreamConfig, continuous_recording

runner = CliRunner()
CFG = SimConfig(sweeps=30)
PATTERN = r"(?P<session>s\d+)/(?P<label>[a-z]+)_\d+\.(h5|npz)$"


def _record(folder: Path, session: int, gestures: dict[str, str], per_class: int = 2,
            suffix: str = ".h5") -> list[Path]:
    """Simulated recordings ``folder/s<session>/<name>_<i>`` of the simulator's ``gestures``
    values, named by their keys (labels the files, not the data, carry)."""
    rng = np.random.default_rng([11, session])
    scene = new_session(CFG, rng, session)
    out = []
    (folder / f"s{session}").mkdir(parents=True, exist_ok=True)
    for name, gesture in gestures.items():
        for i in range(per_class):
            times, sweeps = simulate(gesture, scene, CFG, rng)
            rec = simulated_recording(times, sweeps, np.zeros(len(times), np.int64), CFG, {},
                                      "unlabeled")
            rec.labels, rec.label_names = None, None
            path = folder / f"s{session}" / f"{name}_{i}{suffix}"
            save_recording(path, rec)
            out.append(path)
    return out


THREE = {"swipe": "swipe", "press": "press", "empty": "empty"}
FIVE = {"swipe": "swipe", "press": "press", "pick": "pick", "empty": "empty", "wave": "swipe"}


@pytest.mark.parametrize("gestures", [THREE, FIVE], ids=["3-class", "5-class"])
def test_pack_by_file_name_any_number_of_classes(tmp_path: Path, gestures: dict[str, str]) -> None:
    paths = [p for s in range(4) for p in _record(tmp_path, s, gestures, suffix=".npz" if s == 3 else ".h5")]
    out = tmp_path / "ds.h5"
    result = pack(paths, out, PackOptions(label_pattern=PATTERN, seed=1))
    assert result.classes == sorted(gestures) and result.recordings == len(paths)
    assert sorted(result.sessions) == ["s0", "s1", "s2", "s3"] and not result.warnings
    splits = load_splits(out)
    assert splits.classes == sorted(gestures)
    parts = [set(np.unique(p.sessions)) for p in (splits.train, splits.val, splits.test)]
    assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    for part, sessions in zip((splits.train, splits.val, splits.test), parts):
        assert part.x.shape[1:] == (30, 20)
        # 30 sweeps are 11 frames; 2 recordings per class and session
        assert np.bincount(part.y).tolist() == [11 * 2 * len(sessions)] * len(gestures)
    ds = load_dataset(out)
    assert ds.info["packed"] and ds.info["sessions"] == ["s0", "s1", "s2", "s3"]
    # the explicit test session is the test split
    again = pack(paths, tmp_path / "ds2.h5", PackOptions(label_pattern=PATTERN, test_sessions=("s2",)))
    assert again.split_sessions["test"] == ["s2"]
    assert set(np.unique(load_splits(tmp_path / "ds2.h5").test.sessions)) == {2}


def test_pack_trains_a_five_class_model(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    paths = [p for s in range(3) for p in _record(tmp_path, s, FIVE, per_class=1)]
    pack(paths, tmp_path / "ds.h5", PackOptions(label_pattern=PATTERN))
    model = tmp_path / "m.tpm"
    res = runner.invoke(app, ["train", "--data", str(tmp_path / "ds.h5"), "--out", str(model),
                              "--epochs", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.strip().splitlines()[-1])["classes"] == sorted(FIVE)


def _continuous(folder: Path, session: int, index: int, seconds: float = 30.0) -> tuple[Path, object]:
    rec = continuous_recording(4, session, seconds, index=index)
    truth = rec.labels.copy()
    rec.labels, rec.label_names = None, None
    path = folder / f"s{session}" / f"gesture_{index}.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_recording(path, rec)
    return path, (rec, truth)


def test_pack_by_intervals_matches_the_true_labels(tmp_path: Path) -> None:
    made = []
    for s in range(3):
        path, (_, truth) = _continuous(tmp_path, s, 1)
        made.append((path, truth))
    # the same file name in three session folders: the side file names them by path
    side = tmp_path / "labels.csv"
    side.write_text("\n".join(["file,start_s,end_s,label"] + [
        f"{p},{ep['label_start_s']},{ep['label_end_s']},{ep['gesture']}"
        for p, _ in made for ep in load_recording(p).meta["episodes"]]) + "\n")
    out = tmp_path / "ds.h5"
    result = pack([p for p, _ in made], out, PackOptions(intervals=side, background="empty",
                                                       classes=("swipe", "press", "pick")))
    assert result.classes == ["swipe", "press", "pick", "empty"]
    for (path, truth), rec in zip(made, load_dataset(out).recordings):
        # the simulator's own classes are swipe, press, pick, empty in that order too
        assert rec.sweep_labels() is not None
        agree = np.mean(rec.sweep_labels() == truth)
        assert agree > 0.99, (path, agree)


def test_pack_by_motion_segmentation_reports_segments(tmp_path: Path) -> None:
    background = continuous_recording(4, 0, 12.0, index=0, st=StreamConfig(empty_s=(60.0, 60.0)))
    background.labels, background.label_names = None, None
    bg = tmp_path / "background.h5"
    save_recording(bg, background)
    made = [_continuous(tmp_path, 0, i) for i in (1, 2, 3)]
    episodes = sum(len(rec.meta["episodes"]) for _, (rec, _) in made)
    out = tmp_path / "ds.h5"
    res = runner.invoke(app, ["data", "pack", *[str(p) for p, _ in made], "--out", str(out),
                              "--label-pattern", r"(?P<label>gesture)_(?P<session>\d)",
                              "--segment-against", str(bg), "--background-class", "empty",
                              "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert Path(summary["chart"]).read_bytes()[:4] == b"\x89PNG"
    found = sum(summary["segments"].values())
    assert summary["classes"] == ["gesture", "empty"] and 0.6 * episodes <= found <= episodes
    for (_, (rec, truth)), packed in zip(made, load_dataset(out).recordings):
        moving = packed.labels == 0
        # segments lie on gestures: most sweeps inside a segment belong to an episode's hand
        hand = np.zeros(len(truth), bool)
        for ep in rec.meta["episodes"]:
            hand |= (rec.times_s >= ep["start_s"]) & (rec.times_s < ep["end_s"])
        assert moving.any() and np.mean(hand[moving]) > 0.9


def test_capture_output_packs_directly(tmp_path: Path) -> None:
    """What `tinyprune capture --label L --session S` writes packs with no label option."""
    import dataclasses

    from host.gesture_stream import capture_recording
    from sdk.protocol.records import Info

    info = Info(**{f.name: 0 for f in dataclasses.fields(Info)} | {
        "board": "host", "model_hash": b"\0" * 8, "sweep_rate_mhz": 18000, "start_mm": 200,
        "step_um": 5000})
    paths = []
    for s in range(3):
        for label in ("swipe", "press", "wave"):  # any class name, not only the built-in ones
            rec = continuous_recording(5, s, 2.0)
            wire = np.stack([rec.data[:, 0].real, rec.data[:, 0].imag], axis=-1).round()
            cap = capture_recording(np.arange(len(wire)), wire.astype(np.int16), info, label,
                                    session=f"desk{s}")
            path = tmp_path / f"{label}_{s}.h5"
            save_recording(path, cap)
            paths.append(path)
    result = pack(paths, tmp_path / "ds.h5", PackOptions())
    assert result.classes == ["press", "swipe", "wave"]
    assert sorted(result.sessions) == ["desk0", "desk1", "desk2"]


def test_pack_refuses_and_warns(tmp_path: Path) -> None:
    paths = [p for s in range(3) for p in _record(tmp_path, s, THREE, per_class=1)]
    one = _record(tmp_path / "one", 9, {"swipe": "swipe"}, per_class=1)
    with pytest.raises(DataFileError, match=r"1 session\(s\) \(s9\) cannot fill train/val/test "
                                            r".*record at least 3 sessions"):
        pack(one, tmp_path / "x.h5", PackOptions(label_pattern=PATTERN))
    # a single labeled recording given to train: the advice is to record and pack, not to synthesize
    single = continuous_recording(0, 1, 3.0)
    save_recording(tmp_path / "single.h5", single)
    with pytest.raises(DataFileError, match=r"1 recording sessions are too few .*record more "
                                            r"sessions .* `tinyprune data pack`"):
        load_splits(tmp_path / "single.h5")
    # the test session lacks 'press': packed with a warning, and load_splits warns too
    lacking = [p for p in paths if not (p.parent.name == "s2" and p.name.startswith("press"))]
    result = pack(lacking, tmp_path / "w.h5", PackOptions(label_pattern=PATTERN, test_sessions=("s2",)))
    assert result.warnings == ["the test split has no frame of class press"]
    with pytest.warns(DataWarning, match="the test split has no frame of class press"):
        load_splits(tmp_path / "w.h5")
    # ... and refused when the training split lacks it
    no_train = [p for p in paths if p.parent.name == "s2" or not p.name.startswith("press")]
    with pytest.raises(DataFileError, match="the training split has no frame of class press"):
        pack(no_train, tmp_path / "x.h5", PackOptions(label_pattern=PATTERN, test_sessions=("s2",)))
    with pytest.raises(DataFileError, match=r"the file name does not match --label-pattern"):
        pack(paths, tmp_path / "x.h5", PackOptions(label_pattern=r"(?P<label>zzz)"))
    with pytest.raises(DataFileError, match=r"label 'swipe' is not one of --classes press, empty"):
        pack(paths, tmp_path / "x.h5", PackOptions(label_pattern=PATTERN, classes=("press", "empty")))
    with pytest.raises(DataFileError, match=r"--test-session s7: no such session"):
        pack(paths, tmp_path / "x.h5", PackOptions(label_pattern=PATTERN, test_sessions=("s7",)))
    with pytest.raises(DataFileError, match="carries no labels; give --label-pattern or --intervals"):
        pack(paths, tmp_path / "x.h5", PackOptions())
    assert not (tmp_path / "x.h5").exists()
    pack(paths, tmp_path / "ok.h5", PackOptions(label_pattern=PATTERN))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every split has every class: no warning
        load_splits(tmp_path / "ok.h5")


A111 = SHARED_DIR / "data" / "acconeer_a111"
A121 = SHARED_DIR / "data" / "acconeer_a121"


@pytest.mark.skipif(not A121.is_dir() or not A111.is_dir(), reason="../shared recordings not found")
@pytest.mark.parametrize("path,why", [
    (A121 / "distance-5to20.h5", "2 subsweeps"),
    (A121 / "fr10Hz-spf4.h5", "4 sweeps per frame with gaps.*window_sweeps = hop = 4"),
    (A121 / "touchless_button_default.h5", "3 depths per sweep"),
    (A121 / "input.h5", "10 sweeps; one frame needs 20"),
    (A111 / "wave_to_exit" / "input.h5", "A111 sparse data is real-valued"),
    (A111 / "distance_detector" / "input.h5", "A111 envelope data is a real amplitude"),
], ids=lambda v: getattr(v, "stem", "")[:20])
def test_pack_names_recordings_it_cannot_use(tmp_path: Path, path: Path, why: str) -> None:
    with pytest.raises(DataFileError, match=rf"^{path}: cannot be preprocessed for the gesture "
                                            rf"pipeline: {why}"):
        # 30 x 20 frames: bursts of 4 sweeps with gaps and 3 depths cannot give them
        pack([path], tmp_path / "x.h5", PackOptions(label_pattern=r"(?P<label>\w+)\.h5",
                                                    window_sweeps=20, depth_bins=30))


def test_pack_a121_recordings(tmp_path: Path) -> None:
    from bad_input_seeds import write_a121_seed

    paths = []
    for s in range(3):
        for label in ("near", "far"):
            (tmp_path / f"s{s}").mkdir(exist_ok=True)
            paths.append(write_a121_seed(tmp_path / f"s{s}" / f"{label}_0.h5", frames=25))
    result = pack(paths, tmp_path / "ds.h5", PackOptions(label_pattern=PATTERN))
    assert result.classes == ["far", "near"] and result.recordings == 6
    ds = load_dataset(tmp_path / "ds.h5")
    first = ds.recordings[0]
    source = load_recording(paths[0])
    assert first.mode == "iq" and ds.info["packed"] and first.meta["generation"] == "a121"
    assert np.array_equal(first.iq_sweeps(), source.iq_sweeps())
    assert np.allclose(first.sample_times, source.times_s)
    assert load_splits(tmp_path / "ds.h5").train.x.shape[1:] == (30, 20)


def _a121_bursts(folder: Path, gestures: tuple[str, ...], frame_rate_hz: float) -> list[Path]:
    """Simulated A121 records: bursts of 16 sweeps at 1 kHz over 6 points, ``frame_rate_hz``
    bursts per second (a gap after each), three sessions, unlabeled (named by gesture)."""
    import h5py

    from sdk.radar.acconeer_a121 import write_h5
    from sdk.radar.sim_a121 import A121SimConfig, A121Subsweep, a121_gesture_recording

    cfg = A121SimConfig(sweeps_per_frame=16, frame_rate_hz=frame_rate_hz, frames=24,
                        subsweeps=(A121Subsweep(80, 6, 40, "PROFILE_3"),))
    paths = []
    for s in range(3):
        (folder / f"s{s}").mkdir(parents=True, exist_ok=True)
        for i, gesture in enumerate(gestures):
            rec = a121_gesture_recording(gesture, cfg, seed=1, session_id=s, index=i)
            paths.append(folder / f"s{s}" / f"{gesture.replace('_', '')}_0.h5")
            with h5py.File(paths[-1], "w") as h5:
                write_h5(h5, dataclasses.replace(rec, labels=None, label_names=None))
    return paths


def test_pack_a121_bursts_at_the_records_frame_rate_and_standardized(tmp_path: Path) -> None:
    """Bursts of 16 sweeps at 1 kHz, 60 bursts per second: the frames come at 60 Hz (the
    record's frame rate), not 1000 / 16 = 62.5; every depth row is standardized with the
    training split's mean and std (``--no-standardize`` leaves it out)."""
    from sdk.radar.preprocess import PreprocessConfig

    paths = _a121_bursts(tmp_path / "rec", ("tap_in", "empty"), 60.0)
    result = CliRunner().invoke(app, ["data", "pack", *map(str, paths), "--label-pattern",
                                      PATTERN, "--out", str(tmp_path / "ds.h5")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "(60 frames/s)" in text and "standardized per depth row" in text
    config = load_dataset(tmp_path / "ds.h5").preprocess
    assert (config.window_sweeps, config.hop, config.sweep_rate_hz) == (16, 16, 1000.0)
    assert config.burst_rate_hz == 60.0 and config.frame_rate_hz == 60.0
    assert PreprocessConfig.from_dict(config.to_dict()) == config
    splits = load_splits(tmp_path / "ds.h5")
    rows = splits.train.x.astype(np.float64).swapaxes(0, 1).reshape(6, -1)
    assert np.allclose(rows.mean(axis=1), 0.0, atol=1e-3)
    assert np.allclose(rows.std(axis=1), 1.0, atol=1e-2)
    assert np.abs(rows.mean(axis=1)).max() < np.abs(splits.test.x.mean(axis=(0, 2))).max() + 1e-3
    plain = pack(paths, tmp_path / "plain.h5", PackOptions(label_pattern=PATTERN,
                                                           standardize=False))
    assert "row_std" not in plain.preprocess and plain.preprocess["burst_rate_hz"] == 60.0


def test_preprocess_config_refuses_bad_standardization_and_burst_rate() -> None:
    from sdk.errors import ShapeError
    from sdk.radar.preprocess import PreprocessConfig

    with pytest.raises(ShapeError, match="row_mean and row_std need 30 values"):
        PreprocessConfig(row_mean=(0.1,) * 29, row_std=(0.2,) * 29)
    with pytest.raises(ShapeError, match="row_std must be >= 0.02"):
        PreprocessConfig(row_mean=(0.1,) * 30, row_std=(0.0,) * 30)
    with pytest.raises(ShapeError, match="one frame per burst"):
        PreprocessConfig(burst_rate_hz=10.0)  # hop 1 < window 20
    with pytest.raises(DataFileError, match="key 'row_std' must be"):
        PreprocessConfig.from_dict({"row_mean": [0.1] * 30, "row_std": ["x"] * 30})
    assert "row_std" not in PreprocessConfig().to_dict()  # configs without step 6 read as before
