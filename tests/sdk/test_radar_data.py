"""Radar recordings, simulator, datasets, the reference preprocessing and `tinyprune data`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from host.cli import app
from sdk.errors import DataFileError, UnsupportedError
from sdk.paths import SHARED_DIR
from sdk.radar import preprocess as prep
from sdk.radar.dataset import load_dataset, load_splits, synthesize
from sdk.radar.recording import load_recording, save_recording
from sdk.radar.simulator import CLASSES, SimConfig

A111 = SHARED_DIR / "data" / "acconeer_a111"
RECORDINGS = sorted(A111.glob("*/input.h5")) if A111.is_dir() else []
need_shared = pytest.mark.skipif(not RECORDINGS, reason=f"shared A111 recordings not found in {A111}")


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("radar") / "g.h5"
    synthesize(path, per_class=10, seed=7, sim=SimConfig(recordings_per_session=2))
    return path


@need_shared
@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.parent.name)
def test_every_shared_recording_loads(path: Path) -> None:
    rec = load_recording(path)
    with h5py.File(path) as h5:
        assert rec.data.shape == h5["data"].shape
        assert rec.mode == h5["mode"][()].decode()
    assert rec.update_rate_hz > 0 and rec.sweep_rate_hz >= rec.update_rate_hz
    assert len(rec.times_s) == rec.n_updates and np.all(np.diff(rec.times_s) >= 0)
    start, end = rec.range_m
    assert 0 <= start < end


@need_shared
def test_shared_outputs_are_not_recordings() -> None:
    outputs = sorted(A111.glob("*/output*.h5"))
    assert outputs
    for path in outputs:
        with pytest.raises(DataFileError, match=rf"^{path}: not a radar recording: neither an A111 "
                                                 r"Record \(missing key 'mode'\) nor an A121"):
            load_recording(path)


@need_shared
def test_recorded_iq_round_trips_through_our_writer(tmp_path: Path) -> None:
    rec = load_recording(A111 / "obstacle_detection" / "input.h5")
    rec.labels = np.zeros(rec.n_updates, dtype=np.int64)
    rec.label_names = ["empty"]
    rec.preprocess = prep.PreprocessConfig()
    save_recording(tmp_path / "r.h5", rec)
    with pytest.raises(DataFileError, match="exists"):
        save_recording(tmp_path / "r.h5", rec)
    back = load_recording(tmp_path / "r.h5")
    assert np.array_equal(back.data, rec.data) and np.array_equal(back.sample_times, rec.sample_times)
    assert back.sensor_config == rec.sensor_config and back.extras == rec.extras
    assert back.preprocess == rec.preprocess and back.label_names == ["empty"]
    assert np.array_equal(prep.frames(back.iq_sweeps()), prep.frames(rec.iq_sweeps()))


def _copy(src: Path, dst: Path, drop: str | None = None, replace: dict | None = None) -> Path:
    with h5py.File(src) as a, h5py.File(dst, "w") as b:
        for key in a:
            if key == drop:
                continue
            if replace and key in replace:
                b.create_dataset(key, data=replace[key])
            else:
                a.copy(key, b)
    return dst


@pytest.mark.parametrize("drop", ["data", "mode", "sensor_config_dump", "session_info"])
def test_missing_key_names_file_and_key(small_dataset: Path, tmp_path: Path, drop: str) -> None:
    ds = load_dataset(small_dataset)
    src = tmp_path / "one.h5"
    save_recording(src, ds.recordings[0])
    bad = _copy(src, tmp_path / "bad.h5", drop=drop)
    with pytest.raises(DataFileError, match=rf"^{bad}: missing key '{drop}'"):
        load_recording(bad)


@pytest.mark.parametrize("key,value,message", [
    ("data", np.zeros((24, 1, 120), np.float32), "iq data must be complex"),
    ("data", np.zeros((24, 120), np.complex64), "needs 3 axes"),
    ("sample_times", np.zeros(5), "key 'sample_times'"),
    ("tinyprune_labels", np.full(24, 9, np.int16), "class index outside"),
    ("session_info", "{not json", "key 'session_info' is not valid JSON"),
])
def test_wrong_dtype_or_shape_names_the_key(small_dataset: Path, tmp_path: Path, key, value, message) -> None:
    src = tmp_path / "one.h5"
    save_recording(src, load_dataset(small_dataset).recordings[0])
    bad = _copy(src, tmp_path / "bad.h5", replace={key: value})
    with pytest.raises(DataFileError, match=message):
        load_recording(bad)


def test_truncated_and_garbage_files(small_dataset: Path, tmp_path: Path) -> None:
    blob = small_dataset.read_bytes()
    for name, content in [("trunc.h5", blob[: len(blob) // 3]), ("garbage.h5", b"not hdf5" * 100)]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(DataFileError, match=rf"^{path}: "):
            load_dataset(path)
    with pytest.raises(DataFileError, match="no such file"):
        load_recording(tmp_path / "absent.h5")


def test_streaming_equals_batch() -> None:
    rng = np.random.default_rng(1)
    for depths, config in [(120, prep.PreprocessConfig()),
                           (97, prep.PreprocessConfig(window="hann_symmetric")),
                           (40, prep.PreprocessConfig(window_sweeps=12, depth_bins=8))]:
        sweeps = (rng.normal(size=(50, depths)) + 1j * rng.normal(size=(50, depths))) * 80
        batch = prep.frames(sweeps, config)
        stream = prep.StreamingPreprocessor(config)
        out = [f for f in (stream.push(s) for s in sweeps) if f is not None]
        assert batch.shape == (50 - config.window_sweeps + 1, *config.frame_shape)
        assert np.array_equal(np.stack(out), batch)


def test_preprocessing_matches_its_definition() -> None:
    """A tone at Doppler bin +3 in depth bin 4 lands in row 4, column 10 + 3, at its dB level."""
    n, cfg = 20, prep.PreprocessConfig()
    m = np.arange(n)
    sweeps = np.zeros((n, 60), complex)
    sweeps[:, 8:10] = (100.0 * np.exp(2j * np.pi * 3 * m / n))[:, None]  # bins 4 is depths 8-9
    frame = prep.frames(sweeps, cfg)[0]
    expected = (20 * np.log10(100.0) - cfg.floor_db) / (cfg.ceil_db - cfg.floor_db)
    assert frame[4, 13] == pytest.approx(expected, abs=1e-6)
    # periodic Hann leaks a tone only into the neighbouring bins, at half amplitude
    assert frame[4, 12] == pytest.approx(expected - 20 * np.log10(2) / 60, abs=1e-6)
    frame[4, 12:15] = 0
    assert frame.max() == 0.0
    assert prep.window_table(20)[0] == 0 and prep.window_table(20)[-1] > 0
    assert prep.window_table(20, "hann_symmetric")[-1] == pytest.approx(0)


def test_config_round_trip_and_errors() -> None:
    cfg = prep.PreprocessConfig(floor_db=5.0)
    assert prep.PreprocessConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(DataFileError, match="unknown key 'bins'"):
        prep.PreprocessConfig.from_dict({"bins": 3})
    with pytest.raises(DataFileError, match="key 'depth_bins' must be int"):
        prep.PreprocessConfig.from_dict({"depth_bins": "30"})
    with pytest.raises(UnsupportedError, match="not supported: window 'hamming'"):
        prep.PreprocessConfig(window="hamming")


def test_simulator_is_deterministic_and_balanced(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.h5", tmp_path / "b.h5", tmp_path / "c.h5"
    for path, seed in ((a, 3), (b, 3), (c, 4)):
        synthesize(path, per_class=6, seed=seed, sim=SimConfig(recordings_per_session=2))
    ra, rb, rc = (load_dataset(p).recordings for p in (a, b, c))
    assert len(ra) == 6 * len(CLASSES)
    assert all(np.array_equal(x.data, y.data) for x, y in zip(ra, rb))
    assert not np.array_equal(ra[0].data, rc[0].data)
    counts = np.bincount([int(r.labels[0]) for r in ra], minlength=len(CLASSES))
    assert counts.tolist() == [6] * len(CLASSES)
    times = ra[0].times_s
    assert np.all(np.diff(times) > 0) and np.median(np.diff(times)) == pytest.approx(1 / 18, rel=0.05)
    with pytest.raises(DataFileError, match="exists"):
        synthesize(a, per_class=1, seed=0)


def test_splits_never_share_a_session(small_dataset: Path) -> None:
    sp = load_splits(small_dataset)
    parts = [set(np.unique(s.sessions)) for s in (sp.train, sp.val, sp.test)]
    assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    for split in (sp.train, sp.val, sp.test):
        assert split.x.dtype == np.float32 and split.x.shape[1:] == (30, 20)
        assert split.x.min() >= 0 and split.x.max() <= 1
        assert np.bincount(split.y, minlength=4).min() > 0
    assert sp.classes == list(CLASSES)


def test_empty_frames_are_darker_than_gestures(small_dataset: Path) -> None:
    sp = load_splits(small_dataset)
    x = np.concatenate([sp.train.x, sp.val.x, sp.test.x])
    y = np.concatenate([sp.train.y, sp.val.y, sp.test.y])
    energy = [x[y == k].mean() for k in range(4)]
    assert energy[CLASSES.index("empty")] < min(energy[:3])


runner = CliRunner()


def test_cli_synth_info_show(tmp_path: Path) -> None:
    out = tmp_path / "g.h5"
    result = runner.invoke(app, ["data", "synth", "--per-class", "3", "--seed", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["data", "synth", "--per-class", "3", "--out", str(out)])
    assert again.exit_code != 0 and "exists" in str(again.exception)
    result = runner.invoke(app, ["data", "info", str(out), "--json"])
    info = json.loads(result.stdout)
    assert info["mode"] == "iq" and info["sweep_rate_hz"] == 18.0 and info["shape"][0] == 12
    assert info["class_counts"] == {name: 3 for name in CLASSES}
    png = tmp_path / "f.png"
    result = runner.invoke(app, ["data", "show", str(out), "--out", str(png)])
    assert result.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG"


@need_shared
def test_cli_info_on_shared_recordings() -> None:
    for path in RECORDINGS:
        info = json.loads(runner.invoke(app, ["data", "info", str(path), "--json"]).stdout)
        with h5py.File(path) as h5:
            assert info["shape"] == list(h5["data"].shape)
            assert info["mode"] == h5["mode"][()].decode()
        assert info["sweep_rate_hz"] > 0


def test_cli_bad_file_is_one_line(tmp_path: Path) -> None:
    tinyprune = shutil.which("tinyprune", path=str(Path(__file__).resolve().parents[2] / ".venv" / "bin"))
    if tinyprune is None:
        pytest.skip("the tinyprune console script is not installed in .venv")
    import subprocess

    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    proc = subprocess.run([tinyprune, "data", "info", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and str(bad) in proc.stderr and "Traceback" not in proc.stderr
