"""Pruning: the schedule against its formula, masks through retraining, export, int8 and
.tpm, channel removal equal to the masked original (residual ADD included), one-line errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from graphs import residual_net
from int8_graphs import int8_residual_net
from sdk import zoo
from sdk.compress.quantize import quantize_graph
from sdk.errors import TinypruneError
from sdk.frontends.pytorch import from_torch
from sdk.ir import load_model, save_model
from sdk.prune.channels import channel_prune
from sdk.prune.ir_channels import plan_channels, prune_graph_channels, prune_graph_to_macs
from sdk.prune.ir_weights import load_into_module, prune_graph_weights
from sdk.prune.magnitude import MagnitudePruner, magnitude_prune, masks_to_ir, prunable_layers
from sdk.prune.retrain import retrain
from sdk.prune.schedule import PolynomialDecay
from sdk.reference import run_float, run_int8


@pytest.mark.parametrize("initial, final, begin, end, freq", [
    (0.0, 0.9, 0, 100, 10), (0.2, 0.95, 30, 170, 7), (0.5, 0.5, 0, 1, 1)])
def test_schedule_matches_its_formula_step_by_step(initial, final, begin, end, freq):
    s = PolynomialDecay(initial, final, begin, end, freq)
    for step in range(0, end + 40):
        p = 0.0 if step <= begin else 1.0 if step >= end else (step - begin) / (end - begin)
        assert s.sparsity(step) == pytest.approx(final + (initial - final) * (1 - p) ** 3,
                                                 abs=1e-12)
        assert s.should_prune(step) == (begin <= step <= end and (step - begin) % freq == 0)
    # a point worked by hand: halfway from 0 to 0.8 at power 3 is 0.8 - 0.8 / 8
    assert PolynomialDecay(0.0, 0.8, 0, 100).sparsity(50) == pytest.approx(0.7)


@pytest.mark.parametrize("kwargs", [dict(final_sparsity=1.0), dict(final_sparsity=-0.1),
                                    dict(initial_sparsity=1.5), dict(final_sparsity=float("nan")),
                                    dict(end_step=0), dict(frequency=0)])
def test_bad_schedules_are_one_line_errors(kwargs):
    args = dict(initial_sparsity=0.0, final_sparsity=0.5, begin_step=0, end_step=10) | kwargs
    with pytest.raises(TinypruneError) as info:
        PolynomialDecay(**args)
    assert "\n" not in str(info.value)


def _data(entry, n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *entry.input_shape[1:])).astype(np.float32)
    return x, rng.integers(0, len(entry.class_names), n)


def _nhwc(x):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("criterion", ["magnitude", "global_magnitude", "random"])
def test_masks_hold_through_retraining_export_int8_and_tpm(criterion, tmp_path):
    entry = zoo.get("mnist_cnn")
    torch.manual_seed(0)
    module = entry.factory()
    x, y = _data(entry)
    pruned, record = magnitude_prune(module, 0.8, criterion, (x, y), epochs=2, seed=0)
    layers = dict(prunable_layers(pruned))
    assert set(layers) == set(record["layers"]) == {"features.4", "features.8", "classifier.1"}
    sparsity = [float((m.weight == 0).float().mean()) for m in layers.values()]
    if criterion == "global_magnitude":
        total = sum(m.weight.numel() for m in layers.values())
        zeros = sum(int((m.weight == 0).sum()) for m in layers.values())
        assert zeros == round(0.8 * total)
    else:
        assert sparsity == pytest.approx([0.8] * 3, abs=1e-3)
    graph = from_torch(pruned, entry.input_shape, "mnist_cnn")
    masks_to_ir(pruned, graph, entry.input_shape, list(record["layers"]))
    masked = [t for t in graph.tensors.values() if t.mask is not None]
    assert len(masked) == 3
    for t in masked:
        assert not np.any(t.data[~t.mask]) and np.all(t.data[t.mask] != 0)
    qgraph = quantize_graph(graph, _nhwc(x[:16]), progress=False)
    for t in masked:
        q = qgraph.tensors[t.name]
        assert q.dtype == "int8" and np.array_equal(q.mask, t.mask) and not np.any(q.data[~q.mask])
    loaded = load_model(save_model(qgraph, tmp_path / "p.tpm"))
    for t in masked:
        assert np.array_equal(loaded.tensors[t.name].mask, t.mask)
        assert np.array_equal(loaded.tensors[t.name].data, qgraph.tensors[t.name].data)
    out = qgraph.outputs[0]
    sample = np.clip(np.round(_nhwc(x[:1]) * 10), -128, 127).astype(np.int8)
    assert np.array_equal(run_int8(loaded, sample)[out], run_int8(qgraph, sample)[out])


def test_masks_hold_while_training_without_updates():
    entry = zoo.get("gesture_cnn")
    torch.manual_seed(1)
    module = entry.factory()
    pruner = MagnitudePruner(prunable_layers(module), "magnitude")
    pruner.apply(0.6)
    before = {n: m.weight_mask.clone() for n, m in pruner.layers}
    x, y = _data(entry, 64)
    retrain(module, x, y, epochs=1, seed=0)
    for n, m in pruner.layers:
        assert torch.equal(m.weight_mask, before[n])
        assert not torch.any(m.weight[before[n] == 0])


def test_rising_sparsity_never_revives_a_weight():
    module = zoo.get("gesture_cnn").factory()
    pruner = MagnitudePruner(prunable_layers(module), "random", seed=3)
    pruner.apply(0.3)
    first = {n: m.weight_mask.clone() for n, m in pruner.layers}
    pruner.apply(0.7)
    for n, m in pruner.layers:
        assert not torch.any(m.weight_mask[first[n] == 0])


def test_a_graph_with_a_mask_over_nonzero_weights_is_refused():
    graph = residual_net(seed=1)
    w = graph.tensors[graph.ops[0].inputs[1]]
    w.mask = np.zeros(w.shape, bool)
    with pytest.raises(TinypruneError, match="pruning mask"):
        graph.validate()


def _masked_original(graph, plan):
    """The graph with every dropped channel's filters (and biases) zeroed, nothing removed."""
    masked = copy.deepcopy(graph)
    for tensors, keep in plan:
        for op in masked.ops:
            if op.outputs[0] in tensors and op.type in ("Conv2D", "DepthwiseConv2D"):
                axis = 0 if op.type == "Conv2D" else 3
                for name, ax in ((op.inputs[1], axis), *((b, 0) for b in op.inputs[2:])):
                    t = masked.tensors[name]
                    drop = np.setdiff1d(np.arange(t.shape[ax]), keep)
                    index = [slice(None)] * t.data.ndim
                    index[ax] = drop
                    t.data[tuple(index)] = 0
    return masked


@pytest.mark.parametrize("criterion", ["l1_filter", "geometric_median", "random_channel"])
@pytest.mark.parametrize("ratio", [0.25, 0.5, 0.75])
def test_channel_pruned_residual_graph_equals_masked_original(criterion, ratio):
    for graph, precise in ((residual_net(seed=1), False), (int8_residual_net(seed=2), True)):
        plan = plan_channels(graph, ratio, criterion, seed=4)
        assert any(len(t) > 2 for t, _ in plan), "a group through the residual ADD"
        pruned = prune_graph_channels(graph, ratio, criterion, seed=4)
        masked = _masked_original(graph, plan)
        out = graph.outputs[0]
        rng = np.random.default_rng(5)
        shape = graph.tensors[graph.inputs[0]].shape
        for _ in range(3):
            if precise:
                x = rng.integers(-128, 128, size=shape).astype(np.int8)
                assert np.array_equal(run_int8(pruned, x)[out], run_int8(masked, x)[out])
            else:
                x = rng.normal(size=shape).astype(np.float32)
                np.testing.assert_allclose(run_float(pruned, x)[out], run_float(masked, x)[out],
                                           rtol=1e-5, atol=1e-6)
        assert sum(pruned.macs(o) for o in pruned.ops) < sum(graph.macs(o) for o in graph.ops)


def test_ir_pruning_to_a_mac_target():
    graph = residual_net(seed=1)
    macs = sum(graph.macs(o) for o in graph.ops)
    pruned = prune_graph_to_macs(graph, macs // 2)
    assert sum(pruned.macs(o) for o in pruned.ops) <= macs // 2


@pytest.mark.parametrize("ratio", [0.9, 0.99])
def test_removing_every_channel_is_a_one_line_error(ratio):
    with pytest.raises(TinypruneError, match="every one of the 8 output channels") as info:
        prune_graph_channels(int8_residual_net(seed=2), ratio)
    assert "\n" not in str(info.value)
    entry = zoo.get("mnist_cnn")
    with pytest.raises(TinypruneError, match="would remove every one"):
        channel_prune(entry.factory(), entry.input_shape, "l1_filter", amount=ratio)


@pytest.mark.parametrize("amount", [1.0, 1.2, -0.01, float("nan")])
def test_sparsity_outside_the_unit_interval_is_a_one_line_error(amount):
    entry = zoo.get("mnist_cnn")
    for call in (lambda: magnitude_prune(entry.factory(), amount),
                 lambda: prune_graph_weights(residual_net(seed=1), amount),
                 lambda: channel_prune(entry.factory(), entry.input_shape, "l1_filter",
                                       amount=amount)):
        with pytest.raises(TinypruneError) as info:
            call()
        assert "[0, 1)" in str(info.value) and "\n" not in str(info.value)


class _Residual(nn.Module):
    """conv -> (conv, identity) -> add -> pool -> flatten -> linear: a residual ADD in torch."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(1, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.a(x))
        x = torch.relu(self.b(x) + x)
        return self.fc(torch.flatten(self.pool(x), 1))


def test_torch_pruning_follows_a_residual_add_and_flatten():
    torch.manual_seed(0)
    result = channel_prune(_Residual().eval(), (1, 1, 8, 8), "l1_filter", amount=0.5)
    m = result.module
    assert (m.a.out_channels, m.b.out_channels, m.b.in_channels, m.fc.in_features) == (4, 4, 4, 64)
    graph = from_torch(m, (1, 1, 8, 8), "residual")
    x = torch.randn(1, 1, 8, 8)
    out = run_float(graph, x.numpy().transpose(0, 2, 3, 1))[graph.outputs[0]]
    np.testing.assert_allclose(out, m(x).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["gesture_cnn", "mnist_cnn"])
def test_zoo_channel_pruning_to_a_mac_target(name):
    entry = zoo.get(name)
    module = entry.factory().eval()
    dense = from_torch(module, entry.input_shape, name)
    target = sum(dense.macs(o) for o in dense.ops) // 4
    result = channel_prune(module, entry.input_shape, "l1_filter", target_macs=target)
    graph = from_torch(result.module, entry.input_shape, name)
    assert sum(graph.macs(o) for o in graph.ops) <= target
    assert 0 < result.record["channels_removed_fraction"] < 1


@pytest.mark.parametrize("name", ["gesture_cnn", "mnist_cnn"])
def test_ir_weights_load_back_into_the_zoo_module(name):
    entry = zoo.get(name)
    torch.manual_seed(2)
    module = entry.factory().eval()
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
    graph = from_torch(module, entry.input_shape, name)
    loaded = load_into_module(entry.factory(), graph)
    x = torch.randn(2, *entry.input_shape[1:])
    with torch.no_grad():
        np.testing.assert_allclose(loaded.logits(x).numpy(), module.logits(x).numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_ir_magnitude_pruning_of_an_int8_graph():
    graph = int8_residual_net(seed=2)
    pruned = prune_graph_weights(graph, 0.5, exclude=[])
    for op in pruned.ops:
        if op.type in ("Conv2D", "DepthwiseConv2D", "Dense"):
            t = pruned.tensors[op.inputs[1]]
            assert t.mask is not None and abs(1 - t.mask.mean() - 0.5) < 0.05
    assert pruned.metadata["pruning"]["structure"] == "unstructured"


def test_a_pruned_filter_quantizes_with_its_layers_scale():
    from sdk.compress.quantize import quantize_weights

    w = np.random.default_rng(0).normal(size=(4, 3, 3, 2)).astype(np.float32)
    w[1] = 0.0
    q, params = quantize_weights(w, 0)
    assert not q[1].any()
    assert params.scale[1] == pytest.approx(params.scale.max())
    assert quantize_weights(np.zeros((2, 3), np.float32), 0)[1].scale.tolist() == [1.0, 1.0]
