"""Quantizers: small modules that map a float tensor to its quantized values in the forward
pass and define the gradient that training sees in the backward pass.

Every quantizer's forward value is exact (the straight-through term added to it is ``f(x) -
f(x).detach()``, which is 0 in value), so an eval-mode model computes exactly the integers the
device computes. ``binary`` says whether the output is +1/-1; ``pad_value`` is what a padded
position of the quantized tensor holds (docs/binary.md: -1 for binary, 0 for the centered int8
input).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn


def sign(x: torch.Tensor) -> torch.Tensor:
    """+1 where ``x >= 0``, -1 elsewhere (so ``sign(0) = +1``, as on the device)."""
    return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


class Quantizer(nn.Module, ABC):
    """The base: ``forward(x) = q(x) + g(x) - g(x).detach()``.

    ``q`` gives the value (:meth:`value`), ``g`` the surrogate whose derivative is the
    gradient (:meth:`surrogate`; identity, i.e. a plain straight-through estimator, unless a
    subclass says otherwise).
    """

    binary: bool = False
    pad_value: float = 0.0

    @abstractmethod
    def value(self, x: torch.Tensor) -> torch.Tensor:
        """The quantized value ``q(x)``."""

    def surrogate(self, x: torch.Tensor) -> torch.Tensor:
        """``g(x)``: the function whose derivative the backward pass uses."""
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``q(x)`` in value, ``dg/dx`` in gradient."""
        g = self.surrogate(x)
        return self.value(x).detach() + (g - g.detach())


class SteSign(Quantizer):
    """Sign with the straight-through estimator (BinaryNet, Courbariaux et al. 2016).

    forward: ``q(x) = +1 if x >= 0 else -1``;
    backward: ``dq/dx = 1 if |x| <= 1 else 0`` (``g(x) = clip(x, -1, 1)``), so gradients pass
    where the input is in [-1, 1] and stop where the sign is saturated.
    """

    binary = True
    pad_value = -1.0

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """``sign(x)`` with ``sign(0) = +1``."""
        return sign(x)

    def surrogate(self, x: torch.Tensor) -> torch.Tensor:
        """``clip(x, -1, 1)``: derivative 1 inside [-1, 1], 0 outside."""
        return torch.clamp(x, -1.0, 1.0)


class ApproxSign(SteSign):
    """Sign with Bi-Real Net's approximation of its derivative (Liu et al. 2018).

    forward: ``q(x) = +1 if x >= 0 else -1``;
    backward: ``dq/dx = 2 - 2|x| if |x| <= 1 else 0``, the derivative of the piecewise
    polynomial ``g(x) = -1 (x < -1); 2x + x^2 (-1 <= x < 0); 2x - x^2 (0 <= x < 1); 1 (x >= 1)``,
    a closer fit to the sign than the straight-through box.
    """

    def surrogate(self, x: torch.Tensor) -> torch.Tensor:
        """``g(x) = 2c - c|c|`` with ``c = clip(x, -1, 1)`` (the polynomial above)."""
        c = torch.clamp(x, -1.0, 1.0)
        return 2.0 * c - c * c.abs()


class Int8Input(Quantizer):
    """The int8 input of a first layer, centered on its zero point.

    forward: ``q(x) = clamp(round(x / scale) + zero_point, -128, 127) - zero_point``, with the
    division in float32 and rounding half away from zero, exactly as the device quantizes its
    input frame (sdk.radar.gestures.quantize_input); the result is an integer, the term
    ``x_q - zero_point`` of the first layer's dot product (docs/binary.md).
    backward: ``dq/dx = 1 / scale`` (straight through the rounding; the input needs no gradient
    for training, the factor keeps the surrogate honest).
    """

    def __init__(self, scale: float, zero_point: int) -> None:
        super().__init__()
        self.scale = float(torch.tensor(scale, dtype=torch.float32))
        self.zero_point = int(zero_point)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """The centered integer ``x_q - zero_point`` as float32."""
        v = x.float() / torch.tensor(self.scale, dtype=torch.float32)
        rounded = torch.sign(v) * torch.floor(v.abs() + 0.5)
        return torch.clamp(rounded + self.zero_point, -128, 127) - self.zero_point

    def surrogate(self, x: torch.Tensor) -> torch.Tensor:
        """``x / scale``."""
        return x / self.scale

    def extra_repr(self) -> str:
        """Scale and zero point in ``print(model)``."""
        return f"scale={self.scale:.6g}, zero_point={self.zero_point}"


class Relu(Quantizer):
    """No quantization: ``q(x) = max(x, 0)``, the activation of a binary network's float twin
    (the same layers trained in float, for comparison); padding takes 0."""

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """``max(x, 0)``."""
        return torch.relu(x)

    def surrogate(self, x: torch.Tensor) -> torch.Tensor:
        """``max(x, 0)``: its own derivative."""
        return torch.relu(x)


QUANTIZERS: dict[str, type[SteSign]] = {"ste_sign": SteSign, "approx_sign": ApproxSign}
