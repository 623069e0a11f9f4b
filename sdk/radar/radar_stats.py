"""Statistics of radar sweeps that decide what gesture frames look like.

Measured the same way on real recordings (A111 IQ, A121 sparse IQ) and on simulated ones, so
the simulator can be fitted to a sensor (:mod:`sdk.radar.calibrate`) and compared with it
(``tinyprune data compare``). All are robust to a minority of moving depths (medians):

* ``noise``: sweep-to-sweep noise, raw units, the standard deviation of a complex noise sample
  that white noise would need to give the median ``q`` of ``|x[n+1, d] - x[n, d]|^2``
  (that power is exponential with mean ``2 sigma^2``, so ``sigma^2 = q / (2 ln 2)``). The
  median, not a lower quantile: the shared A121 touchless-button recordings have a hand moving
  over most of their few depths, and their frames are only matched (within 8 %, against 95 %
  off with the lower quartile) when the noise includes what that motion does to the median;
* ``noise_lag_ratio``: the noise spectrum along sweeps in one number, median lag-2 over
  median lag-1 difference power: 1 for white noise, ``1 + a`` for AR(1) noise of coefficient
  ``a`` (low-frequency noise gives more than 1);
* ``depth_corr_m``: correlation length along depth, the distance at which the correlation of
  sweep-to-sweep differences between two depths falls to 0.5 (real sensors give streaks: the
  pulse and the receiver filter spread noise over several depths); NaN with the reason in
  ``notes`` where the depth step cannot resolve it (:func:`correlation_length`);
* ``frame_median`` and ``frame_p90``: amplitude distribution of the frames under the reference
  preprocessing (:mod:`sdk.radar.preprocess`, fixed scaling);
* ``static``: static clutter, the median over depths of the power of the mean over all sweeps,
  less what the noise leaves in a mean of that many sweeps (so short and long recordings
  compare), as an amplitude;
* ``near_static``: direct leakage, the same at the depth nearest the sensor, its peak, when
  that is within ``NEAR_M`` (NaN otherwise).

A recording is seen as bursts of consecutive sweeps (:class:`SweepBlocks`): an A111 IQ recording
is one burst; an A121 entry is one burst per frame (or one burst of all frames when it has one
sweep per frame), one subsweep at a time because subsweeps have their own depths and profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sdk.errors import UnsupportedError
from sdk.radar import preprocess as prep
from sdk.radar.recording import Recording

QUANTILE = 0.5          # noise from the median difference power (see the module docstring)
NEAR_M = 0.06           # depths this close to the sensor show the direct leakage
HALF_CORR = 0.5         # depth_corr_m is where the correlation falls to this
MAX_CORR_LAGS = 400
STAT_NAMES = ("noise", "noise_lag_ratio", "depth_corr_m", "frame_median", "frame_p90", "static",
              "near_static")


@dataclass
class SweepBlocks:
    """Bursts of consecutive complex sweeps ``(bursts, sweeps, depths)`` at ``sweep_rate_hz``,
    with the distance of every depth and what produced them."""

    bursts: np.ndarray
    depths_m: np.ndarray
    sweep_rate_hz: float
    generation: str
    profile: str
    source: str
    settings: str = ""  # A121: hardware averaging and receiver gain, which set the noise level

    @property
    def key(self) -> str:
        """Generation, profile and (A121) settings: calibrations are kept per key, e.g.
        ``a111/profile2`` or ``a121/profile1/hwaas40/gain0``."""
        return "/".join(p for p in (self.generation, self.profile, self.settings) if p)


@dataclass
class RadarStats:
    """The statistics of the module docstring for one set of sweep blocks."""

    noise: float
    noise_lag_ratio: float
    depth_corr_m: float
    frame_median: float
    frame_p90: float
    static: float
    near_static: float
    notes: dict[str, str] = field(default_factory=dict)  # why a NaN statistic is not measurable

    def to_dict(self) -> dict[str, float]:
        """JSON-able form of the statistics (NaN stays NaN: json writes it as NaN)."""
        return {k: float(getattr(self, k)) for k in STAT_NAMES}


def profile_name(profile: object) -> str:
    """``PROFILE_2`` -> ``profile2``."""
    return str(profile).lower().replace("profile_", "profile")


def sweep_blocks(rec: Recording, subsweep: int | None = None) -> list[SweepBlocks]:
    """The sweep blocks of a recording: one for A111 IQ, one per subsweep of an A121 entry
    (only ``subsweep`` if given). Data without phase is refused in one line."""
    if rec.generation == "a111":
        if rec.mode != "iq":
            raise UnsupportedError(f"radar statistics of {rec.source}: A111 {rec.mode} data has "
                                   "no phase; they need complex IQ sweeps (A111 iq, A121)")
        start = float(rec.session_info.get("range_start_m", 0.0))
        n = rec.data.shape[-1]
        step = float(rec.session_info.get("step_length_m") or
                     float(rec.session_info.get("range_length_m", 0.0)) / max(n, 1))
        sweeps = np.asarray(rec.data[:, 0], dtype=np.complex128)
        return [SweepBlocks(sweeps[None], start + step * np.arange(n), rec.sweep_rate_hz, "a111",
                            profile_name(rec.sensor_config.get("profile", "PROFILE_2")), rec.source)]
    entry = rec.a121
    assert entry is not None
    picks = range(len(entry.subsweeps)) if subsweep is None else [subsweep]
    out = []
    configured = rec.sensor_config.get("subsweeps")
    for i in picks:
        sub = entry.subsweeps[i]
        conf = configured[i] if isinstance(configured, list) and i < len(configured) and \
            isinstance(configured[i], dict) else rec.sensor_config
        settings = f"hwaas{conf.get('hwaas', '?')}/gain{conf.get('receiver_gain', '?')}"
        data = np.asarray(rec.data[:, 0, :, sub.offset:sub.offset + sub.length], dtype=np.complex128)
        # a record that leaves the sweep rate open sweeps at its maximum rate (as simulated)
        rate = rec.sweep_rate_hz or entry.max_sweep_rate_hz or 0.0
        if data.shape[1] == 1:  # one sweep per frame: the frames are the sweeps
            data, rate = data.swapaxes(0, 1), rec.update_rate_hz
        out.append(SweepBlocks(data, entry.point_distances_m(i), rate, "a121",
                               profile_name(sub.profile), rec.source, settings))
    return out


def _diff_power(bursts: np.ndarray, lag: int) -> np.ndarray:
    if bursts.shape[1] <= lag:
        return np.zeros(0)
    return np.abs(bursts[:, lag:] - bursts[:, :-lag]).ravel() ** 2


def noise_level(bursts: np.ndarray) -> float:
    """Complex noise standard deviation from the ``QUANTILE`` of the sweep-to-sweep difference
    power (exponential for noise alone: that quantile is -ln(1 - QUANTILE) times its mean)."""
    power = _diff_power(bursts, 1)
    if not power.size:
        return float("nan")
    return float(np.sqrt(np.percentile(power, QUANTILE * 100) / (2.0 * -np.log(1.0 - QUANTILE))))


def lag_ratio(bursts: np.ndarray) -> float:
    """The ``QUANTILE`` of the lag-2 over that of the lag-1 difference power (1 for white noise)."""
    p1, p2 = _diff_power(bursts, 1), _diff_power(bursts, 2)
    if not (p1.size and p2.size) or np.percentile(p1, QUANTILE * 100) == 0:
        return float("nan")
    return float(np.percentile(p2, QUANTILE * 100) / np.percentile(p1, QUANTILE * 100))


def depth_correlation(bursts: np.ndarray, max_lag: int = MAX_CORR_LAGS) -> np.ndarray:
    """Correlation of sweep-to-sweep differences between depths ``lag`` apart, lag = 0, 1, ...

    Each depth's differences are scaled to unit power first, so a few strong depths (a moving
    reflector) do not dominate.
    """
    if bursts.shape[1] < 2:
        return np.ones(1)
    d = (bursts[:, 1:] - bursts[:, :-1]).reshape(-1, bursts.shape[-1])
    d = d / np.maximum(np.sqrt(np.mean(np.abs(d) ** 2, axis=0)), 1e-12)
    lags = min(max_lag, d.shape[1] - 1)
    return np.array([1.0] + [float(np.mean((d[:, lag:] * np.conj(d[:, :-lag])).real))
                             for lag in range(1, lags + 1)])


def correlation_length(rho: np.ndarray, step_m: float, se: float = 0.0) -> tuple[float, str]:
    """(distance where ``rho`` falls to HALF_CORR, why not measurable: "" when it is).

    Between two measured lags: linear between them. Within the first lag (a correlation
    length below one depth step) or beyond the last one, the lags cannot bracket it: it is
    read from that lag's correlation through the Gaussian shape ``2^(-(x / L)^2)`` the
    simulator's noise has, when that correlation is more than 3 standard errors ``se`` from
    0 and from 1. Otherwise NaN with the reason: white noise at the step gives 0, and a
    correlation at or below 0 (the A121 touchless button's three points 6 cm apart: -0.28,
    from the motion near the sensor) says nothing about a length below the step."""
    below = np.nonzero(rho <= HALF_CORR)[0]
    k = int(below[0]) if below.size else 0
    if k >= 2:
        frac = (rho[k - 1] - HALF_CORR) / max(rho[k - 1] - rho[k], 1e-12)
        return float((k - 1 + frac) * step_m), ""
    lag = 1 if below.size else len(rho) - 1
    if lag < 1:
        return float("nan"), "not measurable: a single depth"
    r = float(rho[lag])
    if 3.0 * se < r < 1.0 - 3.0 * se:
        return float(lag * step_m * np.sqrt(np.log(2.0) / -np.log(r))), ""
    where = "below one depth step" if below.size else "beyond the depths covered"
    return float("nan"), (f"not measurable: {where} ({lag * step_m:.3g} m), where the "
                          f"correlation is {r:+.2f} (standard error {se:.2f})")


def block_frames(blocks: SweepBlocks, config: prep.PreprocessConfig | None = None) -> np.ndarray:
    """Frames of the reference preprocessing: a sliding window over one long burst (A111 and
    A121 with one sweep per frame), one frame per burst otherwise (the burst is the window)."""
    b, s, d = blocks.bursts.shape
    bins = min(prep.PreprocessConfig().depth_bins, d)
    if b == 1:
        n = min(prep.PreprocessConfig().window_sweeps, s)
        cfg = config or prep.PreprocessConfig(window_sweeps=n, depth_bins=bins)
        return prep.frames(blocks.bursts[0], cfg) if n >= 2 else np.zeros((0, bins, n))
    cfg = config or prep.PreprocessConfig(window_sweeps=s, depth_bins=bins)
    if s < 2:
        return np.zeros((0, bins, s))
    return prep.frames_from_windows(prep.reduce_depths(blocks.bursts, cfg.depth_bins), cfg)


def static_profile(bursts: np.ndarray) -> np.ndarray:
    """Magnitude of the mean over all sweeps, per depth."""
    return np.abs(bursts.reshape(-1, bursts.shape[-1]).mean(axis=0))


def _static_level(static: np.ndarray, noise_power_of_mean: float) -> float:
    # A complex Gaussian of power P has median power P ln 2: the noise left in the mean adds
    # ln 2 times its power to the median of a Gaussian (diffuse) static scene.
    return float(np.sqrt(max(float(np.median(static ** 2)) - np.log(2.0) * noise_power_of_mean, 0.0)))


def measure(blocks: SweepBlocks) -> RadarStats:
    """All statistics of one set of sweep blocks."""
    bursts = blocks.bursts
    step = float(np.median(np.diff(blocks.depths_m))) if len(blocks.depths_m) > 1 else 0.0
    pairs = bursts.shape[0] * max(bursts.shape[1] - 1, 0) * max(bursts.shape[2] - 1, 0)
    corr, why = correlation_length(depth_correlation(bursts), step, 1.0 / np.sqrt(max(pairs, 1))) \
        if step > 0 else (float("nan"), "not measurable: a single depth")
    frames = block_frames(blocks)
    static = static_profile(bursts)
    nan = float("nan")
    noise, ratio = noise_level(bursts), lag_ratio(bursts)
    a = float(np.clip(ratio - 1.0, -0.5, 0.9)) if np.isfinite(ratio) else 0.0
    # noise of std sigma / sqrt(1 - a) (what the difference sees), AR(1) a: a mean of T
    # sweeps keeps about sigma^2 (1 + a) / ((1 - a) T) of its power
    of_mean = (noise ** 2 / (1.0 - a)) * (1.0 + a) / ((1.0 - a) * bursts.shape[0] * bursts.shape[1]) \
        if np.isfinite(noise) else 0.0
    return RadarStats(
        noise=noise, noise_lag_ratio=ratio, depth_corr_m=corr,
        frame_median=float(np.median(frames)) if frames.size else nan,
        frame_p90=float(np.percentile(frames, 90)) if frames.size else nan,
        static=_static_level(static, of_mean),
        near_static=_static_level(static[:1], of_mean) if blocks.depths_m[0] < NEAR_M else nan,
        notes={"depth_corr_m": why} if why else {})


def pooled(stats: list[RadarStats]) -> RadarStats:
    """The median of each statistic over several measurements (NaNs ignored)."""
    values, notes = {}, {}
    for name in STAT_NAMES:
        column = np.array([getattr(s, name) for s in stats], dtype=np.float64)
        finite = column[np.isfinite(column)]
        values[name] = float(np.median(finite)) if finite.size else float("nan")
        why = [s.notes[name] for s in stats if name in s.notes]
        if not finite.size and why:
            notes[name] = why[0]
    return RadarStats(**values, notes=notes)


def slow_time_spectrum(blocks: SweepBlocks) -> tuple[np.ndarray, np.ndarray]:
    """(frequency Hz, mean power) of the sweep-to-sweep differences along sweeps, normalized
    to mean 1: flat for white noise; for the comparison plot."""
    b, s, _ = blocks.bursts.shape
    if s < 4:
        return np.zeros(0), np.zeros(0)
    d = np.diff(blocks.bursts, axis=1)
    d = d - d.mean(axis=1, keepdims=True)
    power = np.mean(np.abs(np.fft.fftshift(np.fft.fft(d, axis=1), axes=1)) ** 2, axis=(0, 2))
    freq = np.fft.fftshift(np.fft.fftfreq(s - 1, 1.0 / max(blocks.sweep_rate_hz, 1e-9)))
    return freq, power / max(float(power.mean()), 1e-30)
