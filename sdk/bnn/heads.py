"""The last layer of a binary network: binary weights with an int8 output (class scores with
per-class scales) or a binary output (+1/-1 per class), as the user chooses.

Both take the previous layer's binary activations (or, for a one-layer network, the int8
input) and compute ``dot = x . sign(w)`` per class, then batch norm ``y = g (dot - mean) +
beta``. In eval mode:

* ``"int8"``: the scores are what the IR's ``BinaryDense`` with an int8 output computes, bit
  for bit: ``q = requantize(dot' + bias)`` with ``dot'`` the dot with the weights of a
  negative-gain class negated, ``bias = round((beta - g mean) / |g|)``, the per-class weight
  scale ``|g| / input_scale`` and the output range observed in training (min/max, exponential
  moving average), then returned dequantized. :func:`int8_params` derives those once; the
  export writes the same numbers.
* ``"binary"``: ``sign(y)`` per class (the decision is the first class whose output is +1).

In training both return ``y`` (float logits for the loss).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sdk.bnn.layers import QuantLinear, ThresholdBatchNorm1d
from sdk.bnn.quantizers import Quantizer, sign
from sdk.errors import UnsupportedError
from sdk.ir.tensor import QuantParams
from sdk.quant import layer_params as lp
from sdk.quant.arith import INT32_MAX, INT32_MIN, multiply_by_quantized_multiplier, tflite_round

HEAD_KINDS = ("int8", "binary")  # what a user chooses; "float" is the float twin's head


@dataclass(frozen=True)
class Int8HeadParams:
    """What the int8 head is on the device: ``flip`` (+1/-1 per class: the weights' sign),
    int32 ``bias``, per-class weight ``scale`` (float32 values), ``output`` int8 parameters,
    ``input`` parameters (scale 1 for a binary input)."""

    flip: np.ndarray
    bias: np.ndarray
    scale: np.ndarray
    output: QuantParams
    input: QuantParams


class Head(nn.Module):
    """``linear`` (binary weights), ``bn`` and the output kind; see the module docstring."""

    low: torch.Tensor
    high: torch.Tensor
    seen: torch.Tensor

    def __init__(self, in_features: int, classes: int, kind: str,
                 input_quantizer: Quantizer | None, kernel_quantizer: Quantizer | None,
                 momentum: float = 0.01) -> None:
        super().__init__()
        if kind not in (*HEAD_KINDS, "float"):
            raise UnsupportedError(f"last layer {kind!r} (expected "
                                   f"{' or '.join(HEAD_KINDS)})")
        self.kind = kind
        self.linear = QuantLinear(in_features, classes, input_quantizer, kernel_quantizer)
        self.bn = ThresholdBatchNorm1d(classes)
        self.momentum = momentum
        self.register_buffer("low", torch.tensor(0.0))
        self.register_buffer("high", torch.tensor(0.0))
        self.register_buffer("seen", torch.tensor(False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Float logits in training (and for the float twin); the device's scores (int8
        dequantized, or +1/-1) in eval."""
        dot = self.linear(x)
        y = self.bn(dot)
        if self.training:
            self._observe(y.detach())
        if self.training or self.kind == "float":
            return y
        if self.kind == "binary":
            return sign(y)
        return self._int8_scores(dot.detach())

    def margin_scores(self, x: torch.Tensor) -> torch.Tensor:
        """Each class's signed distance from its decision threshold in dot-product (popcount)
        units, what the hinge loss's margin is measured in (:mod:`sdk.train.losses`).

        With the batch norm ``y = g (dot - mean) + beta`` (batch statistics in training, the
        running ones in eval), ``y / |g| = sign(g) (dot - mean) + beta / |g|``: exactly the
        device's ``dot' + bias`` of an int8 head, and positive iff a binary head outputs +1.
        Computed from ``gamma``, ``beta`` and the statistics (not by dividing ``y``), so the
        gradient cannot grow the margin by shrinking ``|g|``. Training mode also updates the
        running statistics and the observed output range, as :meth:`forward` does."""
        dot = self.linear(x)
        bn = self.bn
        if self.training:
            y = bn(dot)
            self._observe(y.detach())
            mean, var = dot.mean(dim=0), dot.var(dim=0, unbiased=False)
        else:
            mean, var = bn.running_stats()
        gamma = bn.weight
        spread = torch.sqrt(var + bn.eps) / torch.clamp(gamma.abs(), min=1e-8)
        return torch.sign(gamma) * (dot - mean) + bn.bias * spread

    def _observe(self, y: torch.Tensor) -> None:
        lo, hi = y.min(), y.max()
        if not bool(self.seen):
            self.low.copy_(lo)
            self.high.copy_(hi)
            self.seen.fill_(True)
        else:
            self.low.lerp_(lo, self.momentum)
            self.high.lerp_(hi, self.momentum)

    def int8_params(self) -> Int8HeadParams:
        """The int8 head's device parameters (see the module docstring)."""
        g = self.bn.gain().double().numpy()
        if np.any(g == 0.0):
            raise UnsupportedError(f"an int8 last layer with a batch-norm scale of "
                                   f"0 (class {int(np.flatnonzero(g == 0.0)[0])}): its scores "
                                   "would not depend on the input")
        mean = self.bn.running_stats()[0].double().numpy()
        beta = self.bn.bias.detach().double().numpy()
        flip = np.where(g > 0, 1, -1).astype(np.int64)
        bias = tflite_round((beta - g * mean) / np.abs(g))
        bias = np.clip(bias, INT32_MIN, INT32_MAX).astype(np.int64)
        quantizer = self.linear.input_quantizer
        in_scale = float(getattr(quantizer, "scale", 1.0))
        input_params = QuantParams(np.array([in_scale]),
                                   np.array([int(getattr(quantizer, "zero_point", 0))]))
        scale = np.abs(g).astype(np.float32).astype(np.float64) / in_scale
        scale = scale.astype(np.float32).astype(np.float64)
        output = _activation_params(float(self.low), float(self.high))
        return Int8HeadParams(flip, bias, scale, output, input_params)

    def _int8_scores(self, dot: torch.Tensor) -> torch.Tensor:
        p = self.int8_params()
        acc = dot.double().numpy().astype(np.int64) * p.flip + p.bias
        weights = QuantParams(p.scale, np.zeros(p.scale.size, np.int64), 0)
        mult, shift = lp.conv_multipliers(p.input, weights, p.output, p.scale.size)
        zp = int(p.output.zero_point[0])
        q = np.clip(multiply_by_quantized_multiplier(acc, mult, shift) + zp, -128, 127)
        return torch.from_numpy(((q - zp) * float(p.output.scale[0])).astype(np.float32))


def _activation_params(low: float, high: float) -> QuantParams:
    from sdk.compress.quantize import activation_params

    return activation_params(low, high)
