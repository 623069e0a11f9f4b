"""The depthwise variants' lowering: which graphs take tp_depthwise_conv_kx1_s8 and
tp_depthwise_conv_s2_s8, the K x 1 weight pairs' layout (the kernel's dot products equal the
convolution) and the rounding proof.
Bit-exactness on the boards: tests/device/test_kernels_s8_host.py, tests/boards/test_qemu_s8.py."""

from __future__ import annotations

import numpy as np
import pytest

from graphs import GraphBuilder
from int8_graphs import int8_case, quantize_randomly
from sdk.kernels.families.depthwise_kx1 import kx1_buffer_bytes, kx1_pair_count, weight_pairs
from sdk.kernels.program import lower
from sdk.kernels.requant import rounding_fits


def _depthwise_call(graph):
    return next(c for c in lower(graph).calls if c.ops[0].type == "DepthwiseConv2D")


def _fast(call) -> int:
    return dict(dict(call.args[0].fields))["fast_requant"].value


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 15])
@pytest.mark.parametrize("doubled", [False, True])
def test_pairs_give_the_convolution(k, doubled):
    rng = np.random.default_rng(k)
    c, out_h = 3, 9
    w = rng.integers(-128, 128, (k, c))
    col = rng.integers(-255, 256, (c, 4 * ((out_h + 3) // 4) + 2 * kx1_pair_count(k)))
    words = weight_pairs(w, doubled).data.astype(np.int64)
    lo = (words << 48) >> 48
    hi = words >> 16
    n = kx1_pair_count(k)
    for ch in range(c):
        for oy in range(out_h):
            # The kernel's pass: output 2m + r from the words P_{m+j} (r = 0: A_j, 1: B_j).
            m, r = divmod(oy, 2)
            got = sum(col[ch, 2 * (m + j)] * lo[ch, 2 * j + r] +
                      col[ch, 2 * (m + j) + 1] * hi[ch, 2 * j + r] for j in range(n))
            want = sum(col[ch, oy + t] * w[t, ch] for t in range(k))
            assert got == want * (2 if doubled else 1)


def test_kx1_geometries_take_the_variant():
    for name in ("depthwise_7x1_c5", "depthwise_15x1_c3_pad", "depthwise_8x1_c6_valid"):
        call = _depthwise_call(int8_case(name, 1))
        assert call.kernel.function == "tp_depthwise_conv_kx1_s8"
        assert _fast(call) == 1
    for name in ("depthwise_4x1_c13_generic", "depthwise_2x1_c4_generic"):
        call = _depthwise_call(int8_case(name, 1))
        assert call.kernel.function == "tp_depthwise_conv_kx1_s8"
        assert _fast(call) == 0


def test_generic_cases_take_the_variants_generic_path():
    call = _depthwise_call(int8_case("depthwise_s2_generic", 1))
    assert call.kernel.function == "tp_depthwise_conv_s2_s8" and _fast(call) == 0
    for name in ("conv_1x1_c6_generic", "conv_shifts_mixed"):
        call = lower(int8_case(name, 1)).calls[0]
        assert call.kernel.function == "tp_convolve_1x1_s8" and _fast(call) == 0


@pytest.mark.parametrize(("kwargs", "kernel"), [
    ({"kernel": (3, 3)}, "tp_depthwise_conv_s8"),                        # not one column wide
    ({"kernel": (5, 1), "stride": (2, 2)}, "tp_depthwise_conv_s2_s8"),   # stride 2
    ({"kernel": (5, 1), "stride": (2, 1)}, "tp_depthwise_conv_s8"),      # stride 2 down only
    ({"kernel": (5, 1), "multiplier": 2}, "tp_depthwise_conv_s8"),       # depth multiplier
    ({"kernel": (5, 1), "padding": [2, 2, 1, 0]}, "tp_depthwise_conv_s8"),  # left padding
    ({"kernel": (16, 1)}, "tp_depthwise_conv_s8"),                       # longer than 15
    ({"kernel": (3, 9), "stride": (2, 2)}, "tp_depthwise_conv_s8"),      # wider than 8
])
def test_other_geometries_take_their_kernel(kwargs, kernel):
    b = GraphBuilder("dw", (1, 20, 12, 4), 0)
    graph = quantize_randomly(b.finish(b.depthwise("input", **kwargs)), 0)
    assert _depthwise_call(graph).kernel.function == kernel


def test_rounding_proof():
    # e = 10: 2^9 rounding + 100 x 2^10 folded offset.
    assert rounding_fits(np.array([(1 << 31) - 2 - 512 - 102_400]), np.array([-10]), 100)
    assert not rounding_fits(np.array([(1 << 31) - 1 - 512 - 102_400]), np.array([-10]), 100)
    # A left shift that wraps the bound is refused; one that does not is kept (e = 0).
    assert not rounding_fits(np.array([1 << 29]), np.array([2]), 0)
    assert rounding_fits(np.array([1 << 20]), np.array([2]), -128)


def test_buffer_bytes():
    # 16 channels of 4 x 7 + 2 x 3 values (5 x 1 window, 25 rows).
    assert kx1_buffer_bytes(5, 25, 40) == 16 * (28 + 6) * 2
    assert kx1_buffer_bytes(2, 4, 3) == 3 * (4 + 4) * 2
