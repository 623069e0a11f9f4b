"""Quantization-aware fine-tuning: fake quantization mirrors the int8 graph, and the fine-tuned
model goes back through from_torch + quantize_graph."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from toy_gestures import toy_gestures  # noqa: E402

from sdk.compress.qat import finish_qat, prepare_qat, qat_finetune  # noqa: E402
from sdk.compress.quantize import quantize_graph  # noqa: E402
from sdk.compress.report import accuracy_before_after, predict_int8  # noqa: E402
from sdk.frontends.pytorch import from_torch  # noqa: E402
from sdk.train.loop import train_classifier  # noqa: E402
from sdk.train.mnist import to_nhwc  # noqa: E402

SHAPE = (1, 1, 30, 20)


class SmallNet(nn.Module):
    """Conv-BN-ReLU-pool, Conv-ReLU-pool, Dense: a BatchNorm to fold and logits at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(8 * 7 * 5, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(2)
    x, y = toy_gestures(125, seed=0)
    data = {"train": (x[:350], y[:350]), "val": (x[350:425], y[350:425]),
            "test": (x[425:], y[425:])}
    torch.manual_seed(0)
    model = SmallNet()
    train_classifier(model, data["train"], data["val"], epochs=4, lr=3e-3, batch_size=32,
                     seed=0, progress=False)
    return model, data


def _int8(model, data):
    g = from_torch(model, SHAPE, "small")
    return g, quantize_graph(g, to_nhwc(data["train"][0][:150]), progress=False)


def test_fake_quantized_model_predicts_like_the_int8_graph(trained):
    model, data = trained
    handle = prepare_qat(copy.deepcopy(model))
    x = torch.as_tensor(data["train"][0][:150])
    handle.model.train()
    with torch.no_grad():  # let the observers see the calibration data (EMA of min/max)
        for _ in range(30):
            handle.model(x)
    handle.model.eval()
    with torch.no_grad():
        simulated = handle.model(torch.as_tensor(data["test"][0])).numpy()
        plain = model(torch.as_tensor(data["test"][0])).numpy()
    folded = finish_qat(handle)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    g, q = _int8(folded, data)
    # Weights on the int8 grid: PTQ reproduces every fine-tuned weight.
    for op in q.ops:
        if op.type in ("Conv2D", "Dense"):
            w, wq = g.tensors[op.inputs[1]].data, q.tensors[op.inputs[1]]
            shape = (-1,) + (1,) * (w.ndim - 1)
            assert np.abs(w - wq.data * wq.quant.scale.reshape(shape)).max() < 1e-6
    int8 = predict_int8(q, to_nhwc(data["test"][0]), progress=False)
    err_sim, err_plain = np.abs(simulated - int8).mean(), np.abs(plain - int8).mean()
    assert err_sim < err_plain  # the simulation is closer to the device than float is
    assert np.mean(simulated.argmax(1) == int8.argmax(1)) >= 0.98


def test_qat_finetune_result_quantizes_at_least_as_well_as_ptq(trained):
    model, data = trained
    x_test, y_test = to_nhwc(data["test"][0]), data["test"][1]
    _, ptq = accuracy_before_after(*_int8(model, data), x_test, y_test, progress=False)
    tuned, history = qat_finetune(model, data["train"], data["val"], epochs=2, lr=1e-3,
                                  batch_size=32, seed=0, progress=False)
    assert len(history.history) == 2
    float_acc, qat = accuracy_before_after(*_int8(tuned, data), x_test, y_test, progress=False)
    assert qat >= ptq - 0.01
    assert abs(float_acc - qat) <= 0.02
    assert model.features[1].__class__ is nn.BatchNorm2d  # the caller's model is untouched
