"""``tinyprune quantize`` and ``tinyprune convert`` as a user runs them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, cli
from graphs import residual_net
from sdk.frontends.load import load_any
from sdk.ir import save_model


@pytest.fixture()
def files(tmp_path):
    g = residual_net(seed=1)
    model = save_model(g, tmp_path / "net.tpm")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 12, 10, 3)).astype(np.float32)
    # Labels the float model gets right, so the accuracies are meaningful numbers.
    from sdk.compress.report import predict_float

    y = predict_float(g, x, progress=False).argmax(1)
    np.savez(tmp_path / "calib.npz", x=x, y=y)
    np.save(tmp_path / "calib.npy", x)
    return tmp_path, model


def test_quantize_json_with_labels_writes_an_int8_model(files):
    tmp, model = files
    proc = cli("quantize", str(model), "--calib", "calib.npz", "--out", "net8.tpm", "--json",
               cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["float_accuracy"] == 1.0
    assert 0.9 <= doc["int8_accuracy"] <= 1.0
    assert [r["name"] for r in doc["layers"]] == [op.name for op in residual_net(1).ops]
    assert all(r["sqnr_db"] > 20 for r in doc["layers"])
    q = load_any(tmp / "net8.tpm")
    assert q.tensors[q.inputs[0]].dtype == "int8"
    assert q.tensors[q.inputs[0]].quant.scale[0] == pytest.approx(doc["input_scale"])


def test_quantize_table_without_labels_and_to_tflite(files):
    tmp, model = files
    proc = cli("quantize", str(model), "--calib", "calib.npy", "--out", "net8.tflite", cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert "SQNR" in proc.stdout and "conv1" in proc.stdout and "accuracy" not in proc.stdout
    assert load_any(tmp / "net8.tflite").tensors["conv1_w"].dtype == "int8"


def test_quantize_refuses_to_overwrite_without_force(files):
    tmp, model = files
    (tmp / "net8.tpm").write_bytes(b"keep me")
    assert_one_line_error(cli("quantize", str(model), "--calib", "calib.npy", "--out",
                              "net8.tpm", cwd=tmp), "net8.tpm", "--force")
    assert (tmp / "net8.tpm").read_bytes() == b"keep me"
    proc = cli("quantize", str(model), "--calib", "calib.npy", "--out", "net8.tpm", "--force",
               cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert load_any(tmp / "net8.tpm").tensors["input"].dtype == "int8"


@pytest.mark.parametrize("content, needles", [
    (b"not numpy at all", ("bad.npy", "not a .npy or .npz")),
    (None, ("bad.npy", "expected samples of shape [N, 12, 10, 3]", "[7, 3, 12, 10]")),
])
def test_quantize_bad_calibration_file_is_one_line(files, content, needles):
    tmp, model = files
    if content is None:
        np.save(tmp / "bad.npy", np.zeros((7, 3, 12, 10), np.float32))  # NCHW by mistake
    else:
        (tmp / "bad.npy").write_bytes(content)
    assert_one_line_error(cli("quantize", str(model), "--calib", "bad.npy", "--out",
                              "o.tpm", cwd=tmp), *needles)
    assert not (tmp / "o.tpm").exists()


def test_quantize_npz_without_x_names_the_field(files):
    tmp, model = files
    np.savez(tmp / "nox.npz", inputs=np.zeros((2, 12, 10, 3)))
    assert_one_line_error(cli("quantize", str(model), "--calib", "nox.npz", "--out", "o.tpm",
                              cwd=tmp), "field 'x'")


def test_convert_writes_tflite_of_a_quantized_model(files):
    tmp, model = files
    assert cli("quantize", str(model), "--calib", "calib.npy", "--out", "q.tpm",
               cwd=tmp).returncode == 0
    proc = cli("convert", "q.tpm", "--out", "q.tflite", cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    back = load_any(tmp / "q.tflite")
    np.testing.assert_array_equal(back.tensors["dense7_w"].data,
                                  load_any(tmp / "q.tpm").tensors["dense7_w"].data)
    assert_one_line_error(cli("convert", "q.tpm", "--out", "q.tflite", cwd=tmp), "--force")
