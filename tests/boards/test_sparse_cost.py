"""The cost models the code generator picks sparse or dense weights with
(sdk/kernels/sparse_cost.json) against fresh measurements on the emulated Cortex-M7: layers of
the fitted shapes with new random weights and sparsity patterns, and one shape the fit never
saw, must cost what their model predicts within the model's stated error."""

from __future__ import annotations

import shutil

import pytest

from host.sparse_cost_fit import layer_graph, measure, quantized
from sdk.kernels.sparse_cost import load_models

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                       reason="arm-none-eabi-gcc not installed"),
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None,
                       reason="qemu-system-arm not installed"),
]

# (kind, shape, density, dtype): fitted shapes with new seeds, and a new shape.
FRESH = [("conv", (12, 10, 32, 32, 3, True, 1), 0.1, "int8"),
         ("conv", (12, 10, 32, 32, 3, True, 1), 1.0, "int8"),
         ("conv", (10, 14, 24, 16, 3, False, 1), 0.05, "int8"),
         ("conv", (16, 12, 16, 16, 3, False, 1), 0.2, "float32"),
         ("dense", (192, 100), 0.1, "int8"),
         ("dense", (64, 48), 0.05, "float32")]


UNSEEN = (10, 14, 24, 16, 3, False, 1)


@pytest.mark.parametrize("kind, shape, density, dtype", FRESH)
def test_fresh_measurements_agree_with_the_model(kind, shape, density, dtype, tmp_path):
    g = layer_graph(kind, shape, density, seed=101)
    if dtype == "int8":
        g = quantized(g, seed=101)
    storage = "dense" if density == 1.0 else "sparse_csr"
    case = measure(g, storage, tmp_path, seed=101)
    model = load_models()[(case.op, case.dtype, case.storage)]
    predicted = model.predict(case.features)
    # The stated error is the fit's largest over its own cases: the shape it never saw may
    # miss by a little more (half as much again).
    allowed = model.max_rel_error * (1.5 if shape == UNSEEN else 1.0)
    assert abs(predicted - case.instructions) <= allowed * case.instructions, (
        predicted, case.instructions, model.max_rel_error)
