"""Pruning binary networks: flip counting, channel removal that keeps every shape consistent
(the exported graph decides exactly as the pruned torch model), the graph back as a module,
the packed size and binary operations, and the per-layer amounts of the criteria."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bnn_models import (  # noqa: E402
    graph_activations,
    graph_input,
    head_scores,
    seeded_batchnorms,
    torch_binary_activations,
)

from sdk import zoo  # noqa: E402
from sdk.bnn.cost import graph_cost  # noqa: E402
from sdk.bnn.export import export_binary  # noqa: E402
from sdk.bnn.from_ir import module_from_graph  # noqa: E402
from sdk.bnn.surgery import blocks, remove_channels, widths  # noqa: E402
from sdk.errors import ShapeError, TinypruneError  # noqa: E402
from sdk.prune.binary_channels import (  # noqa: E402
    Scores,
    SizeTarget,
    check_reachable,
    floor_widths,
    keep_for_amounts,
    scores_of,
)
from sdk.prune.flips import (  # noqa: E402
    FlipCounter,
    channel_flip_rate,
    insensitive_fraction,
)

# Latent values of three weights over five steps: +.+.-.+(0).+ flips 2 times (0 is +1),
# the second never, the third every step.
HISTORY = [np.array([0.3, 0.5, 0.01]), np.array([0.1, 0.6, -0.01]), np.array([-0.2, 0.7, 0.02]),
           np.array([0.0, 0.9, -0.03]), np.array([0.4, 1.0, 0.04])]


def test_flips_are_counted_on_a_hand_made_weight_history():
    layer = torch.nn.Linear(3, 1, bias=False)
    counter = None
    for i, w in enumerate(HISTORY):
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w[None].astype(np.float32)))
        if i == 0:
            counter = FlipCounter({"l": layer})
        else:
            counter.step()
    np.testing.assert_array_equal(counter.counts()["l"], [[2, 0, 4]])
    assert counter.steps == 4
    counter.step()  # no change since the last step: nothing more counted
    np.testing.assert_array_equal(counter.counts()["l"], [[2, 0, 4]])
    flips = np.array([[0, 0, 3, 1], [2, 2, 2, 2], [0, 0, 0, 0]])
    assert insensitive_fraction(flips, 2) == pytest.approx(5 / 12)
    np.testing.assert_allclose(channel_flip_rate(flips), [1.0, 2.0, 0.0])


def _seeded(name: str, seed: int = 2):
    entry = zoo.get(name)
    torch.manual_seed(1)
    return entry, seeded_batchnorms(entry.factory(), seed=seed)


def _random_keep(model, seed: int = 0, share: float = 0.5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {b.name: rng.choice(b.width, max(1, int(b.width * share)), replace=False)
            for b in blocks(model)}


@pytest.mark.parametrize("name", ["bnn_gesture_cnn", "bnn_mnist", "bnn_gesture_msp430"])
def test_channel_removal_keeps_shapes_and_the_graph_decides_as_torch(name):
    entry, model = _seeded(name)
    keep = _random_keep(model)
    pruned = remove_channels(model, keep)
    assert widths(pruned) == {n: len(k) for n, k in keep.items()}
    assert widths(model) != widths(pruned)  # the original is untouched
    x = torch.rand(6, *entry.input_shape[1:])
    graph = export_binary(pruned, entry.input_shape, name)  # validates every shape
    binary, scores, _ = graph_activations(graph, graph_input(x))
    want = torch_binary_activations(pruned, x)
    assert len(binary) == len(want) > 0
    for got, ref in zip(binary, want):
        np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(scores, head_scores(pruned, x))
    # The first layer's kept channels compute what they did before the removal.
    first = sorted(keep)[0] if name == "bnn_mnist" else "features.0"
    before = torch_binary_activations(model, x)[0]
    np.testing.assert_array_equal(want[0], before[..., np.sort(keep[first])])


def test_channel_removal_refuses_bad_indices():
    _, model = _seeded("bnn_gesture_msp430")
    name = blocks(model)[0].name
    for bad in ([], [0, 0], [16], [-1]):
        with pytest.raises(ShapeError, match=f"layer {name} keeps"):
            remove_channels(model, {name: np.array(bad, dtype=int)})
    with pytest.raises(ShapeError, match="not a prunable binary layer"):
        remove_channels(model, {"classifier.3": np.arange(2)})


def test_cost_counts_packed_bytes_and_binary_operations():
    entry, model = _seeded("bnn_mnist")
    cost = graph_cost(export_binary(model, entry.input_shape, "m"))
    # weights: 256 x ceil(784/32) words, 256 x 8, 10 x 8 (4 bytes each); int32 thresholds of
    # 256 + 256 and the head's 10 biases
    assert cost.bytes == 4 * (256 * 25 + 256 * 8 + 10 * 8) + 4 * (256 + 256 + 10)
    assert cost.binary_ops == 256 * 256 + 256 * 10  # the int8-input first layer is not binary
    assert cost.macs == 784 * 256 + cost.binary_ops


@pytest.mark.parametrize("name", ["bnn_gesture_msp430", "bnn_mnist"])
def test_a_binary_graph_comes_back_as_a_module_that_decides_the_same(name):
    entry, model = _seeded(name, seed=5)
    x = torch.rand(64, *entry.input_shape[1:])
    pruned = remove_channels(model, _random_keep(model, share=0.75))
    graph = export_binary(pruned, entry.input_shape, name)
    back = module_from_graph(graph, x.numpy())
    assert widths(back) == widths(pruned)
    with torch.no_grad():
        np.testing.assert_array_equal(back(x).argmax(1).numpy(), pruned(x).argmax(1).numpy())
    again = export_binary(back, entry.input_shape, name)
    for t in graph.tensors.values():
        if t.is_constant:
            np.testing.assert_array_equal(again.tensors[t.name].data, t.data, err_msg=t.name)


def test_flip_scores_remove_the_most_flipping_channels_first():
    _, model = _seeded("bnn_gesture_msp430")
    flips = {b.name: np.zeros(b.layer.weight.shape, np.int64) for b in blocks(model)}
    first = blocks(model)[0].name
    flips[first][[3, 7]] = 5  # two channels whose weights all flip
    flips[first][0, 0, 0, 0] = 9  # one weight of channel 0
    scores = scores_of(model, "flip_frequency", flips, min_flips=2)
    assert scores.profile[first] == pytest.approx((2 * 9 + 1) / (16 * 9))
    assert all(v == 0 for n, v in scores.profile.items() if n != first)
    current = widths(model)
    keep = keep_for_amounts(scores, current, floor_widths(current, 0.25), {first: 3 / 16, **{
        n: 0.0 for n in current if n != first}})
    assert set(keep) == {first}
    assert sorted(set(range(16)) - set(keep[first].tolist())) == [0, 3, 7]


def test_amounts_stop_at_the_floor_and_unreachable_targets_are_one_line():
    entry, model = _seeded("bnn_gesture_msp430")
    current = widths(model)
    least = floor_widths(current, 0.25)
    scores = Scores({n: 1.0 for n in current}, {n: np.arange(w, dtype=float)
                                               for n, w in current.items()})
    keep = keep_for_amounts(scores, current, least, {n: 1.0 for n in current})
    assert {n: len(k) for n, k in keep.items()} == least == {n: max(1, -(-w // 4))
                                                           for n, w in current.items()}
    own = check_reachable(model, SizeTarget("bytes", 10**6), 0.25, entry.input_shape, "m")
    assert own == graph_cost(export_binary(model, entry.input_shape, "m")).bytes
    with pytest.raises(TinypruneError, match=r"--to-ops 10: m cannot get below [\d,]+ binary ops"):
        check_reachable(model, SizeTarget("binary_ops", 10), 0.25, entry.input_shape, "m")


def test_mnist_task_splits_the_digits_as_the_model_was_trained():
    from sdk.prune.task import load_task
    from sdk.train.mnist import MNIST_DIR, mnist_splits

    if not MNIST_DIR.is_dir():
        pytest.skip(f"the shared MNIST digits are not at {MNIST_DIR} (../shared)")
    task = load_task("mnist", "bnn_mnist", 1)
    np.testing.assert_array_equal(task.test[1], mnist_splits(1).test[1])
    assert not np.array_equal(task.test[1], load_task("mnist", "bnn_mnist").test[1])
