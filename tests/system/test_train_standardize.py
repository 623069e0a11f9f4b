"""`tinyprune train --standardize/--no-standardize` (issue 17): the per-depth-row
standardization (preprocessing step 6) calibrated on the training split only, stored with the
model, the same frames in C, equal to what `data pack` calibrates, and refused in one line
where it cannot run (binary networks, the MSP430's q15 gesture app)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from a121_style import PATTERN, THREE, record_a121_gestures

from cli_helpers import assert_one_line_error, cli
from sdk.ir import load_model
from sdk.radar.dataset import load_dataset, load_splits, recording_sessions, synthesize
from sdk.radar.pack import PackOptions, pack
from sdk.radar.preprocess import PreprocessConfig, calibrate_standardization
from sdk.radar.simulator import SimConfig

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("std") / "g.h5"
    synthesize(path, per_class=8, seed=5, sim=SimConfig(recordings_per_session=2))  # 4 sessions
    return path


@pytest.fixture(scope="module")
def trained(dataset: Path) -> tuple[Path, dict]:
    folder = dataset.parent
    proc = cli("train", "--data", str(dataset), "--out", str(folder / "m.tpm"), "--epochs", "1",
               "--standardize", "--int8", "--json",
               *(["--c-preprocess"] if shutil.which("gcc") else []), cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return folder / "m.tpm", json.loads(proc.stdout)


def test_standardize_is_calibrated_on_the_training_split_only(dataset: Path, trained) -> None:
    model, report = trained
    ds = load_dataset(dataset)
    train_sessions = set(np.unique(load_splits(dataset).train.sessions).tolist())
    sessions = recording_sessions(ds)
    train = [r.iq_sweeps() for r, s in zip(ds.recordings, sessions) if int(s) in train_sessions]
    expected = calibrate_standardization(train, ds.preprocess)
    everything = calibrate_standardization([r.iq_sweeps() for r in ds.recordings], ds.preprocess)
    assert len(train) < len(ds.recordings) and expected.row_mean != everything.row_mean
    for path in (model, model.with_name("m_int8.tpm")):
        stored = PreprocessConfig.from_dict(load_model(path).metadata["preprocess"])
        assert stored == expected  # with the model, float and int8
    assert not load_dataset(dataset).preprocess.standardized  # the dataset stays as it was
    # the training frames are the standardized ones: each depth row centred, unit spread
    x = load_splits(dataset, standardize=True).train.x
    assert np.abs(x.mean(axis=(0, 2))).max() < 1e-3
    assert np.allclose(x.std(axis=(0, 2)), 1.0, atol=1e-3)
    if "c_preprocess" in report:  # the C float path makes the same standardized frames
        check = report["c_preprocess"]
        assert check["frames"] == report["frames"]["test"] > 0
        assert check["differing_frames"] == 0
        assert check["max_abs_frame_diff"] <= 1e-4 / min(expected.row_std)


def test_train_calibrates_as_data_pack_does_and_no_standardize_removes_it(tmp_path: Path) -> None:
    paths = record_a121_gestures(tmp_path / "rec", THREE)
    packed = tmp_path / "std.h5"
    plain = tmp_path / "plain.h5"
    pack(paths, packed, PackOptions(label_pattern=PATTERN))
    pack(paths, plain, PackOptions(label_pattern=PATTERN, standardize=False))
    by_pack, without = load_dataset(packed).preprocess, load_dataset(plain).preprocess
    assert by_pack.standardized and not without.standardized
    by_train = load_splits(plain, standardize=True)
    assert by_train.preprocess == by_pack
    np.testing.assert_array_equal(by_train.train.x, load_splits(packed).train.x)
    removed = load_splits(packed, standardize=False)
    assert removed.preprocess == without
    assert removed.test.x.min() >= 0.0 and removed.test.x.max() <= 1.0
    np.testing.assert_array_equal(removed.test.x, load_splits(plain).test.x)
    # --binary cannot take the packed standardized frames
    proc = cli("train", "--binary", "--data", str(packed), "--out", str(tmp_path / "b.tpm"),
               "--epochs", "1", cwd=tmp_path)
    assert_one_line_error(proc, "--binary with standardized frames", "std.h5",
                          "--no-standardize")
    assert not (tmp_path / "b.tpm").exists()


def test_the_q15_gesture_app_refuses_a_standardized_model(trained, tmp_path: Path) -> None:
    model, _ = trained
    proc = cli("build", str(model.with_name("m_int8.tpm")), "--board", "msp430fr6989", "--app",
               "gesture", "--out", str(tmp_path / "fw"), cwd=tmp_path)
    assert_one_line_error(proc, "not supported", "standardized preprocessing",
                          "msp430fr6989", "--no-standardize")
    assert not (tmp_path / "fw").exists()


def test_a_model_is_evaluated_on_frames_made_as_it_was_trained(dataset: Path, trained) -> None:
    """`prune`, `ber sweep` and the binary prune read a dataset through the model's own
    preprocessing (sdk.radar.dataset.model_splits): the standardized frames for a model
    trained with --standardize, and a one-line error naming both for another layout."""
    from sdk.errors import DataFileError
    from sdk.radar.dataset import model_splits

    model, _ = trained
    meta = load_model(model).metadata["preprocess"]
    splits = model_splits(dataset, meta, "model m.tpm")
    assert splits.preprocess.to_dict() == meta
    np.testing.assert_array_equal(splits.test.x, load_splits(dataset, standardize=True).test.x)
    other = PreprocessConfig(window_sweeps=16).to_dict()
    with pytest.raises(DataFileError, match=r"g\.h5: its preprocessing differs from model "
                                            r"m\.tpm's \(dataset vs model: window_sweeps 20 vs 16"):
        model_splits(dataset, other, "model m.tpm")
