"""Every float op on the emulated Cortex-M7: the same seeded cases as the host build
(tests/device/test_kernels_host.py), built with the ARM toolchain and run in QEMU, against the
reference executor."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from graphs import FLOAT_OP_CASES, float_op_case
from host.device_run import run_on_board

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None
                       or shutil.which("arm-none-eabi-gcc") is None,
                       reason="qemu-system-arm or arm-none-eabi-gcc not installed"),
]


@pytest.mark.parametrize("name", FLOAT_OP_CASES)
def test_float_op_on_qemu(name, tmp_path):
    graph = float_op_case(name, seed=5)
    shape = graph.tensors[graph.inputs[0]].shape
    rng = np.random.default_rng(7)
    # two frames in one launch where the batch dimension is 1; the dense cases have batch 2
    frames = rng.normal(size=(2, *shape[1:]) if shape[0] == 1 else shape).astype(np.float32)
    result = run_on_board(graph, "qemu_m7", frames, tmp_path)
    assert result.max_rel_diff <= 1e-5
    assert all(step.instructions > 0 for step in result.steps)
