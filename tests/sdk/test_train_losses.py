"""The training losses: the hinge loss matches its formula, its popcount margins are the
device's distances from the thresholds, and training with it works."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sdk.bnn.models import bnn_mnist  # noqa: E402
from sdk.errors import TinypruneError, UnsupportedError  # noqa: E402
from sdk.train.losses import ClassifierLoss, HingeLoss, make_loss  # noqa: E402


def _formula(out: np.ndarray, target: np.ndarray, b: float) -> float:
    """mean over samples and classes of max(0, b - y_c out_c) / b, written out by loops."""
    total, count = 0.0, 0
    for n in range(out.shape[0]):
        for c in range(out.shape[1]):
            y = 1.0 if c == target[n] else -1.0
            total += max(0.0, b - y * out[n, c]) / b
            count += 1
    return total / count


def test_hinge_matches_its_formula_in_popcount_units():
    rng = np.random.default_rng(0)
    out = rng.integers(-256, 257, size=(7, 10)).astype(np.float64)
    target = rng.integers(0, 10, size=7)
    loss = HingeLoss(128.0)(torch.tensor(out), torch.tensor(target))
    assert float(loss) == pytest.approx(_formula(out, target, 128.0), rel=1e-12)
    # Outputs beyond their margins cost nothing; one on its threshold costs 1 per class.
    assert float(HingeLoss(4.0)(torch.tensor([[5.0, -4.0]]), torch.tensor([0]))) == 0.0
    assert float(HingeLoss(4.0)(torch.tensor([[0.0, 0.0]]), torch.tensor([0]))) == 1.0


def test_relative_hinge_uses_half_the_logit_range_and_ignores_scale():
    rng = np.random.default_rng(1)
    out = rng.normal(size=(5, 4))
    target = rng.integers(0, 4, size=5)
    b = 0.3 * (out.max() - out.min()) / 2
    hinge = HingeLoss(0.3, units="relative")
    assert float(hinge(torch.tensor(out), torch.tensor(target))) == pytest.approx(
        _formula(out, target, b), rel=1e-12)
    assert float(hinge(torch.tensor(8 * out), torch.tensor(target))) == pytest.approx(
        float(hinge(torch.tensor(out), torch.tensor(target))), rel=1e-12)


def test_popcount_margins_are_the_int8_heads_dot_plus_bias():
    torch.manual_seed(0)
    model = bnn_mnist()
    x = torch.rand(64, 1, 28, 28)
    model.train()
    model.logits(x)  # running statistics
    head = model.head
    with torch.no_grad():
        head.bn.weight.copy_(torch.linspace(-1.5, 2.0, 10))  # negative gains too
        head.bn.bias.copy_(torch.linspace(-3.0, 3.0, 10))
    model.eval()
    with torch.no_grad():
        margins = model.margin_scores(x).double().numpy()
        hidden = model.classifier[:-1](model.features(x))
        dot = head.linear(hidden).double().numpy()
    p = head.int8_params()
    # The device's accumulator dot' + bias, before rounding the bias: sign(g) dot + bias.
    device = dot * p.flip + p.bias
    assert np.max(np.abs(margins - device)) <= 0.5 + 1e-4  # the bias is rounded to an integer
    assert margins.shape == (64, 10)


def test_training_with_hinge_lowers_the_hinge_loss():
    from sdk.train.loop import train_classifier

    rng = np.random.default_rng(0)
    x = rng.random((96, 1, 28, 28)).astype(np.float32)
    y = (x[:, 0, :14].mean(axis=(1, 2)) > x[:, 0, 14:].mean(axis=(1, 2))).astype(np.int64)
    torch.manual_seed(0)
    model = bnn_mnist(num_classes=2)
    hinge = HingeLoss(16.0)
    xt, yt = torch.tensor(x), torch.tensor(y)
    model.eval()
    with torch.no_grad():
        before = float(hinge(model.margin_scores(xt), yt))
    train_classifier(model, (x, y), (x, y), epochs=4, lr=5e-3, batch_size=32, seed=0,
                     progress=False, loss_fn=hinge)
    with torch.no_grad():
        after = float(hinge(model.margin_scores(xt), yt))
    assert after < before


def test_make_loss_choices():
    assert type(make_loss("ce")) is ClassifierLoss
    assert make_loss("hinge", binary=True).describe() == {"name": "hinge", "margin": 128.0,
                                                         "units": "popcount"}
    assert make_loss("hinge", 0.25).describe()["units"] == "relative"
    with pytest.raises(UnsupportedError, match="loss 'l2'"):
        make_loss("l2")
    with pytest.raises(TinypruneError, match="--margin"):
        make_loss("ce", 3.0)
    with pytest.raises(UnsupportedError, match="popcount"):
        HingeLoss().scores(torch.nn.Linear(2, 2), torch.zeros(1, 2))


def test_training_a_float_model_with_relative_hinge():
    from sdk.train.loop import train_classifier

    rng = np.random.default_rng(2)
    x = rng.normal(size=(128, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    torch.manual_seed(0)
    model = torch.nn.Linear(6, 2)
    result = train_classifier(model, (x, y), (x, y), epochs=30, lr=0.05, batch_size=32, seed=0,
                              progress=False, loss_fn=make_loss("hinge"))
    assert result.best_val_accuracy > 0.9
