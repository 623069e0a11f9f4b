"""Bit-error-aware training ("bit flip training", Buschjaeger et al. 2021): every training
forward pass sees the binary weights with bits flipped as the memory would flip them.

With ``q = sign(w)`` the binary weight of latent weight ``w`` (bit 1 is +1, bit 0 is -1, as
docs/binary.md packs them) and one uniform draw ``u`` in [0, 1) per weight and forward pass,

    flip = (q = -1 and u < p01) or (q = +1 and u < p10)
    forward value:  q' = -q where flip, else q
    gradient:       dq'/dw = dg/dw, the wrapped quantizer's straight-through surrogate ``g``

so each bit flips independently with the rates of :class:`sdk.bnn.bit_errors.BitErrorRates`
(a 0 becomes 1 with ``p01``, a 1 becomes 0 with ``p10``) and the latent weights get the
gradient they would get without flips, evaluated at the flipped network. Draws come from one
``torch.Generator`` seeded with the training seed, a fresh mask per forward pass (per batch),
so a run repeats. Eval mode (validation, test, export) never flips and draws nothing.
"""

from __future__ import annotations

import torch
from torch import nn

from sdk.bnn.bit_errors import BitErrorRates
from sdk.bnn.layers import QUANT_LAYERS
from sdk.bnn.quantizers import Quantizer


class BitFlipSign(Quantizer):
    """A binary kernel quantizer ``base`` whose training-mode value has its bits flipped at
    ``rates`` (module docstring); its gradient is ``base``'s."""

    binary = True
    pad_value = -1.0

    def __init__(self, base: Quantizer, rates: BitErrorRates,
                 generator: torch.Generator) -> None:
        super().__init__()
        self.base = base
        self.rates = rates
        self.generator = generator

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """``base.value(x)``, with bits flipped in training mode."""
        q = self.base.value(x)
        if not self.training or (self.rates.p01 == 0.0 and self.rates.p10 == 0.0):
            return q
        u = torch.rand(q.shape, generator=self.generator, dtype=q.dtype)
        flip = torch.where(q > 0, u < self.rates.p10, u < self.rates.p01)
        return torch.where(flip, -q, q)

    def surrogate(self, x: torch.Tensor) -> torch.Tensor:
        """``base``'s straight-through surrogate."""
        return self.base.surrogate(x)

    def extra_repr(self) -> str:
        """The rates."""
        return f"p01={self.rates.p01:g}, p10={self.rates.p10:g}"


def add_bit_flips(model: nn.Module, rate: float, seed: int) -> int:
    """Wrap the kernel quantizer of every layer of ``model`` with binary weights in a
    :class:`BitFlipSign` at ``rate`` in both directions, drawing from one generator seeded
    with ``seed``; returns the layers wrapped. A bad rate raises the one-line
    :class:`BitErrorRates` error before anything changes."""
    rates = BitErrorRates.symmetric(rate)
    generator = torch.Generator().manual_seed(seed)
    wrapped = 0
    for m in model.modules():
        base = m.kernel_quantizer if isinstance(m, QUANT_LAYERS) else None
        if base is not None and base.binary and not isinstance(base, BitFlipSign):
            m.kernel_quantizer = BitFlipSign(base, rates, generator)
            wrapped += 1
    return wrapped
