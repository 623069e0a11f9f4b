"""Bit errors on the host: the flips hit the requested rates (binomial bounds), rate 0 flips
nothing, padding bits never flip, a seed names one corrupted model, activations flip too."""

from __future__ import annotations

import math

import numpy as np
import pytest

from binary_graphs import binary_net, random_input
from sdk.bnn.bit_errors import (
    BitErrorRates,
    activation_errors,
    binary_weights,
    flip_packed,
    inject_weight_errors,
)
from sdk.errors import TinypruneError, UnsupportedError
from sdk.kernels.bitpack import pack_bits, unpack_bits
from sdk.reference.int8_executor import run_int8


def _within(k: int, n: int, p: float, sigmas: float = 5.0) -> bool:
    """k successes of n trials at rate p, within ``sigmas`` binomial standard deviations."""
    return abs(k - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1e-9


@pytest.mark.parametrize("word", [16, 32])
@pytest.mark.parametrize("p01,p10", [(0.01, 0.01), (0.05, 0.002), (0.0, 0.2)])
def test_flips_hit_each_directions_rate(word, p01, p10):
    rng = np.random.default_rng(3)
    values = rng.choice(np.array([-1, 1], np.int8), size=(400, 250))  # 250: padding bits too
    words = pack_bits(values, word)
    from sdk.bnn.bit_errors import FlipCount

    count = FlipCount()
    flipped = flip_packed(words, 250, word, None, BitErrorRates(p01, p10),
                          np.random.default_rng(7), count)
    after = unpack_bits(flipped, 250, word)
    ones, zeros = values > 0, values < 0
    k10 = int(np.count_nonzero(ones & (after < 0)))
    k01 = int(np.count_nonzero(zeros & (after > 0)))
    assert (k01, k10) == (count.flipped01, count.flipped10)
    assert _within(k10, int(ones.sum()), p10) and _within(k01, int(zeros.sum()), p01)
    if p01 == 0.0:
        assert k01 == 0
    # The channel-padding bits (250..255 of each row's last word) stay 0.
    assert np.array_equal(pack_bits(after, word), flipped)


def test_rate_zero_flips_nothing_and_one_flips_everything():
    g = binary_net(seed=1)
    clean = inject_weight_errors(g, BitErrorRates(0.0, 0.0), seed=5)
    assert clean.total.bits > 1000 and clean.total.flipped01 == clean.total.flipped10 == 0
    for name, _ in binary_weights(g):
        assert np.array_equal(clean.graph.tensors[name].data, g.tensors[name].data)
    full = inject_weight_errors(g, BitErrorRates(1.0, 1.0), seed=5)
    for name, _ in binary_weights(g):
        assert np.array_equal(full.graph.tensors[name].data, -g.tensors[name].data)


def test_a_seed_names_one_corrupted_model():
    g = binary_net(seed=2)
    rates = BitErrorRates.symmetric(0.05)
    a, b = inject_weight_errors(g, rates, 11), inject_weight_errors(g, rates, 11)
    c = inject_weight_errors(g, rates, 12)
    names = [n for n, _ in binary_weights(g)]
    assert all(np.array_equal(a.graph.tensors[n].data, b.graph.tensors[n].data) for n in names)
    assert any(not np.array_equal(a.graph.tensors[n].data, c.graph.tensors[n].data)
               for n in names)
    assert _within(a.total.flipped01 + a.total.flipped10, a.total.bits, 0.05)
    # The original is untouched and the copy still runs.
    x = random_input(g, 0)
    assert run_int8(a.graph, x)[g.outputs[0]].shape == run_int8(g, x)[g.outputs[0]].shape


def test_activation_flips_change_binary_activations_only():
    g = binary_net(seed=3)
    x = random_input(g, 1)
    out = g.outputs[0]
    same = run_int8(g, x, after_op=activation_errors(g, BitErrorRates(0.0, 0.0), 0))[out]
    assert np.array_equal(same, run_int8(g, x)[out])
    seen = []

    def spy(op, value):
        seen.append((g.tensors[op.outputs[0]].dtype, value))
        return value

    flip_all = activation_errors(g, BitErrorRates(1.0, 1.0), 0)
    for op in g.ops:
        value = np.where(np.arange(6) % 2 == 0, 1, -1).reshape(1, 6)
        flipped = flip_all(op, value)
        if g.tensors[op.outputs[0]].dtype == "binary":
            assert np.array_equal(flipped, -value)
        else:
            assert flipped is value
    run_int8(g, x, after_op=spy)
    assert {"binary", "int8"} <= {d for d, _ in seen}


def test_rates_are_probabilities_and_a_model_needs_binary_weights():
    with pytest.raises(TinypruneError, match="p10 = 1.5"):
        BitErrorRates(0.0, 1.5)
    from graphs import residual_net

    with pytest.raises(UnsupportedError, match="no binary weights"):
        inject_weight_errors(residual_net(seed=1), BitErrorRates.symmetric(0.01), 0)
