"""A binary network's float twin as a plain float graph (sdk.bnn.fit.plain_float_twin): the
same outputs as the twin, importable and quantizable; a binary network is refused."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sdk.bnn.fit import plain_float_twin  # noqa: E402
from sdk.errors import UnsupportedError  # noqa: E402
from sdk.zoo import get  # noqa: E402


@pytest.mark.parametrize("name", ["bnn_gesture_msp430", "bnn_mnist"])
def test_plain_twin_equals_the_twin_and_imports(name):
    from sdk.frontends.pytorch import from_torch
    from sdk.reference import run_float

    entry = get(name)
    torch.manual_seed(3)
    twin = entry.factory(float_twin=True)
    x = torch.rand(8, *entry.input_shape[1:])
    twin.train()
    twin(x)  # batch statistics move the running ones off their defaults
    twin.eval()
    plain = plain_float_twin(twin)
    with torch.no_grad():
        want = twin(x).numpy()
        # The twin's eval batch norm multiplies by gamma / sqrt(var + eps) in its own order.
        np.testing.assert_allclose(plain(x).numpy(), want, rtol=1e-5, atol=1e-7)
    graph = from_torch(plain, entry.input_shape, name + "_float")
    got = run_float(graph, x[:1].permute(0, 2, 3, 1).numpy())[graph.outputs[0]]
    np.testing.assert_allclose(got, want[:1], rtol=1e-5, atol=1e-6)


def test_a_binary_network_is_not_a_float_twin():
    with pytest.raises(UnsupportedError, match="not a float twin"):
        plain_float_twin(get("bnn_gesture_msp430").factory())
