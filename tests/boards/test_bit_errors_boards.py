"""Bit errors on the device: the run app with its binary weights in RAM and the host's flips
XORed into them gives exactly the reference's outputs on the same corrupted weights, on the
host build and on the emulated Cortex-M7, in every weight layout of the binary kernels
(int8-input convolution, output-channel convolution, grouped and plain dense)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from binary_graphs import binary_net
from host.bit_errors_device import run_with_bit_errors
from host.device_run import reference_outputs
from sdk.bnn.bit_errors import BitErrorRates
from sdk.errors import UnsupportedError

QEMU = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None
                          or shutil.which("qemu-system-arm") is None,
                          reason="arm-none-eabi-gcc or qemu-system-arm not installed")
GCC = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


def _frames(graph, n: int, seed: int) -> np.ndarray:
    shape = graph.tensors[graph.inputs[0]].shape
    return np.random.default_rng(seed).integers(-128, 128, size=(n, *shape[1:])).astype(np.int8)


@pytest.mark.parametrize("board", [pytest.param("host", marks=GCC),
                                   pytest.param("qemu_m7", marks=[QEMU, pytest.mark.qemu])])
def test_device_equals_reference_for_the_same_seed(board, tmp_path):
    graph = binary_net(seed=4, channels=(20, 37))
    x = _frames(graph, 4, 0)
    clean = reference_outputs(graph, x)
    run = run_with_bit_errors(graph, board, x, BitErrorRates(0.08, 0.03), 9, tmp_path / "a")
    assert run.injection.total.flipped01 > 0 and run.injection.total.flipped10 > 0
    assert run.bit_exact, (run.output, run.reference)
    assert not np.array_equal(run.reference, clean)  # the flips changed what the model says
    kernels = {s.kernel for s in run.build.steps}
    # the binary-to-binary dense layer runs on the output-channel convolution
    assert {"tp_binary_conv_s8in_b1", "tp_binary_conv_b1_oc",
            "tp_binary_fully_connected_b1_s8"} <= kernels


@GCC
def test_rate_zero_runs_the_clean_model(tmp_path):
    graph = binary_net(seed=5)
    x = _frames(graph, 2, 1)
    run = run_with_bit_errors(graph, "host", x, BitErrorRates(0.0, 0.0), 3, tmp_path)
    assert not any((tmp_path / "run" / "flips.bin").read_bytes())
    assert np.array_equal(run.output.astype(np.float64), reference_outputs(graph, x))


def test_only_boards_that_run_the_app_with_ram_weights(tmp_path):
    with pytest.raises(UnsupportedError, match="msp430fr6989"):
        run_with_bit_errors(binary_net(seed=5), "msp430fr6989", np.zeros((1, 10, 9, 3), np.int8),
                            BitErrorRates(0.0, 0.0), 0, tmp_path)
