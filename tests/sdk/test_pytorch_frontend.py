"""PyTorch frontend against the float reference executor on the same inputs.

A wrong layout conversion (weights, flatten order, padding split) cannot be caught by the C
kernel tests, which only compare C with the reference; these tests can.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from sdk.errors import ShapeError, UnsupportedError  # noqa: E402
from sdk.frontends.pytorch import from_torch  # noqa: E402
from sdk.reference import run_float  # noqa: E402
from sdk.zoo import get as zoo_get  # noqa: E402

torch.set_num_threads(1)


def _randomize(model: nn.Module, seed: int) -> nn.Module:
    """Random weights and BatchNorm statistics far from the identity, then eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) * 1.5 + 0.25)
                if m.affine:
                    m.weight.copy_(torch.randn(m.num_features, generator=gen) * 0.5 + 1.0)
                    m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.3)
    return model.eval()


def _check(model: nn.Module, input_shape: tuple[int, ...], seed: int = 0, trials: int = 3):
    """Convert, then compare PyTorch and the reference executor on random inputs."""
    model = _randomize(model, seed)
    graph = from_torch(model, input_shape, "m")
    gen = torch.Generator().manual_seed(seed + 1)
    for _ in range(trials):
        x = torch.randn(input_shape, generator=gen)
        with torch.no_grad():
            expected = model(x).numpy()
        x_ir = x.numpy().transpose(0, 2, 3, 1) if x.ndim == 4 else x.numpy()
        got = run_float(graph, x_ir)[graph.outputs[0]]
        if expected.ndim == 4:
            expected = expected.transpose(0, 2, 3, 1)
        assert got.shape == expected.shape
        scale = float(np.abs(expected).max())
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)
    return graph


class ConvBnRelu(nn.Module):
    """Conv+BN+ReLU (no conv bias), stride-2 conv+BN+ReLU6 with padding 0, flatten, Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 6, 3, stride=2, padding=0)
        self.bn2 = nn.BatchNorm2d(6)
        self.act2 = nn.ReLU6()
        self.fc = nn.Linear(6 * 5 * 4, 5)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


class Depthwise(nn.Module):
    """Depthwise with multiplier 1 ("same") and 2 (stride 2, padding 1), then pointwise."""

    def __init__(self) -> None:
        super().__init__()
        self.dw1 = nn.Conv2d(4, 4, 3, padding="same", groups=4)
        self.bn1 = nn.BatchNorm2d(4)
        self.dw2 = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=4, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(8, 5, 1)

    def forward(self, x):
        x = F.relu6(self.bn1(self.dw1(x)))
        x = torch.clamp(self.bn2(self.dw2(x)), 0, 6)
        return self.pw(x)


class Residual(nn.Module):
    """Residual add with a ReLU after it, avg pool, view-flatten into Linear, softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(2, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU())
        self.body = nn.Sequential(nn.Conv2d(6, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                                  nn.Conv2d(6, 6, 3, padding=1), nn.BatchNorm2d(6))
        self.pool = nn.AvgPool2d(2)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(6 * 4 * 3, 4)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(torch.add(x, self.body(x)))
        x = self.drop(self.pool(x))
        return F.softmax(self.head(x.view(x.size(0), -1)), dim=-1)


class Pools(nn.Module):
    """Max pool 3x3/2 with padding, avg pool with padding (count_include_pad=False),
    adaptive average pool to 1x1, Identity, and a flatten whose order is trivial."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 4, padding="same")  # even kernel: asymmetric padding
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.avgpool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.ident = nn.Identity()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)

    def forward(self, x):
        x = F.hardtanh(self.conv(x), 0.0, 6.0)
        x = self.avgpool(self.maxpool(x))
        x = self.ident(self.gap(x)).reshape(1, -1)
        return self.bn(self.fc(x)).relu()


class Functional(nn.Module):
    """The functional and method spellings, BatchNorm without affine, two outputs."""

    def __init__(self, scale_logits: bool = False) -> None:
        super().__init__()
        self.scale_logits = scale_logits
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6, affine=False)
        self.conv2 = nn.Conv2d(6, 6, 1)
        self.drop = nn.Dropout2d(0.5)
        self.fc = nn.Linear(6 * 2 * 2, 3)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = F.max_pool2d(x, 2)
        y = self.conv2(x).clamp(min=0)
        y = F.dropout(self.drop(y), 0.5, self.training).contiguous()
        y = F.avg_pool2d(y, kernel_size=2, stride=2)
        z = F.adaptive_avg_pool2d(x, (2, 2))
        flat = (y + z).flatten(1)
        logits = self.fc(flat)
        if self.scale_logits:
            logits = flat.shape[1] * logits
        return self.fc(flat).relu_(), torch.softmax(logits, dim=1)


def test_functional_spellings_and_two_outputs():
    model = _randomize(Functional(), 19)
    graph = from_torch(model, (1, 3, 8, 8), "m")
    x = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = [t.numpy() for t in model(x)]
    got = run_float(graph, x.numpy().transpose(0, 2, 3, 1))
    assert len(graph.outputs) == 2
    for name, want in zip(graph.outputs, expected):
        np.testing.assert_allclose(got[name], want, rtol=1e-4, atol=1e-5)
    assert graph.ops[0].attrs["fused"] == ["conv", "bn", "relu"]


def test_scaling_by_a_constant_is_unsupported():
    with pytest.raises(UnsupportedError, match=r"function mul\(\) at node 'mul'"):
        from_torch(Functional(scale_logits=True), (1, 3, 8, 8), "m")


def test_conv_bn_relu_stride2_flatten_into_dense():
    graph = _check(ConvBnRelu(), (1, 3, 12, 10))
    conv1 = graph.ops[0]
    assert conv1.attrs["fused"] == ["conv1", "bn1", "relu1"]
    assert conv1.attrs["activation"] == "relu" and len(conv1.inputs) == 3  # BN added a bias
    assert graph.ops[1].attrs["activation"] == "relu6"
    assert [op.type for op in graph.ops] == ["Conv2D", "Conv2D", "Reshape", "Dense"]


def test_depthwise_multiplier_1_and_2():
    graph = _check(Depthwise(), (1, 4, 9, 8), seed=3)
    dws = [op for op in graph.ops if op.type == "DepthwiseConv2D"]
    assert [op.attrs.get("depth_multiplier") for op in dws] == [1, 2]
    assert [op.attrs["activation"] for op in dws] == ["relu6", "relu6"]


def test_residual_add_avgpool_view_softmax():
    graph = _check(Residual(), (1, 2, 8, 6), seed=5)
    types = [op.type for op in graph.ops]
    assert "Add" in types and types[-1] == "Softmax"
    add = next(op for op in graph.ops if op.type == "Add")
    assert add.attrs["activation"] == "relu"


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_pools_even_same_padding_and_batchnorm1d():
    graph = _check(Pools(), (1, 3, 11, 9), seed=7)
    assert graph.ops[0].attrs["padding"] == [1, 2, 1, 2]
    assert graph.ops[0].attrs["activation"] == "relu6"


def test_softmax_over_channels_of_a_feature_map():
    model = nn.Sequential(nn.Conv2d(3, 5, 3, stride=2, padding=1), nn.Softmax(dim=1))
    graph = _check(model, (1, 3, 7, 6), seed=23)
    assert [op.type for op in graph.ops] == ["Conv2D", "Softmax"]


@pytest.mark.parametrize("padding", [0, 1, (2, 1), "same", "valid"])
def test_conv_padding_variants(padding):
    model = nn.Sequential(nn.Conv2d(2, 3, (3, 5), padding=padding), nn.ReLU())
    _check(model, (1, 2, 9, 10), seed=11)


def test_gesture_cnn_matches_reference():
    entry = zoo_get("gesture_cnn")
    torch.manual_seed(0)
    _check(entry.factory(), entry.input_shape, seed=13, trials=2)


def test_mnist_cnn_matches_reference():
    entry = zoo_get("mnist_cnn")
    torch.manual_seed(0)
    _check(entry.factory(), entry.input_shape, seed=17, trials=2)


def test_training_mode_is_restored():
    model = ConvBnRelu().train()
    from_torch(model, (1, 3, 12, 10), "m")
    assert model.training


# ------------------------------------------------------------------------- error paths
class _Lstm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(20, 20), nn.ReLU(), nn.Identity(),
                                      nn.LSTM(20, 8))

    def forward(self, x):
        out, _ = self.features(x)
        return out


def test_unsupported_module_names_path_and_type():
    with pytest.raises(UnsupportedError, match=r"module 'features\.3' of type LSTM"):
        from_torch(_Lstm(), (1, 20), "m")
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.GELU())
    with pytest.raises(UnsupportedError, match=r"^not supported: module '1' of type GELU$"):
        from_torch(model, (1, 1, 8, 8), "m")


def test_unsupported_function_names_node():
    class Cat(nn.Module):
        def forward(self, x):
            return torch.cat([x, x], dim=1)

    with pytest.raises(UnsupportedError, match=r"function cat\(\) at node 'cat'"):
        from_torch(Cat(), (1, 2, 4, 4), "m")


def test_batchnorm_without_producer():
    model = nn.Sequential(nn.BatchNorm2d(1), nn.Conv2d(1, 2, 3))
    with pytest.raises(UnsupportedError, match=r"module '0' of type BatchNorm2d has no foldable "
                                               r"producer: its input is the graph input"):
        from_torch(model, (1, 1, 8, 8), "m")
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.BatchNorm2d(2))
    with pytest.raises(UnsupportedError, match=r"'2' of type BatchNorm2d .* from MaxPool2D"):
        from_torch(model, (1, 1, 8, 8), "m")


def test_flatten_into_non_dense():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Softmax(dim=1))
    with pytest.raises(UnsupportedError, match=r"module '2' of type Softmax reads '1'.*only a "
                                               r"Linear may consume it"):
        from_torch(model, (1, 1, 8, 8), "m")
    with pytest.raises(UnsupportedError, match=r"model output '1'.*flattened"):
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), (1, 1, 8, 8), "m")


def test_activation_on_shared_tensor():
    class Shared(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3, padding=1)

        def forward(self, x):
            y = self.conv(x)
            return F.relu(y) + y

    with pytest.raises(UnsupportedError, match=r"node 'relu'.*also read elsewhere.*no "
                                               r"standalone activation"):
        from_torch(Shared(), (1, 2, 5, 5), "m")


@pytest.mark.parametrize("layer, match", [
    (nn.Conv2d(4, 4, 3, groups=2), r"groups=2"),
    (nn.Conv2d(4, 4, 3, dilation=2), r"dilation \(2, 2\)"),
    (nn.AvgPool2d(3, padding=1), r"count_include_pad=True"),
    (nn.MaxPool2d(3, ceil_mode=True), r"ceil_mode=True"),
    (nn.Hardtanh(), r"bounds \(-1\.0, 1\.0\)"),
])
def test_unsupported_options(layer, match):
    model = nn.Sequential(nn.Conv2d(4, 4, 1), layer)
    with pytest.raises(UnsupportedError, match=match):
        from_torch(model, (1, 4, 8, 8), "m")


def test_untraceable_model():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(UnsupportedError, match=r"torch\.fx cannot trace"):
        from_torch(Branchy(), (1, 1, 4, 4), "branchy")


def test_bad_input_shape_is_one_line_error():
    model = nn.Sequential(nn.Conv2d(3, 4, 3))
    with pytest.raises(ShapeError, match=r"batch must be 1"):
        from_torch(model, (2, 3, 8, 8), "m")
    with pytest.raises(ShapeError, match=r"^model 'm' does not run on an input of shape "
                                         r"\[1, 1, 8, 8\]: [^\n]*$"):
        from_torch(model, (1, 1, 8, 8), "m")


def test_a_bare_layer_converts():
    graph = _check(nn.Linear(6, 3), (1, 6), seed=29)
    assert [op.type for op in graph.ops] == ["Dense"]
