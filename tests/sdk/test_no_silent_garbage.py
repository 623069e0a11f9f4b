"""Atomic writes, strict JSON, and the refusals of non-finite data (issue 10, items 2 and 3)."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
import torch
from torch import nn

from graphs import residual_net
from host.console import emit_json
from sdk.atomic import atomic_path, write_bytes_atomic
from sdk.compress.quantize import quantize_graph
from sdk.errors import ShapeError, TinypruneError
from sdk.train.loop import train_classifier


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")
    assert target.read_bytes() == b"old"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_atomic_write_refuses_a_folder_or_a_missing_folder(tmp_path):
    with pytest.raises(TinypruneError, match="is a folder"):
        write_bytes_atomic(tmp_path, b"x")
    with pytest.raises(TinypruneError, match="does not exist"):
        write_bytes_atomic(tmp_path / "no" / "file", b"x")


def test_json_is_strict_and_maps_non_finite_to_null():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        emit_json({"a": float("nan"), "b": [np.float32(np.inf), 1.5], "c": np.array([-np.inf, 2])})
    assert json.loads(out.getvalue(), parse_constant=pytest.fail) == \
        {"a": None, "b": [None, 1.5], "c": [None, 2.0]}


def test_quantization_refuses_non_finite_calibration():
    x = np.random.default_rng(0).normal(size=(4, 12, 10, 3)).astype(np.float32)
    x[2, 3, 4, 1] = np.nan
    with pytest.raises(ShapeError, match="non-finite"):
        quantize_graph(residual_net(seed=1), x, progress=False)


def test_training_stops_when_the_loss_is_not_finite():
    x = np.ones((8, 1, 4, 4), np.float32)
    x[3] = np.inf
    y = np.arange(8) % 2
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(TinypruneError, match="loss is nan"):
        train_classifier(model, (x, y), (x, y), epochs=2, lr=0.1, batch_size=8, seed=0,
                         progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
