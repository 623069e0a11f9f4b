"""The scene's motion component: where real recordings move, and what stands for it in a
calibrated profile (:func:`sdk.radar.simulator.moving_scene`, :func:`~sdk.radar.simulator.jittered`).

Most shared recordings are not of an empty room: a sleeping person breathes, obstacles move,
a hand hovers at the touchless button. That motion is the tail of the frame amplitudes
(``frame_p90``), which a still simulated scene (noise, static scene, leakage) leaves short.
It is measured at the depths whose sweep-to-sweep difference power ``D1(d)`` (mean over
sweeps) is more than twice what the noise alone gives (``2 noise^2``, from the robust noise
statistic): their range (the 10-90 % quantiles of the excess power over depth) and the
spectrum of the motion there, as the lag ratio of the excess, lag-2 over lag-1 difference
power less the noise's share of each.

What moves is told apart by what it leaves in the mean over sweeps:

* static returns that jitter (all the A121 recordings that move: the leakage and the scene
  near the sensor keep a mean far above their fluctuation) become ``static_jitter_rad``, a
  phase jitter per sweep and point;
* a body moving over radians of phase (a sleeping person, obstacles: the A111 recordings)
  leaves little mean, and becomes ``motion_reflectors`` bodies of rms ``motion_amplitude`` at
  rest ranges drawn in ``motion_range_m``, moving by an Ornstein-Uhlenbeck displacement of rms
  ``motion_disp_m`` and correlation time ``motion_time_s`` (:data:`MOTION_TIME_S`,
  breathing-like, unless that needs a displacement beyond an eighth of the pulse: then a
  faster motion within it, :func:`_within_pulse`). Their phase steps are near Gaussian of
  variance ``v = (4 pi / lambda)^2 motion_disp_m^2 2 (1 - rho)`` per sweep
  (``rho = exp(-dt / motion_time_s)``), which gives the excess lag ratio ``1 + exp(-v / 2)``:
  the ratio sets the displacement.

The frame tail then sets the amplitude or the jitter (:func:`correct`, called by
:func:`sdk.radar.calibrate.fit`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sdk.radar import radar_stats as rs
from sdk.radar.simulator import WAVELENGTH_M, SimConfig

MOTION_TIME_S = 1.0     # correlation time of the displacement (breathing-like at long times)
MOVING = 1.0            # a depth moves when its excess difference power is this times the noise's
P90_SHORT = 0.1         # motion is fitted when the still scene's frame_p90 is this much short
MAX_REFLECTORS = 4
ONE_REFLECTOR_SPAN = 1.28   # 10-90 % quantile span of one reflector's excess, in pulse widths
RATIO_RANGE = (1.02, 1.98)  # excess lag ratios the displacement inversion uses
MAX_JITTER_SHARE = 0.9  # of the static power a jitter's difference power may take at first
MAX_JITTER_RAD = 1.5
MAX_DISP_PULSE = 0.125  # a larger displacement becomes a faster jitter (:func:`_within_pulse`)


@dataclass(frozen=True)
class Motion:
    """Where and how a set of recordings moves."""

    range_m: tuple[float, float]
    lag_ratio: float
    excess: float       # mean excess difference power at the moving depths, raw units^2
    sweep_rate_hz: float
    static_power: float = 0.0  # mean power of the mean over sweeps there

    @property
    def is_jitter(self) -> bool:
        """Whether the moving depths keep a mean above what moves: static returns jittering
        (a body moving over radians of phase leaves little mean)."""
        return self.static_power > self.excess


def _excess(block: rs.SweepBlocks, stats: rs.RadarStats) -> tuple[np.ndarray, np.ndarray]:
    """Per depth: mean lag-1 and lag-2 difference power less the noise's (lag 2: times the
    noise lag ratio)."""
    x = block.bursts
    floor = 2.0 * stats.noise ** 2
    ratio = stats.noise_lag_ratio if np.isfinite(stats.noise_lag_ratio) else 1.0
    d1 = np.mean(np.abs(np.diff(x, axis=1)) ** 2, axis=(0, 1)) - floor
    d2 = np.mean(np.abs(x[:, 2:] - x[:, :-2]) ** 2, axis=(0, 1)) - floor * ratio \
        if x.shape[1] > 2 else np.full(x.shape[-1], np.nan)
    return d1, d2


def measure_motion(blocks: list[rs.SweepBlocks],
                   stats: list[rs.RadarStats] | None = None) -> Motion | None:
    """The motion of ``blocks`` (one key; ``stats`` their statistics if already measured), or
    None when no depth moves."""
    lows, highs, e1s, e2s, statics = [], [], [], [], []
    for block, st in zip(blocks, stats or [rs.measure(b) for b in blocks]):
        if block.bursts.shape[1] < 3 or not np.isfinite(st.noise):
            continue
        d1, d2 = _excess(block, st)
        moving = d1 > MOVING * 2.0 * st.noise ** 2
        if not moving.any():
            continue
        weights = np.cumsum(np.where(moving, d1, 0.0))
        weights /= weights[-1]
        lows.append(float(block.depths_m[np.searchsorted(weights, 0.1)]))
        highs.append(float(block.depths_m[np.searchsorted(weights, 0.9)]))
        e1s.append(d1[moving])
        e2s.append(d2[moving])
        statics.append(rs.static_profile(block.bursts)[moving] ** 2)
    if not lows:
        return None
    e1, e2 = np.concatenate(e1s), np.concatenate(e2s)
    rate = float(np.median([b.sweep_rate_hz for b in blocks]))
    return Motion((min(lows), max(highs)), float(np.sum(e2) / np.sum(e1)), float(np.mean(e1)),
                  rate, float(np.mean(np.concatenate(statics))))


def _phase_step_var(ratio: float) -> float:
    return float(-2.0 * np.log(np.clip(ratio, *RATIO_RANGE) - 1.0))


def _one_minus_rho(cfg: SimConfig, sweep_rate_hz: float) -> float:
    return float(-np.expm1(-1.0 / (max(sweep_rate_hz, 1e-9) * cfg.motion_time_s)))


def _within_pulse(cfg: SimConfig, disp_m: float, sweep_rate_hz: float) -> SimConfig:
    """``cfg`` with displacement ``disp_m``, or, when that is more than ``MAX_DISP_PULSE`` of
    the pulse width, the same phase-step variance from that displacement at a shorter
    correlation time (a faster motion that keeps the body within its pulse, not a wander)."""
    cap = MAX_DISP_PULSE * cfg.sigma_p_m
    if disp_m <= cap:
        return replace(cfg, motion_disp_m=float(disp_m))
    step = min(_one_minus_rho(cfg, sweep_rate_hz) * (disp_m / cap) ** 2, 1.0 - 1e-6)
    tau = 1.0 / (max(sweep_rate_hz, 1e-9) * -np.log1p(-step))
    return replace(cfg, motion_disp_m=float(cap), motion_time_s=float(tau))


def start(cfg: SimConfig, motion: Motion) -> SimConfig:
    """First motion settings for ``motion``: displacement from the lag ratio, amplitude from
    the excess power (a reflector whose phase steps have variance v adds 2 a^2 (1 - e^(-v/2)));
    or, for jittering static returns, the phase jitter whose difference power
    ``2 |static|^2 (1 - e^(-jitter^2))`` is the excess."""
    if motion.is_jitter:
        share = min(motion.excess / (2.0 * motion.static_power), MAX_JITTER_SHARE)
        return replace(cfg, static_jitter_rad=float(np.sqrt(-np.log1p(-share))))
    cfg = replace(cfg, motion_time_s=MOTION_TIME_S)
    v = _phase_step_var(motion.lag_ratio)
    k = 4.0 * np.pi / WAVELENGTH_M
    disp = np.sqrt(v / (2.0 * k ** 2 * _one_minus_rho(cfg, motion.sweep_rate_hz)))
    # one reflector's excess power is a Gaussian of sd sigma_p / 2: 10-90 % quantiles +-0.64
    # sigma_p around it; a wider region takes a reflector per further pulse width
    lo, hi = motion.range_m
    half = ONE_REFLECTOR_SPAN / 2.0 * cfg.sigma_p_m
    lo, hi = (lo + half, hi - half) if hi - lo > 2.0 * half else ((lo + hi) / 2.0,) * 2
    n = int(np.clip(1 + round((hi - lo) / cfg.sigma_p_m), 1, MAX_REFLECTORS))
    amp = np.sqrt(motion.excess / (2.0 * -np.expm1(-v / 2.0)))
    cfg = replace(cfg, motion_reflectors=n, motion_range_m=(lo, hi), motion_amplitude=float(amp))
    return _within_pulse(cfg, float(disp), motion.sweep_rate_hz)


def correct(cfg: SimConfig, target: Motion, got: Motion | None, target_p90: float,
            got_p90: float) -> SimConfig:
    """One correction: the displacement toward the target lag ratio (``ln(ratio - 1)`` is
    ``-v / 2``, v proportional to the displacement squared), the amplitude toward the target
    frame_p90 (frames are 20 log10 of amplitudes over a 60 dB span: a factor 10^(3 gap));
    a jitter's rms phase toward the target frame_p90 the same way."""
    gain = float(np.clip(10.0 ** (3.0 * (target_p90 - got_p90)), 0.5, 2.0)) \
        if np.isfinite(target_p90) and np.isfinite(got_p90) else 1.0
    if cfg.static_jitter_rad > 0:
        return replace(cfg, static_jitter_rad=min(cfg.static_jitter_rad * gain, MAX_JITTER_RAD))
    if got is not None and np.isfinite(got.lag_ratio):
        # the phase-step variance scales with disp^2 (1 - rho): undo a jitter's shortening
        # of the correlation time first, then scale
        equiv = cfg.motion_disp_m * np.sqrt(_one_minus_rho(cfg, target.sweep_rate_hz) / _one_minus_rho(
            replace(cfg, motion_time_s=MOTION_TIME_S), target.sweep_rate_hz))
        scale = float(np.clip(np.sqrt(_phase_step_var(target.lag_ratio)
                                      / _phase_step_var(got.lag_ratio)), 0.5, 2.0))
        cfg = _within_pulse(replace(cfg, motion_time_s=MOTION_TIME_S), equiv * scale,
                         target.sweep_rate_hz)
    return replace(cfg, motion_amplitude=cfg.motion_amplitude * gain)
