"""A binary network's float twin: the same layers trained in float with the shared loop, for
the accuracy a binary network is compared with (``tinyprune train --binary --float-twin``).

Binary networks themselves train through :func:`sdk.train.zoo_fit.fit_zoo_model` (which clips
their latent weights after every step and exports them with :mod:`sdk.bnn.export`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import torch
from torch import nn

from sdk.bnn.models import BinaryClassifier
from sdk.errors import UnsupportedError
from sdk.train.loop import evaluate, train_classifier
from sdk.train.zoo_fit import nchw
from sdk.zoo import get as zoo_get


def train_float_twin(name: str, train: tuple[np.ndarray, np.ndarray],
                     val: tuple[np.ndarray, np.ndarray], classes: list[str], epochs: int,
                     seed: int, lr: float, batch_size: int = 32, patience: int | None = None,
                     progress: bool = True,
                     augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor]
                     | None = None, schedule: str = "constant") -> BinaryClassifier:
    """Binary zoo network ``name`` built as its float twin (ReLU, float weights and input,
    ``torch.manual_seed(seed)``) and trained like the binary one (same splits, seed and
    schedule); returns the trained module (eval mode)."""
    entry = zoo_get(name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = cast(BinaryClassifier, entry.factory(num_classes=len(classes), float_twin=True))
    train_classifier(module, (nchw(train[0]), train[1]), (nchw(val[0]), val[1]),
                     epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, patience=patience,
                     progress=progress, augment=augment, schedule=schedule)
    return module.eval()


def float_twin_accuracy(name: str, train: tuple[np.ndarray, np.ndarray],
                        val: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                        classes: list[str], epochs: int, seed: int, lr: float,
                        batch_size: int = 32, patience: int | None = None,
                        progress: bool = True,
                        augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor]
                        | None = None, schedule: str = "constant") -> float:
    """Test accuracy of :func:`train_float_twin`'s module."""
    module = train_float_twin(name, train, val, classes, epochs, seed, lr, batch_size, patience,
                              progress, augment, schedule)
    return evaluate(module, nchw(test[0]), test[1]).accuracy


def plain_float_twin(model: BinaryClassifier) -> nn.Sequential:
    """A trained or seeded float twin (``float_twin=True``) as a plain ``nn.Sequential`` of
    standard layers with the same weights, which sdk.frontends.pytorch.from_torch imports (and
    the int8 path quantizes): each QuantConv2d / QuantLinear becomes an nn.Conv2d (its padding
    is 0, the ReLU input's pad value) / nn.Linear, each batch norm an nn.BatchNorm, then a
    ReLU. The twin applies its ReLU as the next layer's input quantizer, after the max pool and
    the Flatten; ReLU commutes with both, so it moves up to the batch norm, where the importer
    fuses it. Outputs equal the twin's (softmax included) up to float rounding."""
    from sdk.bnn.heads import Head
    from sdk.bnn.layers import QuantConv2d, QuantLinear, _ThresholdBatchNorm
    from sdk.bnn.quantizers import Relu

    layers: list[nn.Module] = []
    for m in [*cast(nn.Sequential, model.features), *cast(nn.Sequential, model.classifier)]:
        parts = [m.linear, m.bn] if isinstance(m, Head) else [m]
        for p in parts:
            if isinstance(p, QuantConv2d | QuantLinear) and not (
                    p.input_quantizer is None or isinstance(p.input_quantizer, Relu)):
                raise UnsupportedError(f"plain_float_twin: layer {p} is not a float twin's "
                                       "(build it with float_twin=True)")
            if isinstance(p, QuantConv2d):
                conv = nn.Conv2d(p.in_channels, p.out_channels,
                                 cast(tuple[int, int], p.kernel_size),
                                 cast(tuple[int, int], p.stride), p.pad, bias=False)
                conv.weight.data.copy_(p.weight.data)
                layers.append(conv)
            elif isinstance(p, QuantLinear):
                dense = nn.Linear(p.in_features, p.out_features, bias=False)
                dense.weight.data.copy_(p.weight.data)
                layers.append(dense)
            elif isinstance(p, _ThresholdBatchNorm):
                bn = (nn.BatchNorm2d if isinstance(p, nn.BatchNorm2d) else nn.BatchNorm1d)(
                    p.num_features, eps=p.eps)
                bn.load_state_dict(p.state_dict())
                layers += [bn] if isinstance(m, Head) else [bn, nn.ReLU()]
            else:
                layers.append(p)
    return nn.Sequential(*layers, nn.Softmax(dim=1)).eval()
