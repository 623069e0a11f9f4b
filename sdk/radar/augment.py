"""Training-time augmentation of range-Doppler frames that a real radar could produce.

Only transformations with an exact physical counterpart in the sweeps are here, so the network
sees nothing a sensor could not show (docs/radar.md, "Training").
"""

from __future__ import annotations

import torch


def doppler_mirror_columns(n: int) -> torch.Tensor:
    """Column permutation mirroring Doppler bin f to -f in an fftshifted frame of ``n`` columns:
    column ``c`` (bin ``c - n/2``) takes column ``(n - c) mod n``."""
    return (n - torch.arange(n)) % n


def doppler_mirror(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror the Doppler axis (the last) of a random half of the frames in ``batch`` (NCHW).

    A mirrored frame is exactly the frame of the complex-conjugated sweeps (an I/Q swap, or
    every scatterer's phase history reversed in sign): depth means, mean removal and the real
    window commute with conjugation, and the DFT of conj(z) at bin f is conj(Z(-f)).
    """
    flip = torch.rand(batch.shape[0], generator=generator) < 0.5
    if not bool(flip.any()):
        return batch
    out = batch.clone()
    out[flip] = batch[flip][..., doppler_mirror_columns(batch.shape[-1])]
    return out
