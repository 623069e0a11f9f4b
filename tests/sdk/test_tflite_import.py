""".tflite import: the MLPerf Tiny models become IR graphs; bad and unsupported files fail early."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tflite_micro", reason="the .tflite reader needs the 'interop' extra "
                    "(tflite-micro's schema bindings)")

from mlperf_tiny import AD, KWS, model_path  # noqa: E402
from sdk.errors import ModelFileError, UnsupportedError  # noqa: E402
from sdk.frontends.load import load_any  # noqa: E402
from sdk.frontends.tflite import SUPPORTED_OPS, load_tflite  # noqa: E402
from sdk.ir import save_model  # noqa: E402
from tflite_builder import TinyModel, fb  # noqa: E402


def _macs(g) -> int:
    return sum(g.macs(op) for op in g.ops)


def _weight_bytes(g) -> int:
    return sum(t.nbytes for t in g.tensors.values() if t.is_constant)


def test_kws_imports_with_shapes_macs_and_quantization():
    g = load_tflite(model_path(KWS))
    assert [op.type for op in g.ops] == (["Conv2D"] + ["DepthwiseConv2D", "Conv2D"] * 4
                                         + ["AvgPool2D", "Reshape", "Dense", "Softmax"])
    assert g.tensors[g.inputs[0]].shape == (1, 49, 10, 1)
    assert [g.tensors[op.outputs[0]].shape for op in g.ops[-4:]] == [
        (1, 1, 1, 64), (1, 64), (1, 12), (1, 12)]
    assert _macs(g) == 2_656_768  # anchors.md
    assert g.parameter_count() == 22_604  # the RESHAPE shape operand is not a parameter
    assert _weight_bytes(g) == 24_368  # 22,016 int8 weights + 588 int32 biases: "24.4 kB"
    first = g.ops[0]
    # 10x4 kernel, stride 2, SAME on 49x10: 9 rows of padding split 4/5, 2 columns 1/1.
    assert first.attrs == {"stride": [2, 2], "dilation": [1, 1], "padding": [4, 5, 1, 1],
                           "activation": "relu"}
    w, b = (g.tensors[n] for n in first.inputs[1:])
    assert w.dtype == "int8" and w.quant.axis == 0 and w.quant.scale.size == 64
    assert np.abs(w.data).max() <= 127 and not w.quant.zero_point.any()
    assert b.dtype == "int32" and b.shape == (64,)
    dw = g.tensors[g.ops[1].inputs[1]]
    assert dw.shape == (1, 3, 3, 64) and dw.quant.axis == 3
    assert g.ops[1].attrs["depth_multiplier"] == 1
    x = g.tensors[g.inputs[0]]
    assert x.quant.axis is None and x.quant.zero_point.tolist() == [83]
    assert g.ops[9].attrs == {"kernel": [25, 5], "stride": [25, 5], "padding": [0, 0, 0, 0],
                              "activation": "none"}
    assert g.ops[-1].attrs == {"beta": 1.0}


def test_ad_imports_as_ten_dense_layers():
    g = load_tflite(model_path(AD))
    assert [op.type for op in g.ops] == ["Dense"] * 10
    assert [g.tensors[op.outputs[0]].shape[1] for op in g.ops] == [128] * 4 + [8] + [128] * 4 + [640]
    assert [op.attrs["activation"] for op in g.ops] == ["relu"] * 9 + ["none"]
    assert _macs(g) == 264_192  # anchors.md
    assert g.parameter_count() == 265_864
    assert _weight_bytes(g) == 270_880  # "270.9 kB"


def test_load_any_dispatches_on_suffix(tmp_path):
    g = load_any(model_path(KWS))
    tpm = save_model(g, tmp_path / "kws.tpm")
    again = load_any(tpm)
    assert [op.type for op in again.ops] == [op.type for op in g.ops]
    assert again.tensors[again.ops[0].inputs[1]].quant.scale.tolist() == \
        g.tensors[g.ops[0].inputs[1]].quant.scale.tolist()
    with pytest.raises(ModelFileError, match=r"model\.onnx: unknown model format '\.onnx'"):
        load_any(tmp_path / "model.onnx")


def _conv_model(act: str = "relu") -> TinyModel:
    rng = np.random.default_rng(0)
    m = TinyModel()
    x = m.tensor((1, 8, 8, 2), scale=0.1, zero_point=0)
    w = m.tensor((4, 3, 3, 2), scale=[0.01] * 4, data=rng.integers(-127, 128, (4, 3, 3, 2)))
    y = m.tensor((1, 4, 4, 4), scale=0.1, zero_point=-128)
    m.op(fb.BuiltinOperator.CONV_2D, [x, w, -1], [y], fb.BuiltinOptions.Conv2DOptions,
         m.conv_options(2, "same", act))
    m.inputs, m.outputs = [x], [y]
    return m


def _write(tmp_path, m: TinyModel, name: str = "tiny.tflite"):
    path = tmp_path / name
    path.write_bytes(m.to_bytes(m.inputs, m.outputs))
    return path


def test_stride_2_same_padding_and_missing_bias(tmp_path):
    g = load_tflite(_write(tmp_path, _conv_model()))
    # 8 -> 4 with a 3x3 kernel, stride 2: one row/column of padding, all of it after.
    assert g.ops[0].attrs["padding"] == [0, 1, 0, 1]
    assert len(g.ops[0].inputs) == 2


def test_unsupported_op_fails_at_import_naming_index_and_supported_ops(tmp_path):
    m = _conv_model()
    z = m.tensor((1, 4, 4, 4), scale=1 / 128, zero_point=0)
    m.op(fb.BuiltinOperator.TANH, [m.outputs[0]], [z])
    m.outputs = [z]
    with pytest.raises(UnsupportedError) as err:
        load_tflite(_write(tmp_path, m))
    msg = str(err.value)
    assert msg.startswith("not supported: ") and "tiny.tflite: operator 1 is TANH" in msg
    assert ", ".join(SUPPORTED_OPS) in msg and "\n" not in msg


def test_unsupported_op_patched_into_a_real_model(tmp_path):
    """KWS with its AVERAGE_POOL_2D opcode turned into MEAN fails before anything is built."""
    raw = model_path(KWS).read_bytes()
    model = fb.ModelT.InitFromObj(fb.Model.GetRootAs(raw, 0))
    pool = model.subgraphs[0].operators[9].opcodeIndex
    model.operatorCodes[pool].builtinCode = fb.BuiltinOperator.MEAN
    model.operatorCodes[pool].deprecatedBuiltinCode = fb.BuiltinOperator.MEAN
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = tmp_path / "kws_mean.tflite"
    path.write_bytes(bytes(builder.Output()))
    with pytest.raises(UnsupportedError,
                       match=r"kws_mean\.tflite: operator 9 is MEAN; supported ops: CONV_2D"):
        load_tflite(path)


def test_custom_op_is_named(tmp_path):
    m = _conv_model()
    z = m.tensor((1, 4, 4, 4), scale=0.1, zero_point=0)
    m.op(fb.BuiltinOperator.CUSTOM, [m.outputs[0]], [z], custom="MyFancyOp")
    m.outputs = [z]
    with pytest.raises(UnsupportedError, match=r"operator 1 is CUSTOM \(MyFancyOp\)"):
        load_tflite(_write(tmp_path, m))


def test_unsupported_fused_activation(tmp_path):
    with pytest.raises(UnsupportedError, match=r"operator 0 \(CONV_2D\): fused activation TANH"):
        load_tflite(_write(tmp_path, _conv_model("tanh")))


def test_fully_connected_on_4d_input_gets_a_flatten(tmp_path):
    rng = np.random.default_rng(1)
    m = TinyModel()
    x = m.tensor((1, 2, 2, 3), scale=0.1, zero_point=5)
    w = m.tensor((5, 12), scale=0.02, data=rng.integers(-127, 128, (5, 12)))
    y = m.tensor((1, 5), scale=0.2, zero_point=0)
    m.op(fb.BuiltinOperator.FULLY_CONNECTED, [x, w, -1], [y],
         fb.BuiltinOptions.FullyConnectedOptions,
         m.act_options(fb.FullyConnectedOptionsT, "relu"))
    m.inputs, m.outputs = [x], [y]
    g = load_tflite(_write(tmp_path, m))
    assert [op.type for op in g.ops] == ["Reshape", "Dense"]
    assert g.tensors[g.ops[0].outputs[0]].shape == (1, 12)
    assert g.tensors[g.ops[0].outputs[0]].quant.zero_point.tolist() == [5]


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"nothere\.tflite: no such model file"):
        load_tflite(tmp_path / "nothere.tflite")


def test_not_a_flatbuffer(tmp_path):
    path = tmp_path / "noise.tflite"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(ModelFileError, match=r"noise\.tflite: not a \.tflite flatbuffer"):
        load_tflite(path)


@pytest.mark.parametrize("keep", [6, 100, 2_000, 27_000, 53_000])
def test_truncated_model_is_a_one_line_model_file_error(tmp_path, keep):
    path = tmp_path / "cut.tflite"
    path.write_bytes(model_path(KWS).read_bytes()[:keep])
    with pytest.raises(ModelFileError) as err:
        load_tflite(path)
    assert "cut.tflite" in str(err.value) and "\n" not in str(err.value)


def test_corrupt_offsets_are_a_model_file_error(tmp_path):
    raw = bytearray(model_path(KWS).read_bytes())
    raw[0:4] = (0x7FFFFFF0).to_bytes(4, "little")  # root table offset far past the end
    path = tmp_path / "bad_root.tflite"
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"bad_root\.tflite: corrupt or truncated"):
        load_tflite(path)


@pytest.mark.parametrize("op", ["FULLY_CONNECTED", "CONV_2D"])
def test_hybrid_quantization_is_refused_naming_the_layer(tmp_path, op):
    """Float activations with int8 weights (dynamic-range quantization) stop at import."""
    rng = np.random.default_rng(2)
    m = TinyModel()
    m.tensor((1, 1), "float32", name="unused")  # the layer is not operator 0's tensor 0
    if op == "FULLY_CONNECTED":
        x = m.tensor((1, 8), "float32", name="in")
        w = m.tensor((3, 8), scale=0.02, data=rng.integers(-127, 128, (3, 8)))
        b = m.tensor((3,), "float32", data=np.zeros(3, np.float32))
        y = m.tensor((1, 3), "float32", name="dense_out")
        m.op(fb.BuiltinOperator.FULLY_CONNECTED, [x, w, b], [y],
             fb.BuiltinOptions.FullyConnectedOptions, m.act_options(fb.FullyConnectedOptionsT))
    else:
        x = m.tensor((1, 6, 6, 2), "float32", name="in")
        w = m.tensor((4, 3, 3, 2), scale=[0.01] * 4, data=rng.integers(-127, 128, (4, 3, 3, 2)))
        y = m.tensor((1, 6, 6, 4), "float32", name="conv_out")
        m.op(fb.BuiltinOperator.CONV_2D, [x, w, -1], [y], fb.BuiltinOptions.Conv2DOptions,
             m.conv_options(1, "same"))
    m.inputs, m.outputs = [x], [y]
    with pytest.raises(UnsupportedError) as err:
        load_tflite(_write(tmp_path, m))
    msg = str(err.value)
    layer = "dense_out" if op == "FULLY_CONNECTED" else "conv_out"
    assert msg.startswith("not supported: ") and "\n" not in msg
    assert f"tiny.tflite: operator 0 ({op}, layer '{layer}'): float32 activations with int8 " \
           "weights (hybrid quantization)" in msg
