"""Export of quantized IR graphs to .tflite: TFLite Micro runs them bit-exactly like run_int8,
LiteRT runs them too, and importing the file gives the same graph back."""

from __future__ import annotations

import numpy as np
import pytest

runtime = pytest.importorskip(
    "tflite_micro.python.tflite_micro.runtime",
    reason="export is checked against the pip tflite-micro interpreter ('interop' extra)")
litert = pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT ('interop' extra)")

from graphs import GraphBuilder, residual_net  # noqa: E402
from sdk.compress.quantize import quantize_graph  # noqa: E402
from sdk.compress.report import quantize_input  # noqa: E402
from sdk.errors import UnsupportedError  # noqa: E402
from sdk.frontends.tflite import load_tflite  # noqa: E402
from sdk.frontends.tflite_export import export_tflite, tflite_bytes  # noqa: E402
from sdk.ir import Graph, Op, Tensor  # noqa: E402
from sdk.reference import run_int8  # noqa: E402


def _conv_stride2_same(seed):
    b = GraphBuilder("conv_s2_same", (1, 9, 8, 3), seed)  # odd/even sizes: asymmetric SAME
    return b.finish(b.conv("input", 6, stride=(2, 2), activation="relu"))


def _conv_valid(seed):
    b = GraphBuilder("conv_valid", (1, 7, 6, 2), seed)
    return b.finish(b.conv("input", 4, kernel=(3, 2), padding="valid", activation="relu6",
                           bias=False))


def _depthwise(seed):
    b = GraphBuilder("depthwise", (1, 8, 7, 3), seed)
    return b.finish(b.depthwise("input", multiplier=2, stride=(2, 2), activation="relu"))


def _pools(seed):
    b = GraphBuilder("pools", (1, 9, 9, 4), seed)
    x = b.pool("input", "MaxPool2D", kernel=(3, 3), stride=(2, 2), padding="same")
    return b.finish(b.pool(x, "AvgPool2D", kernel=(2, 2), padding="same"))


def _dense_softmax(seed):
    b = GraphBuilder("dense_softmax", (1, 4, 3, 2), seed)
    x = b.dense(b.flatten("input"), 7, activation="relu")
    return b.finish(b.softmax(b.dense(x, 5), beta=0.5))


def _residual_add(seed):
    b = GraphBuilder("residual", (1, 6, 6, 4), seed)
    x = b.conv("input", 4, activation="relu")
    return b.finish(b.add(x, b.conv(x, 4), activation="relu"))


GRAPHS = [_conv_stride2_same, _conv_valid, _depthwise, _pools, _dense_softmax, _residual_add,
          lambda seed: residual_net(seed)]


def _quantized(make, seed: int) -> tuple[Graph, np.ndarray]:
    g = make(seed)
    rng = np.random.default_rng(seed)
    shape = g.tensors["input"].shape[1:]
    x = rng.normal(size=(64, *shape)).astype(np.float32)
    return quantize_graph(g, x[:48], progress=False), x[48:]


def _tflm_outputs(model: bytes, xs: np.ndarray) -> list[np.ndarray]:
    interp = runtime.Interpreter.from_bytes(model)
    outs = []
    for x in xs:
        interp.set_input(x[None], 0)
        interp.invoke()
        outs.append(interp.get_output(0))
    return outs


def _litert_outputs(path, xs: np.ndarray) -> list[np.ndarray]:
    interp = litert.Interpreter(model_path=str(path),
                                experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
    outs = []
    for x in xs:
        interp.set_tensor(inp, x[None])
        interp.invoke()
        outs.append(interp.get_tensor(out).copy())
    return outs


@pytest.mark.parametrize("make", GRAPHS, ids=lambda f: getattr(f, "__name__", "net"))
@pytest.mark.parametrize("seed", [1, 2])
def test_exported_model_runs_bit_exact_on_tflm_and_on_litert(make, seed, tmp_path):
    q, x = _quantized(make, seed)
    xq = quantize_input(q, x)
    path = export_tflite(q, tmp_path / "m.tflite")
    ours = [run_int8(q, xi[None])[q.outputs[0]] for xi in xq]
    for k, (o, t) in enumerate(zip(ours, _tflm_outputs(path.read_bytes(), xq))):
        assert t.dtype == np.int8 and t.shape == o.shape
        np.testing.assert_array_equal(o, t, err_msg=f"sample {k}: run_int8 vs TFLite Micro")
    # LiteRT's kernels round some steps differently (anchors.md: up to 2 LSB on AD); TFLite
    # Micro is the reference, LiteRT must run the file and agree closely.
    diffs = [np.abs(o.astype(int) - lit.astype(int)).max()
             for o, lit in zip(ours, _litert_outputs(path, xq))]
    assert max(diffs) <= 2


@pytest.mark.parametrize("make", GRAPHS, ids=lambda f: getattr(f, "__name__", "net"))
def test_export_then_import_gives_the_same_graph(make, tmp_path):
    q, _ = _quantized(make, 3)
    back = load_tflite(export_tflite(q, tmp_path / "m.tflite"))
    assert back.inputs == q.inputs and back.outputs == q.outputs
    assert [(o.type, o.inputs, o.outputs) for o in back.ops] == [
        (o.type, o.inputs, o.outputs) for o in q.ops]
    for ob, oq in zip(back.ops, q.ops):
        for key, value in oq.attrs.items():
            if key == "depth_multiplier" or key == "beta":
                assert ob.attrs[key] == pytest.approx(value)
            elif key != "fused":
                assert list(np.ravel(ob.attrs[key])) == list(np.ravel(value)), (oq.name, key)
    assert set(back.tensors) == set(q.tensors)
    for name, t in q.tensors.items():
        b = back.tensors[name]
        assert (b.shape, b.dtype) == (t.shape, t.dtype), name
        if t.is_constant:
            np.testing.assert_array_equal(b.data, t.data, err_msg=name)
        np.testing.assert_array_equal(b.quant.scale, t.quant.scale, err_msg=name)
        np.testing.assert_array_equal(b.quant.zero_point, t.quant.zero_point, err_msg=name)
        assert b.quant.axis == t.quant.axis, name


def test_float_boundary_quantize_and_dequantize_ops_export_bit_exact(tmp_path):
    """A float-in, float-out wrapper (QUANTIZE ... DEQUANTIZE) around a quantized net."""
    q, x = _quantized(_residual_add, 4)
    q.add_tensor(Tensor("x_float", q.tensors["input"].shape, "float32"))
    q.ops.insert(0, Op("quantize_in", "Quantize", ["x_float"], ["input"]))
    out = q.outputs[0]
    q.add_tensor(Tensor("y_float", q.tensors[out].shape, "float32"))
    q.ops.append(Op("dequantize_out", "Dequantize", [out], ["y_float"]))
    q.inputs, q.outputs = ["x_float"], ["y_float"]
    q.validate()
    outs = _tflm_outputs(tflite_bytes(q), x)
    for xi, t in zip(x, outs):
        np.testing.assert_array_equal(run_int8(q, xi[None])["y_float"], t)


def test_padding_that_is_neither_same_nor_valid_is_refused_naming_the_op():
    b = GraphBuilder("odd_pad", (1, 6, 6, 2), 0)
    g = b.finish(b.conv("input", 3, padding=[1, 0, 0, 1]))
    q = quantize_graph(g, np.random.default_rng(0).normal(size=(8, 6, 6, 2)), progress=False)
    with pytest.raises(UnsupportedError, match=r"not supported: exporting op conv1 \(Conv2D\)"
                                               r".*neither VALID"):
        tflite_bytes(q)


def test_per_channel_weight_params_survive_in_the_file():
    q, _ = _quantized(_depthwise, 5)
    back_bytes = tflite_bytes(q)
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb
    model = fb.ModelT.InitFromObj(fb.Model.GetRootAs(back_bytes, 0))
    w = next(t for t in model.subgraphs[0].tensors if t.name == b"dw1_w")
    assert w.quantization.quantizedDimension == 3
    np.testing.assert_array_equal(np.float32(w.quantization.scale),
                                  np.float32(q.tensors["dw1_w"].quant.scale))
    assert len(w.quantization.scale) == q.tensors["dw1_w"].shape[3] == 6
