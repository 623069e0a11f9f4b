"""The int8 reference executor is bit-exact with the pinned TFLite Micro interpreter."""

from __future__ import annotations

import numpy as np
import pytest

runtime = pytest.importorskip(
    "tflite_micro.python.tflite_micro.runtime",
    reason="bit-exactness is checked against the pip tflite-micro interpreter ('interop' extra)")

import sdk.reference.context as reference_context  # noqa: E402
from mlperf_tiny import AD, KWS, ad_windows, kws_sample, model_path  # noqa: E402
from sdk.frontends.tflite import load_tflite  # noqa: E402
from sdk.quant.arith import _i64  # noqa: E402
from sdk.quant.layer_params import quantize_float  # noqa: E402
from sdk.reference.int8_executor import run_int8, trace_int8  # noqa: E402
from tflite_builder import TinyModel, fb  # noqa: E402


def _tflm(model: bytes, preserve: bool = False):
    config = (runtime.InterpreterConfig.kPreserveAllTensors if preserve
              else runtime.InterpreterConfig.kAllocationRecording)
    return runtime.Interpreter.from_bytes(model, intrepreter_config=config)


def _tflm_output(interp, x: np.ndarray) -> np.ndarray:
    interp.set_input(x, 0)
    interp.invoke()
    return interp.get_output(0)


def _random_input(g, rng, n: int) -> list[np.ndarray]:
    t = g.tensors[g.inputs[0]]
    if t.dtype == "float32":
        return [rng.normal(0, 2, t.shape).astype(np.float32) for _ in range(n)]
    return [rng.integers(-128, 128, t.shape).astype(np.int8) for _ in range(n)]


def _assert_bit_exact(g, model: bytes, inputs: list[np.ndarray]) -> None:
    interp = _tflm(model)
    for k, x in enumerate(inputs):
        ref = _tflm_output(interp, x)
        ours = run_int8(g, x)[g.outputs[0]]
        assert ours.dtype == ref.dtype
        mismatch = np.flatnonzero(ours != ref)
        assert mismatch.size == 0, (
            f"input {k}: {mismatch.size} of {ref.size} outputs differ, first at {mismatch[0]}: "
            f"ours {ours.flat[mismatch[0]]}, TFLM {ref.flat[mismatch[0]]}")


# -- the MLPerf Tiny models ------------------------------------------------------------------

def test_kws_bit_exact_on_shipped_and_random_inputs():
    path = model_path(KWS)
    g = load_tflite(path)
    rng = np.random.default_rng(4)
    _assert_bit_exact(g, path.read_bytes(), [kws_sample()] + _random_input(g, rng, 4))


def test_kws_every_intermediate_tensor_matches_tflm():
    path = model_path(KWS)
    g = load_tflite(path)
    interp = _tflm(path.read_bytes(), preserve=True)
    x = kws_sample()
    _tflm_output(interp, x)
    trace = trace_int8(g, x)
    assert [name for name, _, _ in trace] == [op.name for op in g.ops]
    for op_name, tensor, ours in trace:
        ref = interp.GetTensor(g.tensors[tensor].meta["tflite_index"], 0)["tensor_data"]
        np.testing.assert_array_equal(ours.reshape(ref.shape), ref, err_msg=op_name)


def test_ad_bit_exact_on_all_shipped_windows_and_random_inputs():
    path = model_path(AD)
    g = load_tflite(path)
    q = g.tensors[g.inputs[0]].quant
    windows = [quantize_float(w[None, :], q.scale[0], q.zero_point[0]).astype(np.int8)
               for w in ad_windows()]
    assert len(windows) == 40
    _assert_bit_exact(g, path.read_bytes(), windows + _random_input(g, np.random.default_rng(5), 4))


def _single_rounding(x, multiplier, shift):
    x, shift = _i64(x), _i64(shift)
    total = 31 - shift
    return (x * _i64(multiplier) + (np.int64(1) << (total - 1))) >> total


def test_multiplier_rounding_is_tflm_double_rounding(monkeypatch):
    """With LiteRT's single-rounding requantization the AD outputs move off TFLite Micro's
    (anchors.md: up to 2 LSB): the double rounding in sdk.quant is the one that matches."""
    path = model_path(AD)
    g = load_tflite(path)
    q = g.tensors[g.inputs[0]].quant
    x = quantize_float(ad_windows()[:1], q.scale[0], q.zero_point[0]).astype(np.int8)
    ref = _tflm_output(_tflm(path.read_bytes()), x)
    np.testing.assert_array_equal(run_int8(g, x)[g.outputs[0]], ref)
    monkeypatch.setattr(reference_context, "multiply_by_quantized_multiplier", _single_rounding)
    single = run_int8(g, x)[g.outputs[0]]
    assert 0 < np.abs(single.astype(int) - ref).max() <= 2


# -- random small graphs of every supported op ----------------------------------------------

def _weights(rng, shape, channels_axis):
    channels = shape[channels_axis]
    return rng.integers(-127, 128, shape), rng.uniform(0.002, 0.02, channels)


def _build(tmp_path, m: TinyModel, inputs, outputs):
    model = m.to_bytes(inputs, outputs)
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    return load_tflite(path), model


def test_conv_stride2_same_asymmetric_padding_relu6(tmp_path):
    rng = np.random.default_rng(10)
    m = TinyModel()
    x = m.tensor((1, 10, 8, 3), scale=0.05, zero_point=7)
    w, ws = _weights(rng, (6, 3, 3, 3), 0)
    wt = m.tensor(w.shape, scale=ws, data=w)
    b = m.tensor((6,), "int32", scale=0.05 * ws, data=rng.integers(-4000, 4000, 6))
    y = m.tensor((1, 5, 4, 6), scale=0.03, zero_point=-128)
    m.op(fb.BuiltinOperator.CONV_2D, [x, wt, b], [y], fb.BuiltinOptions.Conv2DOptions,
         m.conv_options(2, "same", "relu6"))
    g, model = _build(tmp_path, m, [x], [y])
    assert g.ops[0].attrs["padding"] == [0, 1, 0, 1]
    _assert_bit_exact(g, model, _random_input(g, rng, 5))


def test_depthwise_multiplier_2_relu(tmp_path):
    rng = np.random.default_rng(11)
    m = TinyModel()
    x = m.tensor((1, 7, 7, 4), scale=0.1, zero_point=-3)
    w, ws = _weights(rng, (1, 3, 3, 8), 3)
    wt = m.tensor(w.shape, scale=ws, axis=3, data=w)
    b = m.tensor((8,), "int32", scale=0.1 * ws, data=rng.integers(-500, 500, 8))
    y = m.tensor((1, 7, 7, 8), scale=0.02, zero_point=-100)
    m.op(fb.BuiltinOperator.DEPTHWISE_CONV_2D, [x, wt, b], [y],
         fb.BuiltinOptions.DepthwiseConv2DOptions,
         m.conv_options(1, "same", "relu", depthwise=True, multiplier=2))
    g, model = _build(tmp_path, m, [x], [y])
    _assert_bit_exact(g, model, _random_input(g, rng, 5))


@pytest.mark.parametrize("per_channel", [False, True])
def test_fully_connected_on_4d_input(tmp_path, per_channel):
    rng = np.random.default_rng(12)
    m = TinyModel()
    x = m.tensor((1, 2, 3, 4), scale=0.12775537371635437, zero_point=9)
    w = rng.integers(-127, 128, (10, 24))
    ws = rng.uniform(0.005, 0.02, 10) if per_channel else 0.014219548553228378
    wt = m.tensor(w.shape, scale=ws, data=w)
    b = m.tensor((10,), "int32", scale=0.12775537371635437 * np.asarray(ws),
                 data=rng.integers(-2000, 2000, 10))
    y = m.tensor((1, 10), scale=0.030077027156949043, zero_point=-20)
    m.op(fb.BuiltinOperator.FULLY_CONNECTED, [x, wt, b], [y],
         fb.BuiltinOptions.FullyConnectedOptions, m.act_options(fb.FullyConnectedOptionsT))
    g, model = _build(tmp_path, m, [x], [y])
    _assert_bit_exact(g, model, _random_input(g, rng, 20))


def test_max_pool_same_stride2_with_relu(tmp_path):
    rng = np.random.default_rng(13)
    m = TinyModel()
    x = m.tensor((1, 9, 6, 5), scale=0.1, zero_point=20)
    y = m.tensor((1, 5, 3, 5), scale=0.1, zero_point=20)
    m.op(fb.BuiltinOperator.MAX_POOL_2D, [x], [y], fb.BuiltinOptions.Pool2DOptions,
         m.pool_options(3, 2, "same", "relu"))
    g, model = _build(tmp_path, m, [x], [y])
    _assert_bit_exact(g, model, _random_input(g, rng, 5))


def test_avg_pool_rounding(tmp_path):
    """SAME padding makes border windows average 4 or 6 values, not 9: sums with a remainder of
    exactly half the count are rounded away from zero with C's truncating division."""
    rng = np.random.default_rng(14)
    m = TinyModel()
    x = m.tensor((1, 8, 8, 16), scale=0.1, zero_point=-5)
    y = m.tensor((1, 4, 4, 16), scale=0.1, zero_point=-5)
    m.op(fb.BuiltinOperator.AVERAGE_POOL_2D, [x], [y], fb.BuiltinOptions.Pool2DOptions,
         m.pool_options(3, 2, "same"))
    g, model = _build(tmp_path, m, [x], [y])
    # Small values so that many window sums are negative and many land on exact .5 ties.
    inputs = [rng.integers(-3, 4, (1, 8, 8, 16)).astype(np.int8) for _ in range(5)]
    inputs += _random_input(g, rng, 3)
    _assert_bit_exact(g, model, inputs)
    # The bottom-right window covers 2x2 inputs: -1 - 1 + 0 + 0 = -2 -> -0.5 -> -1, 1+1+0+0 -> 1.
    corner = np.zeros((1, 8, 8, 16), np.int8)
    corner[0, 6:8, 6:8, 0] = [[-1, -1], [0, 0]]
    corner[0, 6:8, 6:8, 1] = [[1, 1], [0, 0]]
    out = run_int8(g, corner)[g.outputs[0]]
    assert out[0, 3, 3, 0] == -1 and out[0, 3, 3, 1] == 1
    _assert_bit_exact(g, model, [corner])


def test_residual_add_with_different_scales(tmp_path):
    rng = np.random.default_rng(15)
    m = TinyModel()
    x = m.tensor((1, 6, 6, 4), scale=0.07, zero_point=-10)
    w, ws = _weights(rng, (4, 3, 3, 4), 0)
    wt = m.tensor(w.shape, scale=ws, data=w)
    b = m.tensor((4,), "int32", scale=0.07 * ws, data=rng.integers(-1000, 1000, 4))
    y = m.tensor((1, 6, 6, 4), scale=0.11, zero_point=3)
    m.op(fb.BuiltinOperator.CONV_2D, [x, wt, b], [y], fb.BuiltinOptions.Conv2DOptions,
         m.conv_options(1, "same"))
    z = m.tensor((1, 6, 6, 4), scale=0.15, zero_point=-128)
    m.op(fb.BuiltinOperator.ADD, [y, x], [z], fb.BuiltinOptions.AddOptions,
         m.act_options(fb.AddOptionsT, "relu"))
    g, model = _build(tmp_path, m, [x], [z])
    assert g.ops[1].inputs == [g.ops[0].outputs[0], g.inputs[0]]  # a DAG, not a chain
    _assert_bit_exact(g, model, _random_input(g, rng, 5))


def test_quantize_requantize_reshape_dequantize(tmp_path):
    rng = np.random.default_rng(16)
    m = TinyModel()
    f = m.tensor((1, 4, 4, 3), "float32")
    q = m.tensor((1, 4, 4, 3), scale=0.02, zero_point=4)
    m.op(fb.BuiltinOperator.QUANTIZE, [f], [q])
    r = m.tensor((1, 4, 4, 3), scale=0.037, zero_point=-7)
    m.op(fb.BuiltinOperator.QUANTIZE, [q], [r])  # int8 -> int8 requantization
    shape = m.tensor((2,), "int32", data=np.array([1, 48]))
    s = m.tensor((1, 48), scale=0.037, zero_point=-7)
    m.op(fb.BuiltinOperator.RESHAPE, [r, shape], [s])
    d = m.tensor((1, 48), "float32")
    m.op(fb.BuiltinOperator.DEQUANTIZE, [s], [d])
    g, model = _build(tmp_path, m, [f], [d])
    assert [op.type for op in g.ops] == ["Quantize", "Quantize", "Reshape", "Dequantize"]
    inputs = _random_input(g, rng, 5)
    # Exact ties of the float -> int8 rounding: multiples of half the scale.
    inputs.append((rng.integers(-300, 300, (1, 4, 4, 3)) * 0.01).astype(np.float32))
    _assert_bit_exact(g, model, inputs)


@pytest.mark.parametrize("scale, beta", [(0.14469251, 1.0), (0.01, 1.0), (0.5, 0.7),
                                         (1.5, 1.0), (0.002, 3.0)])
def test_int8_softmax(tmp_path, scale, beta):
    """gemmlowp fixed-point exp and reciprocal over rows of 10 classes, for narrow and wide
    input scales (wide ones push differences past diff_min, which output -128)."""
    rng = np.random.default_rng(17)
    m = TinyModel()
    x = m.tensor((16, 10), scale=scale, zero_point=rng.integers(-20, 20))
    y = m.tensor((16, 10), scale=1 / 256, zero_point=-128)
    opts = fb.SoftmaxOptionsT()
    opts.beta = beta
    m.op(fb.BuiltinOperator.SOFTMAX, [x], [y], fb.BuiltinOptions.SoftmaxOptions, opts)
    g, model = _build(tmp_path, m, [x], [y])
    inputs = _random_input(g, rng, 4)
    inputs.append(np.tile(np.arange(-128, 127, 26, dtype=np.int8)[:10], (16, 1)))
    _assert_bit_exact(g, model, inputs)
