"""The model zoo (the seed's gesture CNN) and the training loop."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from toy_gestures import toy_gestures  # noqa: E402

from sdk.errors import TinypruneError  # noqa: E402
from sdk.frontends.pytorch import from_torch  # noqa: E402
from sdk.ir import load_model, save_model  # noqa: E402
from sdk.reference import run_float  # noqa: E402
from sdk.train.loop import evaluate, train_classifier  # noqa: E402
from sdk.zoo import get as zoo_get  # noqa: E402
from sdk.zoo import names  # noqa: E402

torch.set_num_threads(1)

# The seed's Keras summary (appendix C): output shape of every layer that has parameters or
# changes the shape, in NHWC, and the total.
SEED_SHAPES = [(1, 30, 20, 32), (1, 30, 20, 32), (1, 15, 10, 32), (1, 15, 10, 32),
               (1, 15, 10, 32), (1, 7, 5, 32), (1, 7, 5, 32), (1, 7, 5, 32), (1, 3, 2, 32),
               (1, 192), (1, 100), (1, 4), (1, 4)]
SEED_PARAMS = 66_264


def _gesture(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return zoo_get("gesture_cnn").factory().eval()


def test_gesture_cnn_has_the_seeds_parameters_and_shapes():
    entry = zoo_get("gesture_cnn")
    model = _gesture()
    assert sum(p.numel() for p in model.parameters()) == SEED_PARAMS
    graph = from_torch(model, entry.input_shape, "gesture_cnn")
    assert graph.parameter_count() == SEED_PARAMS
    assert [graph.tensors[op.outputs[0]].shape for op in graph.ops] == SEED_SHAPES
    assert graph.tensors[graph.inputs[0]].shape == (1, 30, 20, 1)
    assert graph.ops[-1].type == "Softmax"
    assert entry.class_names == ("swipe", "press", "pick", "empty")
    assert sum(graph.macs(op) for op in graph.ops) == pytest.approx(9.1e6, rel=0.02)


def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    graph = from_torch(_gesture(1), zoo_get("gesture_cnn").input_shape, "gesture_cnn")
    loaded = load_model(save_model(graph, tmp_path / "gesture.tpm"))
    assert [(op.name, op.type, op.attrs) for op in loaded.ops] == \
           [(op.name, op.type, op.attrs) for op in graph.ops]
    x = np.random.default_rng(0).normal(size=(1, 30, 20, 1)).astype(np.float32)
    out = graph.outputs[0]
    np.testing.assert_array_equal(run_float(loaded, x)[out], run_float(graph, x)[out])


def test_mnist_cnn_size_and_registry():
    entry = zoo_get("mnist_cnn")
    model = entry.factory()
    assert 20_000 <= sum(p.numel() for p in model.parameters()) <= 50_000
    assert model(torch.zeros(entry.input_shape)).shape == (1, len(entry.class_names))
    assert names(binary=False) == ["gesture_cnn", "gesture_tcn", "mnist_cnn"]
    assert names(binary=True) == ["bnn_gesture_cnn", "bnn_gesture_msp430", "bnn_mnist"]
    assert names() == sorted(names(binary=False) + names(binary=True))
    with pytest.raises(TinypruneError,
                       match=r"zoo: no model 'resnet'; known: bnn_gesture_cnn, .*gesture_cnn"):
        zoo_get("resnet")


def _tiny() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.Flatten(),
                         nn.Dropout(0.2), nn.Linear(4 * 14 * 9, 4))


def test_training_is_deterministic_restores_best_and_keeps_global_rng():
    train, val = toy_gestures(10, seed=0), toy_gestures(5, seed=1)
    runs = []
    before = torch.random.get_rng_state()
    for _ in range(2):
        torch.manual_seed(3)
        model = _tiny()
        state = torch.random.get_rng_state()
        result = train_classifier(model, train, val, epochs=4, lr=3e-3, batch_size=8, seed=7,
                                  progress=False)
        assert torch.equal(torch.random.get_rng_state(), state)
        runs.append((result, [p.detach().clone() for p in model.parameters()]))
    torch.random.set_rng_state(before)
    (r1, w1), (r2, w2) = runs
    assert [(h.train, h.val) for h in r1.history] == [(h.train, h.val) for h in r2.history]
    assert len(r1.history) == 4
    assert all(torch.equal(a, b) for a, b in zip(w1, w2))
    best = r1.history[r1.best_epoch - 1]
    assert best.val.accuracy == r1.best_val_accuracy == max(h.val.accuracy for h in r1.history)
    restored = evaluate(_reload(w1), *val)
    assert restored.accuracy == best.val.accuracy
    assert restored.loss == pytest.approx(best.val.loss, rel=1e-5)


def _reload(weights: list[torch.Tensor]) -> nn.Module:
    model = _tiny()
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(w)
    return model


def test_early_stopping_stops_after_patience():
    train, val = toy_gestures(8, seed=0), toy_gestures(4, seed=1)
    torch.manual_seed(0)
    # lr 0 never improves on epoch 1, so patience 2 stops after epoch 3.
    result = train_classifier(_tiny(), train, val, epochs=10, lr=0.0, batch_size=8, seed=0,
                              patience=2, progress=False)
    assert result.stopped_early and len(result.history) == 3 and result.best_epoch == 1


def test_gesture_cnn_short_training_beats_chance():
    train = toy_gestures(40, seed=10)
    val = toy_gestures(10, seed=11)
    x_test, y_test = toy_gestures(25, seed=12)
    model = _gesture(2)
    result = train_classifier(model, train, val, epochs=6, lr=2e-3, batch_size=16, seed=0,
                              progress=False)
    accuracy = evaluate(model, x_test, y_test).accuracy
    assert accuracy > 0.6, (accuracy, [h.val.accuracy for h in result.history])


@pytest.mark.parametrize("name,hw,context", [("gesture_cnn", (6, 16), 1),
                                             ("gesture_cnn", (30, 20), 1),
                                             ("gesture_tcn", (4 * 6, 16), 4)])
@pytest.mark.parametrize("classes", [3, 5])
def test_gesture_models_take_the_data_shape_and_classes(name, hw, context, classes):
    import torch

    from sdk.frontends.pytorch import from_torch
    from sdk.zoo import get

    module = get(name).build(classes, hw, context).eval()
    assert module(torch.zeros(2, 1, *hw)).shape == (2, classes)
    graph = from_torch(module, (1, 1, *hw), name)
    assert graph.tensors[graph.outputs[0]].size == classes


def test_a_fixed_shape_model_refuses_other_data_in_one_line():
    from sdk.errors import ShapeError
    from sdk.zoo import get

    with pytest.raises(ShapeError, match=r"^zoo: this model takes 28 x 28 inputs, the data has 6 x 16$"):
        get("mnist_cnn").build(10, (6, 16))
