"""Binary layers: convolution and dense with input and kernel quantizers, and the batch norm
whose sign the export folds into integer thresholds.

A binary block is ``QuantConv2d`` (or ``QuantLinear``), then :class:`ThresholdBatchNorm2d`
(``1d``), then optionally ``nn.MaxPool2d``; the next layer's input quantizer takes the sign.
Since the sign is monotone, ``sign(max(y)) = max(sign(y))``, so max-pooling the batch-norm
output here is the IR's max-pool placed after the sign (an OR of bits).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sdk.bnn.quantizers import Quantizer
from sdk.errors import UnsupportedError


def _quantized(quantizer: Quantizer | None, x: torch.Tensor) -> torch.Tensor:
    return x if quantizer is None else quantizer(x)


class QuantConv2d(nn.Conv2d):
    """A 2-D convolution of quantized inputs with quantized weights (no bias: the batch norm
    after it has one).

    ``input_quantizer`` (e.g. SteSign, or Int8Input for a first layer) and
    ``kernel_quantizer`` (SteSign for binary weights) are applied in every forward; the latent
    float weights stay in ``weight`` and :func:`clip_latent_weights` keeps them in [-1, 1].
    ``padding`` pads the *quantized* input with the quantizer's ``pad_value`` (-1 for a binary
    input, 0 for the centered int8 input), as the reference and the C kernels do.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: int = 0, input_quantizer: Quantizer | None = None,
                 kernel_quantizer: Quantizer | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0,
                         bias=False)
        self.pad = int(padding)
        self.input_quantizer = input_quantizer
        self.kernel_quantizer = kernel_quantizer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``conv(pad(q_in(x), pad_value), q_k(w))``."""
        x = _quantized(self.input_quantizer, x)
        if self.pad:
            fill = self.input_quantizer.pad_value if self.input_quantizer is not None else 0.0
            x = F.pad(x, (self.pad,) * 4, value=fill)
        return F.conv2d(x, _quantized(self.kernel_quantizer, self.weight), None, self.stride)

    def extra_repr(self) -> str:
        """The padding is ours, not nn.Conv2d's."""
        return super().extra_repr() + f", pad={self.pad}"


class QuantLinear(nn.Linear):
    """A dense layer of quantized inputs with quantized weights (no bias), as
    :class:`QuantConv2d`."""

    def __init__(self, in_features: int, out_features: int,
                 input_quantizer: Quantizer | None = None,
                 kernel_quantizer: Quantizer | None = None) -> None:
        super().__init__(in_features, out_features, bias=False)
        self.input_quantizer = input_quantizer
        self.kernel_quantizer = kernel_quantizer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``q_in(x) @ q_k(w).T``."""
        return F.linear(_quantized(self.input_quantizer, x),
                        _quantized(self.kernel_quantizer, self.weight))


QUANT_LAYERS = (QuantConv2d, QuantLinear)


def clip_latent_weights(model: nn.Module) -> None:
    """Clip the latent weights of every layer with a binary kernel quantizer to [-1, 1] (called
    after each optimizer step: beyond 1 a weight's straight-through gradient is 0 and it could
    never flip back)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, QUANT_LAYERS) and m.kernel_quantizer is not None \
                    and m.kernel_quantizer.binary:
                m.weight.clamp_(-1.0, 1.0)


class _ThresholdBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm whose eval-mode output the export reproduces exactly.

    Training: standard batch norm (batch statistics). Eval: ``y = (x - mean) * g + beta`` with
    ``g = gamma / sqrt(var + eps)``, computed in float32 as separate elementwise operations (no
    fused multiply-add), so :meth:`eval_output` applied to any integer gives bit for bit the value
    the model computes for that pre-activation, and the export can find the integer threshold
    where the sign of ``y`` changes by evaluating it (docs/binary.md).
    """

    def running_stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(running_mean, running_var)``; the threshold needs them."""
        if self.running_mean is None or self.running_var is None:
            raise UnsupportedError("a binary layer's batch norm without running statistics "
                                   "(track_running_stats=False)")
        return self.running_mean, self.running_var

    def gain(self) -> torch.Tensor:
        """``g = gamma / sqrt(running_var + eps)`` per channel, float32."""
        return self.weight.detach() / torch.sqrt(self.running_stats()[1] + self.eps)

    def eval_output(self, x: torch.Tensor, channel_dim: int = 1) -> torch.Tensor:
        """The eval-mode output for pre-activations ``x`` (channels along ``channel_dim``)."""
        shape = [1] * x.dim()
        shape[channel_dim] = -1
        mean = self.running_stats()[0].reshape(shape)
        return (x - mean) * self.gain().reshape(shape) + self.bias.detach().reshape(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Batch statistics in training, :meth:`eval_output` in eval."""
        if self.training:
            return super().forward(x)
        return self.eval_output(x)


class ThresholdBatchNorm2d(_ThresholdBatchNorm, nn.BatchNorm2d):
    """:class:`_ThresholdBatchNorm` over NCHW."""


class ThresholdBatchNorm1d(_ThresholdBatchNorm, nn.BatchNorm1d):
    """:class:`_ThresholdBatchNorm` over [N, C]."""
