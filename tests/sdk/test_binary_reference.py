"""The binary families' numpy references (BinaryConv2D, BinaryDense, binary MaxPool2D,
binary Reshape): equal to the same computation on packed words (XNOR-popcount, 16- and 32-bit
words, padding as -1 for binary input and as the zero point for int8 input), thresholds
compared with >= (INT32_MIN always +1, INT32_MAX always -1), and int8 outputs equal to the
int8 Conv2D / Dense references on the same integers."""

from __future__ import annotations

import numpy as np
import pytest

from binary_graphs import INT32_MAX, INT32_MIN, BinaryGraphBuilder, binary_net, random_input
from sdk.errors import UnsupportedError
from sdk.ir import Graph, Op, Tensor
from sdk.ir.serialize import load_model, save_model
from sdk.kernels import bitpack
from sdk.reference import run_int8


def _packed_conv_dot(x: np.ndarray, w: np.ndarray, stride, padding, word: int) -> np.ndarray:
    """Window dot products of a binary input computed on packed words, pixel by pixel."""
    n, h, wd, c = x.shape
    o, kh, kw, _ = w.shape
    pt, pb, pl, pr = padding
    xp = bitpack.pack_bits(x, word)
    wp = bitpack.pack_bits(w, word)
    zero = np.zeros(xp.shape[-1], dtype=xp.dtype)  # a padded pixel: every bit 0 = -1
    oh = (h + pt + pb - kh) // stride[0] + 1
    ow = (wd + pl + pr - kw) // stride[1] + 1
    out = np.zeros((n, oh, ow, o), dtype=np.int64)
    for b in range(n):
        for y in range(oh):
            for xx in range(ow):
                rows = []
                for i in range(kh):
                    for j in range(kw):
                        iy, ix = y * stride[0] - pt + i, xx * stride[1] - pl + j
                        inside = 0 <= iy < h and 0 <= ix < wd
                        rows.append(xp[b, iy, ix] if inside else zero)
                window = np.concatenate(rows)
                out[b, y, xx] = bitpack.xnor_dot(window, wp.reshape(o, -1), kh * kw * c)
    return out


@pytest.mark.parametrize("word", [16, 32])
@pytest.mark.parametrize("channels,stride,padding", [
    (3, (1, 1), (1, 1, 1, 1)), (17, (2, 2), (1, 1, 1, 1)), (33, (1, 2), (0, 1, 2, 0)),
    (40, (2, 1), (0, 0, 0, 0))])
def test_conv_equals_xnor_popcount_on_packed_words(word, channels, stride, padding):
    b = BinaryGraphBuilder("c", (1, 7, 6, channels), seed=channels)
    out = b.conv("input", 11, stride=stride, padding=padding)
    g = b.finish(out)
    x = random_input(g, 1)
    w = g.tensors["bconv1_w"].data
    t = g.tensors["bconv1_t"].data.astype(np.int64)
    dot = _packed_conv_dot(x, w, stride, padding, word)
    got = run_int8(g, x)[out]
    assert np.array_equal(got, np.where(dot >= t, 1, -1))
    assert np.all(got[..., t == INT32_MIN] == 1) and np.all(got[..., t == INT32_MAX] == -1)


def test_int8_input_padding_is_the_zero_point():
    b = BinaryGraphBuilder("c8", (1, 5, 5, 2), "int8", seed=4)
    out = b.conv("input", 6, stride=(2, 2), padding=(1, 1, 1, 1))
    g = b.finish(out)
    x = random_input(g, 2)
    zp = int(g.tensors["input"].quant.zero_point[0])
    w = g.tensors["bconv1_w"].data.astype(np.int64)
    xc = np.pad(x.astype(np.int64) - zp, ((0, 0), (1, 1), (1, 1), (0, 0)))
    dot = np.zeros((1, 3, 3, 6), dtype=np.int64)
    for y in range(3):
        for xx in range(3):
            dot[0, y, xx] = np.einsum("ijc,oijc->o", xc[0, 2 * y:2 * y + 3, 2 * xx:2 * xx + 3], w)
    t = g.tensors["bconv1_t"].data
    assert np.array_equal(run_int8(g, x)[out], np.where(dot >= t, 1, -1))


def _as_int8_op(g: Graph, op_type: str) -> Graph:
    """The graph's single binary op as the int8 op with +1/-1 int8 weights and bias t."""
    op = g.ops[0]
    twin = Graph("twin", inputs=list(g.inputs), outputs=list(g.outputs), metadata=g.metadata)
    for t in g.tensors.values():
        if t.dtype == "binary":
            t = Tensor(t.name, t.shape, "int8", t.data, t.quant)
        twin.add_tensor(t)
    attrs = dict(op.attrs, activation=op.attrs.get("activation", "none"))
    attrs.pop("group", None)
    twin.add_op(Op(op.name, op_type, list(op.inputs), list(op.outputs), attrs))
    return twin


@pytest.mark.parametrize("activation", ["none", "relu"])
def test_int8_output_conv_equals_int8_convolution(activation):
    b = BinaryGraphBuilder("o8", (1, 6, 5, 3), "int8", seed=5)
    out = b.conv("input", 9, stride=(2, 1), padding=(1, 1, 0, 2), out_dtype="int8",
                 activation=activation)
    g = b.finish(out)
    for seed in range(3):
        x = random_input(g, seed)
        got = run_int8(g, x)[out]
        assert np.array_equal(got, run_int8(_as_int8_op(g, "Conv2D"), x)[out])
        assert len(np.unique(got)) > 3  # not saturated


@pytest.mark.parametrize("in_dtype", ["int8", "binary"])
def test_int8_output_dense_equals_int8_dense(in_dtype):
    b = BinaryGraphBuilder("d8", (2, 50), in_dtype, seed=6)
    out = b.dense("input", 7, out_dtype="int8")
    g = b.finish(out)
    x = random_input(g, 3)
    twin = _as_int8_op(g, "Dense")
    if in_dtype == "binary":  # the binary input's real scale is 1
        from sdk.ir.tensor import QuantParams
        twin.tensors["input"] = Tensor("input", (2, 50), "int8", quant=QuantParams(1.0, 0))
    assert np.array_equal(run_int8(g, x)[out], run_int8(twin, x)[out])


@pytest.mark.parametrize("word", [16, 32])
def test_dense_with_groups_equals_xnor_popcount(word):
    b = BinaryGraphBuilder("dg", (3, 4 * 21), seed=7)
    out = b.dense("input", 10, group=21)
    g = b.finish(out)
    x = random_input(g, 4)
    w = g.tensors["bdense1_w"].data
    dot = bitpack.xnor_dot(bitpack.pack_bits(x, word, 21)[:, None, :],
                           bitpack.pack_bits(w, word, 21)[None], 84)
    assert np.array_equal(run_int8(g, x)[out], np.where(dot >= g.tensors["bdense1_t"].data, 1, -1))


@pytest.mark.parametrize("word", [16, 32])
def test_max_pool_is_the_or_of_packed_words(word):
    b = BinaryGraphBuilder("p", (1, 7, 6, 19), seed=8)
    out = b.maxpool("input", (3, 2), (2, 2))
    g = b.finish(out)
    x = random_input(g, 5)
    xp = bitpack.pack_bits(x, word)
    want = np.zeros((1, 3, 3, xp.shape[-1]), dtype=xp.dtype)
    for y in range(3):
        for xx in range(3):
            want[0, y, xx] = np.bitwise_or.reduce(
                xp[0, 2 * y:2 * y + 3, 2 * xx:2 * xx + 2].reshape(-1, xp.shape[-1]), axis=0)
    assert np.array_equal(bitpack.pack_bits(run_int8(g, x)[out], word), want)


def test_padded_binary_max_pool_is_not_supported():
    b = BinaryGraphBuilder("pp", (1, 4, 4, 3), seed=9)
    b.graph.add_op(Op("pool", "MaxPool2D", ["input"], ["pool_out"],
                      {"kernel": [2, 2], "stride": [2, 2], "padding": [0, 1, 0, 1],
                       "activation": "none"}))
    g = b.finish("pool_out")
    with pytest.raises(UnsupportedError, match="not supported: op pool"):
        run_int8(g, random_input(g))


def test_network_runs_and_round_trips_through_tpm(tmp_path):
    g = binary_net(2)
    path = save_model(g, tmp_path / "b.tpm")
    loaded = load_model(path)
    assert loaded.tensors["bconv1_w"].storage == "bitpacked"
    assert loaded.tensors["bdense5_w"].meta == {"bitpack_group": 37}
    outs = set()
    for seed in range(4):
        x = random_input(g, seed)
        want = run_int8(g, x)
        assert np.array_equal(run_int8(loaded, x)["bdense6_out"], want["bdense6_out"])
        outs.add(want["bdense6_out"].tobytes())
    assert len(outs) > 1  # the network's output depends on its input


def test_shape_errors_name_the_op():
    from sdk.errors import ShapeError
    b = BinaryGraphBuilder("bad", (1, 4, 4, 3), seed=10)
    b.graph.add_tensor(Tensor("w", (2, 3, 3, 4), "binary", np.ones((2, 3, 3, 4)),
                              storage="bitpacked"))
    b.graph.add_tensor(Tensor("t", (2,), "int32", np.zeros(2)))
    with pytest.raises(ShapeError, match="BinaryConv2D: weights must be OHWI with 3"):
        b.graph.add_op(Op("c", "BinaryConv2D", ["input", "w", "t"], ["y"],
                          {"stride": [1, 1], "padding": [0, 0, 0, 0]}))


def test_a_binary_model_file_reads_without_importing_the_families(tmp_path):
    """The binary op types register from their family modules, loaded on first need."""
    import subprocess
    import sys

    path = save_model(binary_net(3), tmp_path / "b.tpm")
    code = ("import sys; from sdk.ir.serialize import load_model; "
            "assert 'sdk.kernels.families' not in sys.modules; "
            f"g = load_model({str(path)!r}); g.validate(); print(g.ops[0].type)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "BinaryConv2D"
