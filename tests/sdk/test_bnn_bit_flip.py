"""Bit-error-aware training (sdk.bnn.bit_flip): rate 0 changes nothing, training flips hit
the rates per direction (binomial bounds), eval never flips, the gradient is the straight-
through one, a seed repeats its draws, a bad rate is one line."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from toy_gestures import toy_gestures  # noqa: E402

from sdk.bnn.bit_errors import BitErrorRates  # noqa: E402
from sdk.bnn.bit_flip import BitFlipSign, add_bit_flips  # noqa: E402
from sdk.bnn.quantizers import SteSign  # noqa: E402
from sdk.errors import TinypruneError  # noqa: E402
from sdk.nas.space import build_module  # noqa: E402
from sdk.train.zoo_fit import fit_zoo_model  # noqa: E402

ARCH = {"input": [1, 12, 12], "convs": [[4, 3, 1, 0]], "dense": [16], "classes": 3}


def _within(k: int, n: int, p: float, sigmas: float = 5.0) -> bool:
    return abs(k - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1e-9


def _quantizer(p01: float, p10: float, seed: int = 0) -> BitFlipSign:
    return BitFlipSign(SteSign(), BitErrorRates(p01, p10), torch.Generator().manual_seed(seed))


def _latent(n: int = 40_000) -> torch.Tensor:
    return torch.rand(n, generator=torch.Generator().manual_seed(7)) * 2 - 1


def test_rate_zero_changes_nothing() -> None:
    torch.manual_seed(0)
    plain = build_module(ARCH, "ste_sign")
    flipped = build_module(ARCH, "ste_sign")
    flipped.load_state_dict(plain.state_dict())
    assert add_bit_flips(flipped, 0.0, 0) == 3  # first layer, binary dense, head
    x = torch.randn(5, 1, 12, 12)
    plain.train()
    flipped.train()
    assert torch.equal(plain(x), flipped(x))


@pytest.mark.parametrize("p01,p10", [(0.01, 0.01), (0.05, 0.002), (0.0, 0.2)])
def test_training_flip_rates(p01: float, p10: float) -> None:
    w = _latent()
    q = SteSign().value(w)
    quantizer = _quantizer(p01, p10).train()
    flipped = quantizer(w) != q
    zeros, ones = q < 0, q > 0
    assert _within(int((flipped & zeros).sum()), int(zeros.sum()), p01)
    assert _within(int((flipped & ones).sum()), int(ones.sum()), p10)
    assert not torch.equal(quantizer(w), quantizer(w)) or p01 == p10 == 0.0  # fresh draw


def test_eval_never_flips_and_draws_nothing() -> None:
    w = _latent()
    quantizer = _quantizer(0.5, 0.5).eval()
    state = quantizer.generator.get_state()
    assert torch.equal(quantizer(w), SteSign().value(w))
    assert torch.equal(quantizer.generator.get_state(), state)


def test_straight_through_gradient_and_seeded_draws() -> None:
    w = (_latent(1000) * 1.5).requires_grad_()
    _quantizer(0.3, 0.3).train()(w).sum().backward()
    assert w.grad is not None
    assert torch.equal(w.grad, (w.detach().abs() <= 1).float())
    a, b = _quantizer(0.1, 0.1, seed=3).train(), _quantizer(0.1, 0.1, seed=3).train()
    assert torch.equal(a(w), b(w))


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan")])
def test_bad_rate_is_one_line(rate: float) -> None:
    module = build_module(ARCH, "ste_sign")
    with pytest.raises(TinypruneError, match="bit error rate") as err:
        add_bit_flips(module, rate, 0)
    assert "\n" not in str(err.value)
    assert not any(isinstance(m, BitFlipSign) for m in module.modules())


def test_training_with_flips_repeats_and_is_recorded() -> None:
    train, val = ((x[:, 0], y) for x, y in (toy_gestures(6, seed=0), toy_gestures(3, seed=1)))
    train, val = list(train), list(val)

    def losses(train_ber: float | None) -> tuple[list[float], dict]:
        report = fit_zoo_model("bnn_gesture_msp430", train, val, val, ["a", "b", "c", "d"],
                               epochs=2, seed=7, batch_size=8, progress=False,
                               train_ber=train_ber)
        return [h.train.loss for h in report.result.history], report.graph.metadata["training"]

    flipped, meta = losses(0.05)
    assert meta["train_ber"] == 0.05
    assert losses(0.05)[0] == flipped  # the draws follow the seed
    plain, meta = losses(None)
    assert plain != flipped and "train_ber" not in meta
