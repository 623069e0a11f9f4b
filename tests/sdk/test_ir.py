"""IR: shape inference, validation errors, the .tpm file round trip and its error paths."""

import json

import numpy as np
import pytest

from sdk.errors import ModelFileError, ShapeError
from sdk.ir import Graph, GraphError, Op, QuantParams, Tensor, load_model, same_padding, save_model
from sdk.reference import run_float


def _small_graph() -> Graph:
    rng = np.random.default_rng(0)
    g = Graph("small", inputs=["x"], metadata={"preprocess": {"window": 20}})
    g.add_tensor(Tensor("x", (1, 6, 5, 2)))
    mask = rng.random((3, 3, 3, 2)) > 0.5  # a pruning mask: the weights it removes are zeros
    g.add_tensor(Tensor("w", (3, 3, 3, 2), data=rng.normal(size=(3, 3, 3, 2)) * mask, mask=mask))
    g.add_tensor(Tensor("b", (3,), data=rng.normal(size=3),
                        quant=QuantParams([0.1, 0.2, 0.3], [0, 0, 0], axis=0)))
    g.add_op(Op("conv", "Conv2D", ["x", "w", "b"], ["y"],
                {"stride": [2, 2], "padding": [0, 1, 1, 1], "activation": "relu6",
                 "fused": ["conv", "act"]}))
    g.add_op(Op("flat", "Reshape", ["y"], ["z"], {"shape": [1, 27]}))
    g.outputs = ["z"]
    return g


def test_same_padding_is_asymmetric_for_stride_2():
    assert same_padding(30, 3, 1) == (1, 1)
    assert same_padding(10, 3, 2) == (0, 1)  # TensorFlow puts the odd pixel after
    assert same_padding(7, 2, 2) == (0, 1)


def test_shape_inference_and_macs():
    g = _small_graph()
    assert g.tensors["y"].shape == (1, 3, 3, 3)
    assert g.macs(g.ops[0]) == 3 * 3 * 3 * 3 * 3 * 2
    assert g.parameter_count() == 54 + 3


def test_round_trip_keeps_everything(tmp_path):
    g = _small_graph()
    path = save_model(g, tmp_path / "m.tpm")
    h = load_model(path)
    assert [o.__dict__ for o in h.ops] == [o.__dict__ for o in g.ops]
    assert h.metadata == g.metadata
    np.testing.assert_array_equal(h.tensors["w"].data, g.tensors["w"].data)
    np.testing.assert_array_equal(h.tensors["w"].mask, g.tensors["w"].mask)
    np.testing.assert_allclose(h.tensors["b"].quant.scale, [0.1, 0.2, 0.3])
    assert h.tensors["b"].quant.axis == 0
    x = np.random.default_rng(1).normal(size=(1, 6, 5, 2))
    np.testing.assert_array_equal(run_float(g, x)["z"], run_float(h, x)["z"])


def test_corrupt_and_truncated_files_give_one_line_errors(tmp_path):
    good = save_model(_small_graph(), tmp_path / "m.tpm").read_bytes()
    (tmp_path / "trunc.tpm").write_bytes(good[: len(good) // 2])
    (tmp_path / "junk.tpm").write_bytes(b"\x00junk" * 10)
    for name in ("trunc.tpm", "junk.tpm", "missing.tpm"):
        with pytest.raises(ModelFileError) as err:
            load_model(tmp_path / name)
        assert name in str(err.value) and "\n" not in str(err.value)


def _rewrite_graph_json(src, dst, edit):
    with np.load(src) as npz:
        arrays = {k: npz[k] for k in npz.files}
    doc = json.loads(arrays["graph.json"].tobytes())
    edit(doc)
    arrays["graph.json"] = np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8)
    with open(dst, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("edit, needle", [
    (lambda d: d.update(schema_version=99), "schema_version"),
    (lambda d: d.update(format="other"), "format"),
    (lambda d: d["ops"][0]["attrs"].pop("stride"), "stride"),
    (lambda d: d["tensors"][-1].update(shape=[1, 5]), "flat"),
])
def test_invalid_graph_json_is_named(tmp_path, edit, needle):
    src = save_model(_small_graph(), tmp_path / "m.tpm")
    _rewrite_graph_json(src, tmp_path / "bad.tpm", edit)
    with pytest.raises(ModelFileError, match=needle):
        load_model(tmp_path / "bad.tpm")


def test_validation_catches_bad_graphs():
    g = _small_graph()
    g.ops.reverse()
    with pytest.raises(GraphError, match="topological"):
        g.validate()
    g = _small_graph()
    g.tensors["w"] = Tensor("w", (3, 3, 3, 4), data=np.zeros((3, 3, 3, 4)))
    with pytest.raises(ShapeError, match="conv"):
        g.validate()


def test_save_does_not_clobber_on_invalid_graph(tmp_path):
    path = save_model(_small_graph(), tmp_path / "m.tpm")
    before = path.read_bytes()
    g = _small_graph()
    g.outputs = ["nope"]
    with pytest.raises(GraphError):
        save_model(g, path)
    assert path.read_bytes() == before
