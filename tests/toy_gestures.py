"""Toy gesture images for fast training tests: invented 30 x 20 images, not radar frames.

Each class has one invented pattern (energy blobs over depth x Doppler on top of static clutter
and noise) that a small network learns in a few epochs, so tests of the training loop and of
quantization-aware training run in seconds. Real gesture data comes from the radar simulator
(``sdk.radar``); accuracy on these images says nothing about real gestures.
"""

from __future__ import annotations

import numpy as np

DEPTHS, BINS = 30, 20
ZERO_DOPPLER = BINS // 2  # after fftshift the zero-velocity bin sits in the middle
CLASSES = ("swipe", "press", "pick", "empty")


def _blob(depth: float, doppler: float, sd_depth: float, sd_doppler: float) -> np.ndarray:
    """A separable Gaussian over (depth, Doppler bin), peak 1."""
    d = np.arange(DEPTHS)[:, None]
    v = np.arange(BINS)[None, :]
    return np.exp(-0.5 * ((d - depth) / sd_depth) ** 2 - 0.5 * ((v - doppler) / sd_doppler) ** 2)


def _pattern(label: int, rng: np.random.Generator) -> np.ndarray:
    """The invented, class-dependent part of one image (zeros for "empty")."""
    amp = rng.uniform(0.4, 1.0)
    if label == 0:  # "swipe": energy split to both sides of zero Doppler at one depth
        depth, offset = rng.uniform(8, 22), rng.uniform(4, 8)
        return amp * (_blob(depth, ZERO_DOPPLER - offset, 2.0, 1.5)
                      + _blob(depth, ZERO_DOPPLER + offset, 2.0, 1.5))
    if label == 1:  # "press": a streak along depth near zero Doppler
        depth = rng.uniform(10, 20)
        return amp * _blob(depth, ZERO_DOPPLER + rng.uniform(-1.5, 1.5), 5.0, 1.2)
    if label == 2:  # "pick": a compact near-range blob with weak micro-motion side lobes
        depth = rng.uniform(3, 12)
        core = _blob(depth, ZERO_DOPPLER, 1.5, 1.2)
        side = _blob(depth, ZERO_DOPPLER - 3, 1.5, 1.0) + _blob(depth, ZERO_DOPPLER + 3, 1.5, 1.0)
        return amp * (core + 0.35 * side)
    return np.zeros((DEPTHS, BINS))


def toy_gestures(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` invented images per class, shuffled, reproducible.

    Returns ``x`` float32 ``[N, 1, 30, 20]`` (NCHW, roughly 0..2) and ``y`` int64 labels
    indexing :data:`CLASSES`. Each image is its class pattern at a random depth and
    amplitude, plus 1-3 static clutter reflectors at zero Doppler (present in every class,
    so clutter alone does not identify "empty") and Gaussian noise (sigma 0.1-0.25).
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}")
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(CLASSES)), n_per_class)
    rng.shuffle(labels)
    images = np.empty((labels.size, 1, DEPTHS, BINS), dtype=np.float32)
    for i, label in enumerate(labels):
        img = _pattern(int(label), rng)
        for _ in range(rng.integers(1, 4)):
            img += rng.uniform(0.2, 0.6) * _blob(rng.uniform(0, DEPTHS - 1), ZERO_DOPPLER,
                                                 0.8, 0.6)
        img += rng.normal(0.0, rng.uniform(0.25, 0.5), img.shape)
        images[i, 0] = img
    return images, labels.astype(np.int64)
