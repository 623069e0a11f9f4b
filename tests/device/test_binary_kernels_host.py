"""The binary kernels' portable C on the host board, bit-exact with the binary families'
references on seeded random graphs (tests/binary_graphs.py: every binary tensor probed, so a
single wrong bit shows): channel counts below, at and above the 32-bit word (5, 32, 33, 45),
padding on some sides only, stride 2, negative and constant thresholds, int8 inputs and
outputs; packed binary activations sized in the planner as N*H*W*ceil(C/W)*W/8."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from binary_graphs import probed_net, random_input, run_all_outputs
from sdk.codegen import generate_model
from sdk.errors import UnsupportedError
from sdk.kernels.families.binary_conv import CONV_KERNELS
from sdk.kernels.families.binary_dense import DENSE_KERNELS
from sdk.reference import run_int8

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


@pytest.mark.parametrize("seed, shape, channels", [
    (0, (1, 9, 8, 3), (21, 37, 13)),
    (1, (1, 7, 10, 1), (32, 33, 5)),
    (2, (2, 8, 7, 4), (45, 16, 64)),  # batch 2; 64 channels: two whole words
])
def test_binary_kernels_bit_exact_on_host(seed, shape, channels, tmp_path):
    g = probed_net(seed, shape, channels)
    x = random_input(g, seed)
    got, kernels = run_all_outputs(g, "host", x, tmp_path)
    assert set(kernels) == {k for k in (*CONV_KERNELS, *DENSE_KERNELS)} | {"tp_binary_max_pool_b1"}
    want = run_int8(g, x)
    for name, value in zip(g.outputs, got):
        assert np.array_equal(value, want[name]), name
        assert np.unique(want[name]).size > 1, name  # not constant


def test_binary_activations_are_planned_packed():
    g = probed_net(0)
    plan = generate_model(g).plan
    sizes = {t: b.size for b in plan.buffers for t in b.tensors}
    assert sizes["bconv1_out"] == 1 * 5 * 4 * 1 * 4  # 21 channels: one 32-bit word a pixel
    assert sizes["bconv2_out"] == 1 * 4 * 3 * 2 * 4  # 37 channels: two
    g.metadata["binary_word"] = 16
    sizes = {t: b.size for b in generate_model(g).plan.buffers for t in b.tensors}
    assert sizes["bconv1_out"] == 1 * 5 * 4 * 2 * 2  # two 16-bit words
    assert sizes["bconv2_out"] == 1 * 4 * 3 * 3 * 2


def test_binary_graph_outputs_are_refused():
    g = probed_net(0)
    g.outputs = ["bconv1_out"]
    with pytest.raises(UnsupportedError, match="binary graph input or output bconv1_out"):
        generate_model(g)


def test_thresholds_near_the_ends_of_the_range(tmp_path):
    """Every channel fires only near the extremes (bounds 0 .. 3 of 9 bit planes), so the
    bit-sliced comparison must see the counts' high planes."""
    g = probed_net(6, (1, 8, 8, 2), (33, 40, 9))
    for name in ("bconv2", "bconv4"):
        w = g.tensors[f"{name}_w"]
        terms = int(np.prod(w.shape[1:]))
        t = np.where(np.arange(w.shape[0]) % 2 == 0, terms - 2 * (np.arange(w.shape[0]) % 4),
                     -terms + 2 * (np.arange(w.shape[0]) % 3))
        g.tensors[f"{name}_t"].data = t.astype(np.int32)
    x = random_input(g, 6)
    got, _ = run_all_outputs(g, "host", x, tmp_path)
    want = run_int8(g, x)
    for name, value in zip(g.outputs, got):
        assert np.array_equal(value, want[name]), name
