"""The reference radar preprocessing: complex sweeps in, 30 x 20 range-Doppler frames out.

This is the one definition (docs/radar.md writes it out as formulas); device/dsp/ implements the
same steps in C and tests compare both on the same sweeps.  Per frame, for the last N sweeps:

1. depth reduction: coherent mean of the input depths into ``depth_bins`` contiguous groups;
2. per-depth mean removal over the N sweeps of the window;
3. a periodic Hann window along slow time (table from :func:`window_table`);
4. an N-point DFT along slow time, fftshift, magnitude;
5. fixed log scaling ``(20*log10(|X|/sum(w)) - floor_db) / (ceil_db - floor_db)`` clipped to [0, 1].

Frames are laid out (depth_bins, N): rows are depths (near to far), columns Doppler bins from
-N/2 to N/2-1 after the fftshift.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from sdk.errors import DataFileError, ShapeError, UnsupportedError

WINDOW_KINDS = ("hann_periodic", "hann_symmetric")


@dataclass(frozen=True)
class PreprocessConfig:
    """Parameters of the reference preprocessing; defaults are the seed's 30 x 20 frames at 18 Hz.

    ``floor_db`` and ``ceil_db`` are fixed amplitudes (in dB of raw sensor units, see
    docs/radar.md) mapped to 0 and 1, so the network's input quantization can be fixed once.
    """

    window_sweeps: int = 20
    depth_bins: int = 30
    window: str = "hann_periodic"
    floor_db: float = 10.0
    ceil_db: float = 70.0

    def __post_init__(self) -> None:
        if self.window_sweeps < 2:
            raise ShapeError(f"preprocess config: window_sweeps must be >= 2, got {self.window_sweeps}")
        if self.depth_bins < 1:
            raise ShapeError(f"preprocess config: depth_bins must be >= 1, got {self.depth_bins}")
        if self.window not in WINDOW_KINDS:
            raise UnsupportedError(f"window '{self.window}' (expected one of {', '.join(WINDOW_KINDS)})")
        if not self.ceil_db > self.floor_db:
            raise ShapeError(f"preprocess config: ceil_db ({self.ceil_db}) must exceed "
                             f"floor_db ({self.floor_db})")

    @property
    def frame_shape(self) -> tuple[int, int]:
        """(depth rows, Doppler columns) of one output frame."""
        return (self.depth_bins, self.window_sweeps)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; it travels in recordings and model metadata."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "preprocess config") -> PreprocessConfig:
        """Build from :meth:`to_dict` output; unknown or ill-typed keys name ``source`` and the key."""
        if not isinstance(data, dict):
            raise DataFileError(f"{source}: expected a JSON object, got {type(data).__name__}")
        known = {f.name: str(f.type) for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise DataFileError(f"{source}: unknown key '{unknown[0]}' (expected {', '.join(known)})")
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            ok = not isinstance(value, bool) and isinstance(value, _JSON_TYPES[known[name]])
            if not ok:
                raise DataFileError(f"{source}: key '{name}' must be {known[name]}, got {value!r}")
            kwargs[name] = float(value) if known[name] == "float" else value
        return cls(**kwargs)


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "str": str}


def window_table(n: int, kind: str = "hann_periodic") -> np.ndarray:
    """The slow-time window, float64 of length ``n``.

    The periodic Hann (``0.5 - 0.5*cos(2*pi*m/n)``) is the default: only the oldest sweep, about
    to leave the buffer, gets weight 0, whereas the symmetric one also zeroes the newest sweep
    and so adds one sweep (55 ms at 18 Hz) of latency.
    """
    m = np.arange(n, dtype=np.float64)
    if kind == "hann_periodic":
        return 0.5 - 0.5 * np.cos(2.0 * np.pi * m / n)
    if kind == "hann_symmetric":
        return 0.5 - 0.5 * np.cos(2.0 * np.pi * m / (n - 1))
    raise UnsupportedError(f"window '{kind}' (expected one of {', '.join(WINDOW_KINDS)})")


def depth_edges(n_depths: int, bins: int) -> np.ndarray:
    """Group boundaries: bin k averages input depths ``edges[k] <= d < edges[k+1]``."""
    if n_depths < bins:
        raise ShapeError(f"sweeps have {n_depths} depths; depth reduction needs at least {bins}")
    return (np.arange(bins + 1, dtype=np.int64) * n_depths) // bins


def reduce_depths(sweeps: np.ndarray, bins: int) -> np.ndarray:
    """Coherent (complex) mean of contiguous depth groups along the last axis -> (..., bins)."""
    sweeps = np.asarray(sweeps)
    edges = depth_edges(sweeps.shape[-1], bins)
    sums = np.add.reduceat(sweeps.astype(np.complex128), edges[:-1], axis=-1)
    return sums / np.diff(edges)


def frames_from_windows(windows: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Steps 2-5 for depth-reduced windows (..., N sweeps, bins) -> frames (..., bins, N) float32."""
    windows = np.asarray(windows, dtype=np.complex128)
    n, bins = config.window_sweeps, config.depth_bins
    if windows.shape[-2:] != (n, bins):
        raise ShapeError(f"windows have shape {windows.shape[-2:]}; expected ({n}, {bins})")
    w = window_table(n, config.window)
    centred = windows - windows.mean(axis=-2, keepdims=True)
    spectrum = np.fft.fftshift(np.fft.fft(centred * w[:, None], axis=-2), axes=-2)
    amplitude_db = 20.0 * np.log10(np.abs(spectrum) / w.sum() + 1e-30)
    scaled = (amplitude_db - config.floor_db) / (config.ceil_db - config.floor_db)
    return np.clip(scaled, 0.0, 1.0).swapaxes(-1, -2).astype(np.float32)


def frames(sweeps: np.ndarray, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Batch form: sweeps (T, depths) complex -> frames (T - N + 1, bins, N) float32.

    Frame i is the one the streaming form emits after sweep ``i + N - 1``.
    """
    sweeps = np.asarray(sweeps)
    if sweeps.ndim != 2 or not np.iscomplexobj(sweeps):
        raise ShapeError(f"sweeps must be complex (T, depths), got {sweeps.dtype} {sweeps.shape}")
    n = config.window_sweeps
    if sweeps.shape[0] < n:
        return np.zeros((0, *config.frame_shape), dtype=np.float32)
    reduced = reduce_depths(sweeps, config.depth_bins)
    windows = sliding_window_view(reduced, n, axis=0).swapaxes(-1, -2)
    return frames_from_windows(windows, config)


class StreamingPreprocessor:
    """Streaming form: one sweep in, one frame out once ``window_sweeps`` sweeps are in.

    Keeps only the depth-reduced ring of the last N sweeps, as the device does.
    """

    def __init__(self, config: PreprocessConfig = PreprocessConfig()) -> None:
        self.config = config
        self._ring = np.zeros((config.window_sweeps, config.depth_bins), dtype=np.complex128)
        self._count = 0

    def push(self, sweep: np.ndarray) -> np.ndarray | None:
        """Add one complex sweep (depths,); return the (bins, N) frame, or None while filling."""
        sweep = np.asarray(sweep)
        if sweep.ndim != 1 or not np.iscomplexobj(sweep):
            raise ShapeError(f"a sweep must be complex (depths,), got {sweep.dtype} {sweep.shape}")
        n = self.config.window_sweeps
        self._ring[self._count % n] = reduce_depths(sweep, self.config.depth_bins)
        self._count += 1
        if self._count < n:
            return None
        oldest = self._count % n
        window = np.roll(self._ring, -oldest, axis=0)
        return frames_from_windows(window, self.config)
