"""Export of binary networks: batch norm + sign folded into integer thresholds decides exactly
as the eval-mode torch model, layer by layer, at and near the thresholds (docs/binary.md)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bnn_models import (  # noqa: E402
    graph_activations,
    graph_input,
    head_scores,
    seeded_batchnorms,
    thresholds_at_observed_dots,
    torch_binary_activations,
)

from sdk import zoo  # noqa: E402
from sdk.bnn.export import export_binary, fold_thresholds  # noqa: E402
from sdk.bnn.layers import ThresholdBatchNorm1d  # noqa: E402
from sdk.errors import UnsupportedError  # noqa: E402
from sdk.ir import load_model, save_model  # noqa: E402
from sdk.quant.arith import INT32_MAX, INT32_MIN  # noqa: E402


def _bn(gamma, beta, mean, var) -> ThresholdBatchNorm1d:
    bn = ThresholdBatchNorm1d(len(gamma))
    with torch.no_grad():
        for p, v in ((bn.weight, gamma), (bn.bias, beta), (bn.running_mean, mean),
                     (bn.running_var, var)):
            p.copy_(torch.tensor(v, dtype=torch.float32))
    return bn.eval()


def test_thresholds_equal_batchnorm_plus_sign_at_every_reachable_dot():
    # positive, negative and zero scales; thresholds exactly on an integer (mean 3, shift 0),
    # a hair beside one, and outside the reachable range on both sides
    gamma = [1.5, -0.7, 0.0, 0.0, 2.0, 2.0, -3.0, 0.01, -0.01, 1.0]
    beta = [0.3, -1.1, 0.5, -0.5, 0.0, 0.0, 0.0, -100.0, -100.0, 1e-7]
    mean = [2.4, -5.2, 0.0, 0.0, 3.0, 3.0 + 1e-6, -4.0, 0.0, 0.0, 7.0]
    bn = _bn(gamma, beta, mean, [1.0, 4.0, 1.0, 1.0, 2.0, 2.0, 0.5, 1.0, 1.0, 1.0])
    bound = 40
    flip, t = fold_thresholds(bn, bound)
    d = torch.arange(-bound, bound + 1, dtype=torch.float32)[:, None].repeat(1, len(gamma))
    with torch.no_grad():
        want = (bn(d) >= 0).numpy()
    got = (flip[None, :] * d.numpy().astype(np.int64)) >= t[None, :]
    np.testing.assert_array_equal(got, want)
    assert list(flip) == [1, -1, 1, 1, 1, 1, -1, 1, -1, 1]
    assert t[2] == INT32_MIN and t[3] == INT32_MAX  # zero scale: a constant channel
    assert t[7] == INT32_MAX and t[8] == INT32_MAX  # never reaches the threshold
    assert t[4] == 3 and t[5] == 4  # on the integer: fires at 3; just above it: from 4
    assert t[6] == 4  # -3 (d + 4) >= 0 iff d <= -4 iff -d >= 4


@pytest.mark.parametrize("name,offset", [
    *((n, o) for n in ("bnn_gesture_msp430", "bnn_mnist") for o in (None, 0.0, 1e-4, -1e-4)),
    ("bnn_gesture_cnn", 0.0)])
def test_graph_decides_exactly_as_the_torch_model(name, offset):
    entry = zoo.get(name)
    torch.manual_seed(1)
    model = seeded_batchnorms(entry.factory(), seed=2)
    x = torch.rand(6, *entry.input_shape[1:]) * 1.1 - 0.05  # some pixels outside [0, 1]
    if offset is not None:
        thresholds_at_observed_dots(model, x, offset)
    graph = export_binary(model, entry.input_shape, name)
    binary, scores, _ = graph_activations(graph, graph_input(x))
    want = torch_binary_activations(model, x)
    assert len(binary) == len(want) > 0
    for got, ref in zip(binary, want):
        np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(scores, head_scores(model, x))
    # the thresholds really are hit: a good share of the outputs sit on them
    if offset == 0.0:
        assert np.mean(np.concatenate([b.ravel() for b in binary]) == 1) > 0.3


def test_binary_last_layer_and_model_file_round_trip(tmp_path):
    entry = zoo.get("bnn_gesture_msp430")
    torch.manual_seed(3)
    model = seeded_batchnorms(entry.factory(last="binary"), seed=4)
    x = torch.rand(4, *entry.input_shape[1:])
    graph = load_model(save_model(export_binary(model, entry.input_shape, "b"),
                                  tmp_path / "b.tpm"))
    assert graph.tensors[graph.outputs[0]].dtype == "binary"
    assert graph.ops[-1].type == "BinaryDense"
    _, _, out = graph_activations(graph, graph_input(x))
    with torch.no_grad():
        np.testing.assert_array_equal(out, model(x).numpy().astype(np.int8))


def test_float_twin_is_not_exported():
    entry = zoo.get("bnn_mnist")
    with pytest.raises(UnsupportedError, match="not supported: exporting a float head"):
        export_binary(entry.factory(float_twin=True), entry.input_shape, "f")


def test_dense_after_flatten_is_grouped_by_channels_and_permuted_to_nhwc():
    entry = zoo.get("bnn_gesture_msp430")
    torch.manual_seed(5)
    model = seeded_batchnorms(entry.factory(), seed=6)
    graph = export_binary(model, entry.input_shape, "g")
    dense = next(op for op in graph.ops if op.type == "BinaryDense")
    w = graph.tensors[dense.inputs[1]]
    assert dense.attrs["group"] == 32 and w.meta["bitpack_group"] == 32
    assert w.storage == "bitpacked" and w.dtype == "binary"
    first = model.classifier[1].weight.detach().numpy()  # [64, 32 * 3 * 2], NCHW order
    flip = np.where(model.classifier[2].gain().numpy() < 0, -1, 1)
    # IR column (h, w, c) is torch column (c, h, w)
    assert w.data[5, (1 * 2 + 0) * 32 + 7] == flip[5] * (1 if first[5, 7 * 6 + 1 * 2 + 0] >= 0
                                                         else -1)
