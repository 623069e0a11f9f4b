"""Post-training quantization: the int8 graph's form, its agreement with float, and MNIST."""

from __future__ import annotations

import numpy as np
import pytest

from graphs import GraphBuilder, residual_net
from sdk.compress.quantize import activation_params, calibrate, quantize_graph
from sdk.compress.report import accuracy, layer_report, predict_float, predict_int8
from sdk.errors import ShapeError, UnsupportedError
from sdk.reference import run_int8


@pytest.fixture(scope="module")
def nets():
    g = residual_net(0)
    x = np.random.default_rng(0).normal(size=(160, 12, 10, 3)).astype(np.float32)
    return g, quantize_graph(g, x[:100], progress=False), x[100:]


def test_activation_params_hand_computed():
    p = activation_params(0.0, 5.1)  # ReLU output: zero point at the bottom
    assert (p.scale[0], p.zero_point[0]) == (np.float32(0.02), -128)
    p = activation_params(-1.0, 1.0)  # -128 + 127.5 = -0.5 rounds away from zero
    assert (p.scale[0], p.zero_point[0]) == (np.float32(2 / 255), -1)
    p = activation_params(0.5, 2.0)  # the range is widened to include 0
    assert (p.scale[0], p.zero_point[0]) == (np.float32(2 / 255), -128)


def test_weights_are_per_channel_symmetric_along_the_output_axis(nets):
    g, q, _ = nets
    axes = {"Conv2D": 0, "Dense": 0, "DepthwiseConv2D": 3}
    checked = 0
    for op in q.ops:
        if op.type not in axes:
            continue
        w, wf = q.tensors[op.inputs[1]], g.tensors[op.inputs[1]].data
        axis = axes[op.type]
        assert w.dtype == "int8" and w.quant.axis == axis
        assert w.quant.scale.size == w.shape[axis] and not w.quant.zero_point.any()
        assert w.data.min() >= -127 and w.data.max() <= 127
        per_channel_max = np.abs(np.moveaxis(w.data, axis, 0).reshape(w.shape[axis], -1)).max(1)
        assert (per_channel_max == 127).all()  # each channel uses its full range
        shape = [1] * w.data.ndim
        shape[axis] = -1
        scale = w.quant.scale.reshape(shape)
        assert np.abs(wf - w.data * scale).max() <= (scale / 2 * 1.0001).max()
        b = q.tensors[op.inputs[2]]
        in_scale = np.float32(q.tensors[op.inputs[0]].quant.scale[0])
        assert b.dtype == "int32" and not b.quant.zero_point.any()
        np.testing.assert_array_equal(np.float32(b.quant.scale),
                                      in_scale * np.float32(w.quant.scale))
        checked += 1
    assert checked == 4


def test_activation_params_follow_tflite_rules(nets):
    g, q, _ = nets
    assert all(q.tensors[n].dtype == "int8" for n in q.inputs + q.outputs)
    for op in q.ops:
        out = q.tensors[op.outputs[0]]
        assert out.dtype == "int8" and out.quant.scale.size == 1 and out.quant.axis is None
        if op.type in ("MaxPool2D", "Reshape"):
            assert out.quant is q.tensors[op.inputs[0]].quant or (
                out.quant.to_json() == q.tensors[op.inputs[0]].quant.to_json())
        if op.type == "Softmax":
            assert (out.quant.scale[0], out.quant.zero_point[0]) == (1 / 256, -128)
        if op.attrs.get("activation") in ("relu", "relu6"):
            assert out.quant.zero_point[0] == -128  # range starts at 0 after the activation
    assert all(t.dtype == "float32" for t in g.tensors.values())  # the input is untouched


def test_int8_agrees_with_float_on_held_out_samples(nets):
    g, q, x = nets
    pf, pq = predict_float(g, x, progress=False), predict_int8(q, x, progress=False)
    assert np.abs(pf - pq).max() < 0.05
    assert np.mean(pf.argmax(1) == pq.argmax(1)) >= 0.95
    rows = layer_report(g, q, x, progress=False)
    assert [r.name for r in rows] == [op.name for op in q.ops]
    assert min(r.sqnr_db for r in rows) > 25.0
    # the report's error is a real comparison: a corrupted weight shows up in its layer
    q.tensors["conv3_w"].data[...] = 0
    broken = {r.name: r for r in layer_report(g, q, x, progress=False)}
    assert broken["conv3"].sqnr_db < 1.0
    assert broken["conv1"].sqnr_db == rows[0].sqnr_db


def test_percentile_calibration_ignores_outliers():
    b = GraphBuilder("one_conv", (1, 6, 6, 1), 0)
    g = b.finish(b.conv("input", 2))
    x = np.random.default_rng(1).normal(size=(50, 6, 6, 1)).astype(np.float32)
    x[0, 0, 0, 0] = 40.0
    full = calibrate(g, x, progress=False)["input"]
    clipped = calibrate(g, x, percentile=99.9, progress=False)["input"]
    assert full[1] == pytest.approx(40.0)
    assert clipped[1] < 5.0 and clipped[0] == pytest.approx(full[0], abs=1.5)
    q = quantize_graph(g, x, percentile=99.9, progress=False)
    assert q.tensors["input"].quant.scale[0] < 10 / 255
    run_int8(q, np.zeros((1, 6, 6, 1), np.int8))


def test_bad_inputs_give_one_line_errors(nets):
    g, q, x = nets
    with pytest.raises(ShapeError, match=r"calibration data: expected samples of shape "
                                         r"\[N, 12, 10, 3\].*got \[5, 10, 12, 3\]"):
        quantize_graph(g, np.zeros((5, 10, 12, 3)), progress=False)
    with pytest.raises(UnsupportedError, match="already int8"):
        quantize_graph(q, x, progress=False)


def test_accuracy_helper():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]])
    assert accuracy(scores, np.array([1, 1, 0])) == pytest.approx(2 / 3)


def test_mnist_int8_within_0_3_points_of_float():
    from sdk.paths import SHARED_DIR

    if not (SHARED_DIR / "data" / "mnist").is_dir():
        pytest.skip(f"{SHARED_DIR / 'data' / 'mnist'} not found: the MNIST digits live in "
                    "../shared, which only the project's own checkout has")
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    from sdk.train.mnist import train_and_quantize_mnist

    result, _, qgraph = train_and_quantize_mnist(epochs=1, max_train=3000, progress=False)
    assert result.float_accuracy > 0.9  # it did learn, so the comparison means something
    assert abs(result.drop_points) <= 0.3, result
    assert qgraph.tensors[qgraph.inputs[0]].dtype == "int8"
