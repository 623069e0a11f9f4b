"""The binary kernels on the emulated Cortex-M7 (32-bit words) and in the MSP430 simulator
(16-bit words), bit-exact with the references on one probed random graph each
(tests/binary_graphs.py): channel counts that are not multiples of the word, padding, stride 2,
negative and constant thresholds, int8 first and last layers."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from binary_graphs import probed_net, random_input, run_all_outputs
from sdk.reference import run_int8


def _check(graph, board: str, tmp_path) -> None:
    x = random_input(graph, 3)
    got, _ = run_all_outputs(graph, board, x, tmp_path)
    want = run_int8(graph, x)
    for name, value in zip(graph.outputs, got):
        assert np.array_equal(value, want[name]), name


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None
                    or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_binary_kernels_bit_exact_on_qemu(tmp_path):
    _check(probed_net(4, (1, 9, 8, 3), (21, 37, 13)), "qemu_m7", tmp_path)


@pytest.mark.msp430
@pytest.mark.skipif(any(shutil.which(t) is None for t in ("clang-14", "ld.lld-14", "mspdebug")),
                    reason="clang-14, ld.lld-14 or mspdebug not installed")
@pytest.mark.parametrize("outputs", [slice(0, 5), slice(5, 10)])  # the mailbox holds 8 files
def test_binary_kernels_bit_exact_on_msp430(outputs, tmp_path):
    _check(probed_net(5, (1, 9, 8, 3), (17, 33, 15), outputs), "msp430fr6989", tmp_path)


@pytest.mark.msp430
@pytest.mark.skipif(any(shutil.which(t) is None for t in ("clang-14", "ld.lld-14", "mspdebug")),
                    reason="clang-14, ld.lld-14 or mspdebug not installed")
def test_single_channel_3x3_first_layer_bit_exact_on_msp430(tmp_path):
    # The MSP430's unrolled three-group table path with border windows (padding 1, stride 2),
    # the shape of the binary gesture network's first layer (host.bench_binary).
    from host.bench_binary import first_layer_graph

    _check(first_layer_graph(), "msp430fr6989", tmp_path)
