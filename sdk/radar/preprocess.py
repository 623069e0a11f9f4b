"""The reference radar preprocessing: complex sweeps in, range-Doppler frames out.

This is the one definition (docs/radar.md writes it out as formulas); device/dsp/ implements the
same steps in C and tests compare both on the same sweeps.  A frame is computed every ``hop``
sweeps (hop 1: after every sweep, the A111 sliding window; hop N: one frame per sensor burst of
N sweeps, the A121 way) from the last N sweeps:

1. depth reduction: coherent mean of the input depths into ``depth_bins`` contiguous groups;
2. per-depth mean removal over the N sweeps of the window;
3. a periodic Hann window along slow time (table from :func:`window_table`);
4. an N-point DFT along slow time, fftshift, magnitude;
5. fixed log scaling ``(20*log10(|X|/sum(w)) - floor_db) / (ceil_db - floor_db)`` clipped to [0, 1];
6. optional per-depth-row standardization ``(v - row_mean[d]) / row_std[d]`` clipped to
   [-STD_CLIP, STD_CLIP], with the mean and standard deviation of each depth row over a training
   split (:func:`calibrate_standardization`): a few depth points whose classes differ by a
   fraction of a percent of [0, 1] (A121 bursts) otherwise leave the conv models at chance.

Frames are laid out (depth_bins, N): rows are depths (near to far), columns Doppler bins from
-N/2 to N/2-1 after the fftshift.  A model with a time context of K frames sees the last K
frames stacked along the rows, oldest first: ``(K * depth_bins, N)`` (:func:`with_context`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from sdk.errors import DataFileError, ShapeError, UnsupportedError

WINDOW_KINDS = ("hann_periodic", "hann_symmetric")


@dataclass(frozen=True)
class PreprocessConfig:
    """Parameters of the reference preprocessing; defaults are the seed's 30 x 20 frames at 18 Hz.

    ``floor_db`` and ``ceil_db`` are fixed amplitudes (in dB of raw sensor units, see
    docs/radar.md) mapped to 0 and 1, so the network's input quantization can be fixed once
    (:func:`calibrate_scaling` picks them from a dataset's own sweeps).  ``sweep_rate_hz`` is
    the sensor's sweep rate the frames assume; a frame every ``hop`` sweeps gives
    :attr:`frame_rate_hz`, the rate the device's deadline and the detector's timing follow.
    ``context_frames`` frames make one model input (:attr:`input_shape`).
    ``burst_rate_hz``, when set, is the rate of the sensor's bursts of ``hop`` sweeps (A121
    frames with a gap after each burst): one frame per burst, so it is the frame rate.
    ``row_mean`` and ``row_std`` (one per depth row, or empty) standardize each row (step 6).
    """

    window_sweeps: int = 20
    depth_bins: int = 30
    window: str = "hann_periodic"
    floor_db: float = 10.0
    ceil_db: float = 70.0
    sweep_rate_hz: float = 18.0
    hop: int = 1
    context_frames: int = 1
    burst_rate_hz: float = 0.0
    row_mean: tuple[float, ...] = ()
    row_std: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "row_mean", tuple(float(v) for v in self.row_mean))
        object.__setattr__(self, "row_std", tuple(float(v) for v in self.row_std))
        if self.window_sweeps < 2:
            raise ShapeError(f"preprocess config: window_sweeps must be >= 2, got {self.window_sweeps}")
        if self.depth_bins < 1:
            raise ShapeError(f"preprocess config: depth_bins must be >= 1, got {self.depth_bins}")
        if not 1 <= self.hop <= self.window_sweeps:
            raise ShapeError(f"preprocess config: hop must be 1..window_sweeps "
                             f"({self.window_sweeps}), got {self.hop}")
        if self.context_frames < 1:
            raise ShapeError(f"preprocess config: context_frames must be >= 1, got "
                             f"{self.context_frames}")
        if not self.sweep_rate_hz > 0:
            raise ShapeError(f"preprocess config: sweep_rate_hz must be > 0, got "
                             f"{self.sweep_rate_hz}")
        if self.burst_rate_hz < 0 or (self.burst_rate_hz > 0 and (
                self.hop != self.window_sweeps
                or self.burst_rate_hz > self.sweep_rate_hz / self.hop * (1 + RATE_TOLERANCE))):
            raise ShapeError(f"preprocess config: burst_rate_hz {self.burst_rate_hz} needs one "
                             f"frame per burst (hop = window_sweeps) and at most "
                             f"{self.sweep_rate_hz / self.hop:.4g} bursts/s")
        if len(self.row_mean) != len(self.row_std) or len(self.row_std) not in (0, self.depth_bins):
            raise ShapeError(f"preprocess config: row_mean and row_std need {self.depth_bins} "
                             f"values each (one per depth row) or none, got {len(self.row_mean)} "
                             f"and {len(self.row_std)}")
        if any(not (STD_MIN <= v < float("inf")) for v in self.row_std) or any(
                not (0.0 <= v <= 1.0) for v in self.row_mean):
            raise ShapeError(f"preprocess config: row_std must be >= {STD_MIN} and row_mean in "
                             "[0, 1]")
        if self.window not in WINDOW_KINDS:
            raise UnsupportedError(f"window '{self.window}' (expected one of {', '.join(WINDOW_KINDS)})")
        if not self.ceil_db > self.floor_db:
            raise ShapeError(f"preprocess config: ceil_db ({self.ceil_db}) must exceed "
                             f"floor_db ({self.floor_db})")

    @property
    def frame_shape(self) -> tuple[int, int]:
        """(depth rows, Doppler columns) of one output frame."""
        return (self.depth_bins, self.window_sweeps)

    @property
    def input_shape(self) -> tuple[int, int]:
        """(rows, columns) of one model input: ``context_frames`` frames stacked along rows."""
        return (self.context_frames * self.depth_bins, self.window_sweeps)

    @property
    def frame_rate_hz(self) -> float:
        """Frames (and model inputs) per second: the burst rate where sweeps come in bursts,
        else the sweep rate over the hop."""
        return self.burst_rate_hz if self.burst_rate_hz > 0 else self.sweep_rate_hz / self.hop

    @property
    def mean_sweep_rate_hz(self) -> float:
        """Sweeps per second over bursts and the gaps between them (the sweep rate when sweeps
        are evenly spaced): what turns a count of sweeps into seconds of a stream."""
        return self.frame_rate_hz * self.hop

    @property
    def standardized(self) -> bool:
        """Whether step 6 (per-depth-row standardization) runs."""
        return bool(self.row_std)

    @property
    def first_input_sweep(self) -> int:
        """Index of the sweep after which the first model input is complete."""
        return self.window_sweeps - 1 + (self.context_frames - 1) * self.hop

    def input_sweeps(self, n_sweeps: int) -> np.ndarray:
        """Indices of the sweeps after which a model input is complete, for ``n_sweeps``."""
        return np.arange(self.first_input_sweep, n_sweeps, self.hop, dtype=np.int64)

    def check_rate(self, rate_hz: float, source: str, owner: str = "the model") -> None:
        """One-line error naming both when ``rate_hz`` sweeps/s is not this config's rate
        (within 5 %: sensors' clocks differ slightly)."""
        if not (rate_hz > 0 and abs(rate_hz / self.sweep_rate_hz - 1.0) <= RATE_TOLERANCE):
            raise ShapeError(f"{source}: {rate_hz:.4g} sweeps/s, but {owner} expects "
                             f"{self.sweep_rate_hz:.4g} sweeps/s ({self.window_sweeps} sweeps per "
                             f"frame, hop {self.hop})")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; it travels in recordings and model metadata. The optional
        steps' keys appear only when set, so configs without them read as before."""
        out = asdict(self)
        for name in _OPTIONAL:
            if not out[name]:
                del out[name]
            elif isinstance(out[name], tuple):
                out[name] = list(out[name])
        return out

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
            kind = known[name]
            items = value if kind == _FLOATS and isinstance(value, list) else [value]
            ok = not isinstance(value, bool) and isinstance(value, _JSON_TYPES[kind]) and all(
                not isinstance(v, bool) and isinstance(v, (int, float)) for v in items
                if kind in ("float", _FLOATS))
            if not ok:
                raise DataFileError(f"{source}: key '{name}' must be {kind}, got {value!r}")
            kwargs[name] = float(value) if kind == "float" else value
        return cls(**kwargs)


RATE_TOLERANCE = 0.05
STD_CLIP = 8.0    # standardized values are clipped to +-STD_CLIP (the q15 path's full scale)
STD_MIN = 0.02    # smallest row_std: a near-constant row is not amplified past 50x
_FLOATS = "tuple[float, ...]"
_OPTIONAL = ("burst_rate_hz", "row_mean", "row_std")
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "str": str,
                                                   _FLOATS: list}


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
    out = np.clip(scaled, 0.0, 1.0).swapaxes(-1, -2)
    if config.standardized:
        mean = np.asarray(config.row_mean)[:, None]
        std = np.asarray(config.row_std)[:, None]
        out = np.clip((out - mean) / std, -STD_CLIP, STD_CLIP)
    return out.astype(np.float32)


def frames(sweeps: np.ndarray, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Batch form: sweeps (T, depths) complex -> frames (F, bins, N) float32,
    F = (T - N) // hop + 1.

    Frame i is the one the streaming form emits after sweep ``i * hop + N - 1``.
    """
    sweeps = np.asarray(sweeps)
    if sweeps.ndim != 2 or not np.iscomplexobj(sweeps):
        raise ShapeError(f"sweeps must be complex (T, depths), got {sweeps.dtype} {sweeps.shape}")
    n = config.window_sweeps
    if sweeps.shape[0] < n:
        return np.zeros((0, *config.frame_shape), dtype=np.float32)
    reduced = reduce_depths(sweeps, config.depth_bins)
    windows = sliding_window_view(reduced, n, axis=0)[::config.hop].swapaxes(-1, -2)
    return frames_from_windows(windows, config)


def with_context(frame_seq: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Model inputs from consecutive frames (F, bins, N): the last ``context_frames`` stacked
    along the rows, oldest first -> (F - K + 1, K * bins, N)."""
    k = config.context_frames
    frame_seq = np.asarray(frame_seq)
    if k == 1:
        return frame_seq
    if len(frame_seq) < k:
        return np.zeros((0, *config.input_shape), dtype=frame_seq.dtype)
    stacked = sliding_window_view(frame_seq, k, axis=0)  # (F-K+1, bins, N, K)
    return np.moveaxis(stacked, -1, 1).reshape(-1, *config.input_shape)


def model_inputs(sweeps: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Every complete model input of complex sweeps (T, depths), one per
    :meth:`PreprocessConfig.input_sweeps` index."""
    return with_context(frames(sweeps, config), config)


def calibrate_scaling(sweep_sets: list[np.ndarray], config: PreprocessConfig,
                      low_pct: float = 5.0, high_pct: float = 99.9) -> PreprocessConfig:
    """``config`` with ``floor_db`` and ``ceil_db`` set from data: the ``low_pct`` and
    ``high_pct`` percentiles of the frames' amplitudes (dB) over ``sweep_sets``, so that a
    sensor with other units (A121, other gains) fills [0, 1] as the A111 did. A standardization
    (step 6) measured on the old scaling no longer holds and is dropped."""
    config = replace(config, row_mean=(), row_std=())
    wide = replace(config, floor_db=-400.0, ceil_db=400.0)
    values = [frames(s, wide).ravel() for s in sweep_sets if len(s) >= config.window_sweeps]
    if not values:
        raise ShapeError(f"amplitude calibration: no recording has {config.window_sweeps} sweeps")
    db = np.concatenate(values).astype(np.float64) * 800.0 - 400.0
    db = db[db > -300.0]  # exact zeros (constant depths) say nothing about the level
    if not len(db):
        raise ShapeError("amplitude calibration: every frame is silent")
    floor, ceil = (round(float(v), 1) for v in np.percentile(db, [low_pct, high_pct]))
    return replace(config, floor_db=floor, ceil_db=max(ceil, floor + 24.0))


def calibrate_standardization(sweep_sets: list[np.ndarray], config: PreprocessConfig
                              ) -> PreprocessConfig:
    """``config`` with ``row_mean`` and ``row_std`` (step 6) set to each depth row's mean and
    standard deviation over every frame and Doppler column of ``sweep_sets`` (the training
    split), computed after ``config``'s own scaling; rounded to 6 digits so that the numbers in
    the model's metadata are the ones the C tables hold."""
    plain = replace(config, row_mean=(), row_std=())
    values = [frames(s, plain) for s in sweep_sets if len(s) >= config.window_sweeps]
    if not values:
        raise ShapeError(f"standardization: no recording has {config.window_sweeps} sweeps")
    rows = np.concatenate(values).astype(np.float64).swapaxes(0, 1).reshape(config.depth_bins, -1)
    mean = np.round(rows.mean(axis=1), 6)
    std = np.round(np.maximum(rows.std(axis=1), STD_MIN), 6)
    return replace(config, row_mean=tuple(mean.tolist()), row_std=tuple(std.tolist()))


class StreamingPreprocessor:
    """Streaming form: one sweep in, a frame out every ``hop`` sweeps once ``window_sweeps``
    sweeps are in.

    Keeps only the depth-reduced ring of the last N sweeps, as the device does.
    """

    def __init__(self, config: PreprocessConfig = PreprocessConfig()) -> None:
        self.config = config
        self._ring = np.zeros((config.window_sweeps, config.depth_bins), dtype=np.complex128)
        self._count = 0

    def push(self, sweep: np.ndarray) -> np.ndarray | None:
        """Add one complex sweep (depths,); return the (bins, N) frame, or None while filling
        and between hops."""
        sweep = np.asarray(sweep)
        if sweep.ndim != 1 or not np.iscomplexobj(sweep):
            raise ShapeError(f"a sweep must be complex (depths,), got {sweep.dtype} {sweep.shape}")
        n = self.config.window_sweeps
        self._ring[self._count % n] = reduce_depths(sweep, self.config.depth_bins)
        self._count += 1
        if self._count < n or (self._count - n) % self.config.hop:
            return None
        oldest = self._count % n
        window = np.roll(self._ring, -oldest, axis=0)
        return frames_from_windows(window, self.config)
