"""Per-layer tables of the int8 ADD (sdk.kernels.add_tables): what tp_add_table_s8 computes
from them equals TFLite Micro's three requantizations on every input pair."""

from __future__ import annotations

import numpy as np
import pytest

from sdk.ir.tensor import QuantParams
from sdk.kernels.add_tables import MAX_OUTPUT_TABLE, add_s8_exact, add_tables
from sdk.quant import layer_params as lp


def _params(scales, zeros, activation="none"):
    q = [QuantParams(np.float32(s), z) for s, z in zip(scales, zeros)]
    return lp.add_params(*q, activation)


def _kernel(tables, a, b):
    """tp_add_table_s8.c's arithmetic: terms indexed by value + 128, the sum shifted right."""
    return tables.output[(tables.a[a + 128].astype(np.int64) + tables.b[b + 128]) >> tables.shift]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("activation", ["none", "relu", "relu6"])
def test_tables_equal_tflite_on_every_pair(seed, activation):
    rng = np.random.default_rng(seed)
    # Inputs up to 30 times apart; the output between half and twice the larger input scale.
    s1, s2 = 10 ** rng.uniform(-2.5, -1.0, 2)
    p = _params((s1, s2, max(s1, s2) * rng.uniform(0.5, 2.0)), rng.integers(-128, 128, 3),
                activation)
    tables = add_tables(p)
    assert tables is not None
    v = np.arange(-128, 128)
    a, b = np.meshgrid(v, v, indexing="ij")
    np.testing.assert_array_equal(_kernel(tables, a, b), add_s8_exact(p, a, b))
    assert tables.a.dtype == tables.b.dtype == np.int32 and len(tables.a) == 256
    assert 0 < len(tables.output) <= MAX_OUTPUT_TABLE


def test_no_tables_where_double_rounding_defeats_them():
    """Found by search: for these scales no nudge of the rounding constant fits every pair."""
    p = _params((0.0598660446703434, 0.5048637390136719, 0.10461306571960449), (-29, -113, 89))
    assert add_tables(p) is None


def test_no_tables_when_the_output_scale_is_far_smaller():
    """An output 100 times finer than the inputs would need an output table over 4 kB."""
    assert add_tables(_params((0.1, 0.1, 0.001), (0, 0, 0))) is None
