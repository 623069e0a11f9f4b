"""The binary kernels' cost models (sdk/kernels/binary_cost.json) against fresh measurements:
architectures of other seeds than the fit's, run on qemu_m7 and in the MSP430 simulator; every
step costs what its kernel's model predicts within issue 14's 10 % (and the model's stated
error on its own cases is within it too), but for the softmax on the MSP430, whose count
follows the data."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from host.binary_cost_fit import measure, random_arch
from sdk.kernels.binary_cost import load_costs

TARGET = 0.10
# The int8 softmax's count follows the scores (an exponential for each class near the
# largest): its model has a larger stated error, outside the target, and the budget adds it.
DATA_DEPENDENT = {("msp430fr6989", "tp_softmax_s8")}

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None
                                or shutil.which("arm-none-eabi-gcc") is None,
                                reason="qemu-system-arm or arm-none-eabi-gcc not installed")
needs_msp430 = pytest.mark.skipif(shutil.which("mspdebug") is None
                                  or shutil.which("clang-14") is None,
                                  reason="mspdebug or clang-14 not installed")


def test_every_fitted_model_states_an_error_within_the_target():
    costs = load_costs()
    assert {b for b, _ in costs} == {"qemu_m7", "msp430fr6989"}
    over = {k for k, m in costs.items() if m.max_rel_error > TARGET}
    assert over <= DATA_DEPENDENT, over
    assert all(costs[k].max_rel_error < 2 * TARGET for k in DATA_DEPENDENT)


@pytest.mark.parametrize("board", [
    pytest.param("qemu_m7", marks=[pytest.mark.qemu, needs_qemu]),
    pytest.param("msp430fr6989", marks=[pytest.mark.msp430, needs_msp430, pytest.mark.slow])])
@pytest.mark.parametrize("seed", [2002, 2003])  # dense layers only; every other kernel
def test_fresh_architectures_cost_what_the_models_predict(board, seed, tmp_path):
    arch = random_arch(np.random.default_rng(seed))
    found, firmware = measure(arch, board, tmp_path, seed=seed)
    costs = load_costs()
    for case in found:
        model = costs[(board, case.kernel)]
        allowed = (1.25 * model.max_rel_error if (board, case.kernel) in DATA_DEPENDENT
                   else TARGET)
        predicted = model.predict(case.features)
        assert abs(predicted - case.count) <= allowed * case.count, (
            arch, case.kernel, predicted, case.count)
    assert firmware > 0
