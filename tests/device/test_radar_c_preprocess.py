"""Acceptance of issue 3: a trained gesture CNN predicts the same class for every test frame
whether numpy or the C implementation (device/dsp, host gcc build) preprocessed it; and the
Doppler-mirror augmentation is exactly the frame of conjugated sweeps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from host.cli import app
from sdk.radar import preprocess as prep
from sdk.radar.augment import doppler_mirror, doppler_mirror_columns
from sdk.radar.c_preprocess import split_frames
from sdk.radar.dataset import load_dataset, load_splits, synthesize
from sdk.radar.simulator import SimConfig

need_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cprep") / "g.h5"
    synthesize(path, per_class=8, seed=5, sim=SimConfig(recordings_per_session=2))
    return path


@need_gcc
def test_c_frames_line_up_with_load_splits(dataset: Path) -> None:
    splits = load_splits(dataset)
    x_np, y_np = split_frames(dataset, "test", use_c=False)
    assert np.array_equal(x_np, splits.test.x) and np.array_equal(y_np, splits.test.y)
    x_c, y_c = split_frames(dataset, "test", use_c=True)
    assert np.array_equal(y_c, y_np) and x_c.shape == x_np.shape
    assert np.abs(x_c - x_np).max() <= 1e-4
    x_q, _ = split_frames(dataset, "test", use_c=True, q15=True)
    assert np.abs(x_q - x_np).max() <= 2 / 256  # 2 LSB of an 8-bit input quantization


@need_gcc
def test_train_c_preprocess_same_class_for_every_test_frame(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.tpm"
    result = CliRunner().invoke(app, ["train", "--data", str(dataset), "--out", str(out),
                                      "--epochs", "3", "--json", "--c-preprocess"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    check = doc["c_preprocess"]
    assert check["frames"] == doc["frames"]["test"] > 0
    assert check["differing_frames"] == 0
    assert check["test_accuracy_c"] == check["test_accuracy_numpy"] == doc["test_accuracy"]
    assert check["max_abs_frame_diff"] <= 1e-4


def test_doppler_mirror_is_the_frame_of_conjugated_sweeps() -> None:
    rec = _first_swipe_recording()
    sweeps = rec.iq_sweeps()
    frames = prep.frames(sweeps)
    mirrored = prep.frames(np.conj(sweeps))
    assert not np.allclose(frames, mirrored)  # a moving hand is not Doppler-symmetric
    assert np.allclose(frames[..., doppler_mirror_columns(20).numpy()], mirrored, atol=1e-5)
    batch = torch.as_tensor(frames[:, None])
    out = doppler_mirror(batch, torch.Generator().manual_seed(0))
    flipped = [not torch.equal(o, b) for o, b in zip(out, batch)]
    assert any(flipped) or len(flipped) < 3
    for o, b, f in zip(out, batch, flipped):
        assert torch.equal(o, b[..., doppler_mirror_columns(20)] if f else b)


def _first_swipe_recording():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.h5"
        synthesize(path, per_class=1, seed=3, sim=SimConfig(recordings_per_session=1))
        return load_dataset(path).recordings[0]  # swipe
