"""Quantizers, binary layers and binary training: values, gradients, padding, clipping."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from toy_gestures import toy_gestures  # noqa: E402

from sdk import zoo  # noqa: E402
from sdk.bnn.layers import QuantConv2d, clip_latent_weights  # noqa: E402
from sdk.bnn.models import INPUT_SCALE, INPUT_ZERO_POINT  # noqa: E402
from sdk.bnn.quantizers import ApproxSign, Int8Input, SteSign  # noqa: E402
from sdk.radar.gestures import quantize_input  # noqa: E402
from sdk.train.zoo_fit import fit_zoo_model  # noqa: E402

X = [-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0]


def _value_and_grad(q, xs):
    x = torch.tensor(xs, requires_grad=True)
    y = q(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def test_ste_sign_value_and_gradient():
    y, g = _value_and_grad(SteSign(), X)
    np.testing.assert_array_equal(y, [-1, -1, -1, 1, 1, 1, 1, 1])  # sign(0) = sign(-0) = +1
    np.testing.assert_array_equal(g, [0, 1, 1, 1, 1, 1, 1, 0])  # passed where |x| <= 1


def test_approx_sign_value_and_bireal_gradient():
    y, g = _value_and_grad(ApproxSign(), X)
    np.testing.assert_array_equal(y, [-1, -1, -1, 1, 1, 1, 1, 1])
    np.testing.assert_allclose(g, [0, 0, 1, 2, 2, 1, 0, 0])  # 2 - 2|x| inside [-1, 1]


def test_int8_input_is_the_devices_quantization_centered():
    rng = np.random.default_rng(0)
    frames = np.concatenate([rng.uniform(-0.2, 1.2, 500),
                             (np.arange(-3, 260) + 0.5) * INPUT_SCALE]).astype(np.float32)
    got = Int8Input(INPUT_SCALE, INPUT_ZERO_POINT)(torch.from_numpy(frames)).numpy()
    want = quantize_input(frames, INPUT_SCALE, INPUT_ZERO_POINT).astype(np.int64)
    np.testing.assert_array_equal(got, want - INPUT_ZERO_POINT)
    assert got.min() == 0 and got.max() == 255


def test_binary_padding_is_minus_one_and_int8_padding_is_zero():
    w = torch.ones(1, 1, 3, 3)
    for quantizer, corner in ((SteSign(), 9 - 2 * 5), (Int8Input(1.0, -128), 4 * 3)):
        conv = QuantConv2d(1, 1, 3, padding=1, input_quantizer=quantizer,
                           kernel_quantizer=SteSign())
        with torch.no_grad():
            conv.weight.copy_(w)
            out = conv(torch.full((1, 1, 4, 4), 3.0))
        # a corner window: 4 real pixels (+1 each, or 3 - 0 = 3 each), 5 padded ones
        assert float(out[0, 0, 0, 0]) == corner


def test_training_clips_latent_weights_and_is_deterministic():
    train, val = ((x[:, 0], y) for x, y in (toy_gestures(6, seed=0), toy_gestures(3, seed=1)))
    runs = []
    for _ in range(2):
        report = fit_zoo_model("bnn_gesture_msp430", train, val, val, ["a", "b", "c", "d"],
                               epochs=2, seed=7, lr=0.5, batch_size=8, progress=False)
        weights = [m.weight.detach() for m in report.module.modules()
                   if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
        assert all(float(w.abs().max()) <= 1.0 for w in weights)
        assert any(float(w.abs().max()) == 1.0 for w in weights)  # lr 0.5 pushed them there
        runs.append([h.train.loss for h in report.result.history])
        assert report.graph.ops[0].type == "BinaryConv2D"
        assert report.graph.metadata["training"]["epochs_run"] == 2
    assert runs[0] == runs[1]


def test_clip_leaves_float_layers_alone():
    model = zoo.get("bnn_mnist").factory(float_twin=True)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(3.0)
    clip_latent_weights(model)
    assert all(float(p.detach().max()) == 3.0 for p in model.parameters())
