"""The simulator's A121 mode: bursts of sweeps per frame, subsweeps, profiles, A121 records.

An A121 sensor measures frames: ``sweeps_per_frame`` sweeps at ``sweep_rate_hz`` (1 kHz gives
an unambiguous radial speed of lambda * rate / 4, 1.24 m/s: the Doppler axis of one frame does
measure hand speed, unlike 18 Hz A111 sweeps), then waits for the next frame at
``frame_rate_hz`` (continuous sweep mode: no wait). Each sweep holds one or more subsweeps,
each with its own start point, number of points and step length (distances
``(start_point + i * step_length) * BASE_STEP_M``) and its own profile (pulse length),
hardware averaging and gain. The point-scatterer scene of :mod:`sdk.radar.simulator` is
evaluated at every sweep's time and every subsweep's depths; each subsweep takes the sensor
parameters (noise, its colour and depth correlation, static scene, leakage, motion, hand
amplitude) of
its calibrated profile (``a121/profileP/hwaasH/gainG`` in a sim.json, see
:mod:`sdk.radar.calibrate`), or of the calibrated profile with the same pulse profile when its
settings were never calibrated.

Gestures: the simulator's swipe, press, pick and empty, and the A121 gesture set's tap in
(the hand moves toward the sensor and stays), tap out (away), double tap (two short taps) and
wiggle (a small lateral oscillation), with the timing ranges of :class:`TapTiming`.
Output: a :class:`Recording` of generation a121, labels per frame, which
:func:`sdk.radar.recording.save_recording` writes as an A121 record Acconeer's loader opens.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from sdk.errors import ShapeError
from sdk.radar import calibrate as cal
from sdk.radar.recording import A121_MODE, A121Entry, Recording, Subsweep
from sdk.radar.simulator import (
    CLASSES,
    SimConfig,
    echo,
    hand_path,
    hand_scatterers,
    jittered,
    moving_scene,
    new_session,
    noise,
    static_scene,
)

A121_CLASSES = (*CLASSES, "tap_in", "tap_out", "double_tap", "wiggle")
BASE_STEP_M = 0.00250227400101721  # the A121's base step, as its recordings report it
TICKS_PER_SECOND = 1_000_000
I16 = 32767


@dataclass(frozen=True)
class A121Subsweep:
    """One subsweep of the simulated sensor configuration (Acconeer's names)."""

    start_point: int = 20
    num_points: int = 70
    step_length: int = 3
    profile: str = "PROFILE_1"
    hwaas: int = 40
    receiver_gain: int = 0

    @property
    def key(self) -> str:
        """Its calibration key, e.g. ``a121/profile1/hwaas40/gain0``."""
        return (f"a121/{self.profile.lower().replace('profile_', 'profile')}/hwaas{self.hwaas}"
                f"/gain{self.receiver_gain}")

    @property
    def depths_m(self) -> np.ndarray:
        """Distance of every point."""
        return (self.start_point + np.arange(self.num_points) * self.step_length) * BASE_STEP_M


@dataclass(frozen=True)
class TapTiming:
    """Timing of the A121 gesture set (s, m, Hz); (low, high) ranges are drawn uniformly."""

    hover_m: tuple[float, float] = (0.18, 0.35)      # hand height before a tap in / wiggle
    tap_depth_m: tuple[float, float] = (0.06, 0.14)  # how far a tap moves toward the sensor
    tap_s: tuple[float, float] = (0.25, 0.5)         # one tap in (or out)
    double_tap_s: tuple[float, float] = (0.2, 0.35)  # each tap of a double tap, in and back
    double_gap_s: tuple[float, float] = (0.1, 0.3)   # between the two taps
    wiggle_m: tuple[float, float] = (0.01, 0.03)     # lateral amplitude
    wiggle_hz: tuple[float, float] = (2.0, 4.0)
    wiggle_s: tuple[float, float] = (0.8, 1.4)


@dataclass(frozen=True)
class A121SimConfig:
    """The simulated A121 configuration; defaults: 32 sweeps at 1 kHz per frame, 20 frames/s,
    one profile-1 subsweep over 0.05-0.57 m, 2 s recordings."""

    sweeps_per_frame: int = 32
    sweep_rate_hz: float = 1000.0
    frame_rate_hz: float = 20.0
    continuous_sweep_mode: bool = False
    subsweeps: tuple[A121Subsweep, ...] = (A121Subsweep(),)
    frames: int = 40
    timing: TapTiming = field(default_factory=TapTiming)

    def __post_init__(self) -> None:
        if self.sweeps_per_frame < 1 or self.frames < 1 or not self.subsweeps:
            raise ShapeError("A121 simulation: sweeps_per_frame, frames and subsweeps must be "
                             f"at least 1 (got {self.sweeps_per_frame}, {self.frames}, "
                             f"{len(self.subsweeps)})")
        if any(s.num_points < 1 or s.step_length < 1 or s.start_point < 0 for s in self.subsweeps):
            raise ShapeError("A121 simulation: a subsweep needs num_points >= 1, step_length >= 1 "
                             "and start_point >= 0")
        burst_s = self.sweeps_per_frame / self.sweep_rate_hz
        if self.sweep_rate_hz <= 0 or (not self.continuous_sweep_mode and
                                       (self.frame_rate_hz <= 0 or burst_s > 1 / self.frame_rate_hz)):
            raise ShapeError(f"A121 simulation: {self.sweeps_per_frame} sweeps at "
                             f"{self.sweep_rate_hz:g} Hz take {burst_s * 1e3:.1f} ms, longer than "
                             f"a frame at {self.frame_rate_hz:g} Hz")

    @property
    def frame_period_s(self) -> float:
        """Time between frame starts."""
        if self.continuous_sweep_mode:
            return self.sweeps_per_frame / self.sweep_rate_hz
        return 1.0 / self.frame_rate_hz

    def sweep_times(self) -> np.ndarray:
        """Start time of every sweep, (frames, sweeps_per_frame)."""
        return (np.arange(self.frames)[:, None] * self.frame_period_s
                + np.arange(self.sweeps_per_frame)[None, :] / self.sweep_rate_hz)


def config_like(rec: Recording) -> A121SimConfig:
    """The configuration of a real A121 recording (rates the record leaves open are taken from
    what it measured), to simulate it and compare with it."""
    a = rec.a121
    if a is None:
        raise ShapeError(f"{rec.source}: not an A121 recording (its configuration cannot be "
                         "simulated in A121 mode)")
    listed = rec.sensor_config.get("subsweeps")
    confs = listed if isinstance(listed, list) and len(listed) == len(a.subsweeps) else \
        [rec.sensor_config] * len(a.subsweeps)
    subs = tuple(A121Subsweep(s.start_point, s.length, s.step_length, s.profile,
                              int(c.get("hwaas", 8)), int(c.get("receiver_gain", 16)))
                 for s, c in zip(a.subsweeps, confs))
    frame_rate = a.frame_rate_hz or rec.measured_update_rate_hz or 10.0
    sweep_rate = a.sweep_rate_hz or (frame_rate * a.sweeps_per_frame if a.continuous_sweep_mode
                                     else a.max_sweep_rate_hz or 1000.0)
    return A121SimConfig(sweeps_per_frame=a.sweeps_per_frame, sweep_rate_hz=sweep_rate,
                         frame_rate_hz=frame_rate, continuous_sweep_mode=a.continuous_sweep_mode,
                         subsweeps=subs, frames=rec.n_updates)


def scene_configs(cfg: A121SimConfig, profiles: str | Path | None = None) -> list[SimConfig]:
    """The calibrated sensor parameters of every subsweep, from a sim.json (None: built-in)."""
    found = cal.read_sim_json(Path(profiles) if profiles is not None else cal.BUILTIN)
    return [cal.profile_for(sub.key, found, str(profiles)) for sub in cfg.subsweeps]


def _min_jerk(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u ** 3 * (10.0 - 15.0 * u + 6.0 * u ** 2)


def tap_path(gesture: str, t: np.ndarray, timing: TapTiming,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hand centre (lateral x, height z) and finger micro-motion for the A121 gesture set."""
    centre = t[0] + (t[-1] - t[0]) * (0.5 + rng.uniform(-0.1, 0.1))
    x = np.full_like(t, rng.uniform(-0.03, 0.03))
    z0, depth = rng.uniform(*timing.hover_m), rng.uniform(*timing.tap_depth_m)
    if gesture in ("tap_in", "tap_out"):
        length = rng.uniform(*timing.tap_s)
        u = _min_jerk((t - centre) / length + 0.5)
        z = z0 - depth * (u if gesture == "tap_in" else 1.0 - u)
    elif gesture == "double_tap":
        one, gap = rng.uniform(*timing.double_tap_s), rng.uniform(*timing.double_gap_s)
        first = centre - (one + gap / 2.0)
        z = np.full_like(t, z0)
        for start in (first, first + one + gap):
            u = np.clip((t - start) / one, 0.0, 1.0)
            z -= depth * np.sin(np.pi * u) ** 2
    elif gesture == "wiggle":
        length, amp = rng.uniform(*timing.wiggle_s), rng.uniform(*timing.wiggle_m)
        u = np.clip((t - centre) / length + 0.5, 0.0, 1.0)
        x = x + amp * np.sin(np.pi * u) ** 2 * np.sin(2 * np.pi * rng.uniform(*timing.wiggle_hz) * t)
        z = np.full_like(t, z0)
    else:
        raise ShapeError(f"gesture '{gesture}' (expected one of {', '.join(A121_CLASSES)})")
    return x, z, np.zeros_like(t)


def simulate_a121(gesture: str, cfg: A121SimConfig, scenes: list[SimConfig],
                  rng: np.random.Generator, session_id: int = 0) -> np.ndarray:
    """One recording of ``gesture``: complex frames (frames, sweeps_per_frame, points) of all
    subsweeps side by side, rounded to the int16 values the sensor delivers."""
    if gesture not in A121_CLASSES:
        raise ShapeError(f"gesture '{gesture}' (expected one of {', '.join(A121_CLASSES)})")
    times = cfg.sweep_times()
    t = times.ravel()
    sessions = [new_session(s, rng, session_id) for s in scenes]
    hand: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    if gesture in CLASSES[:3]:
        hand = hand_path(gesture, t, rng)
    elif gesture != "empty":
        hand = tap_path(gesture, t, cfg.timing, rng)
    speckle = rng.rayleigh(1.0 / np.sqrt(2.0), sessions[0].n_hand)
    phases = rng.uniform(0.0, 2.0 * np.pi, sessions[0].n_hand + 1)
    parts: list[np.ndarray] = []
    for sub, scene in zip(cfg.subsweeps, scenes):
        depths = sub.depths_m
        sweeps = np.zeros((t.size, depths.size), np.complex128)
        if hand is not None:
            rho = speckle * scene.hand_amplitude / np.sqrt(sessions[0].n_hand)
            ranges, amps = hand_scatterers(*hand, rho, sessions[0], scene)
            sweeps = echo(np.stack(ranges, 1), np.stack(amps, 1), phases, scene, depths)
        step = sub.step_length * BASE_STEP_M
        session = sessions[len(parts)]
        if session.motion_r.size:
            sweeps = sweeps + moving_scene(t, depths, session, scene, rng)
        shape = (*times.shape, depths.size)
        sweeps = sweeps.reshape(shape) + jittered(static_scene(depths, session, scene), shape,
                                                  scene, rng) + noise(shape, step, session, scene, rng)
        parts.append(sweeps)
    frames = np.concatenate(parts, axis=-1)
    return (np.clip(np.round(frames.real), -I16 - 1, I16)
            + 1j * np.clip(np.round(frames.imag), -I16 - 1, I16)).astype(np.complex64)


def a121_recording(frames: np.ndarray, cfg: A121SimConfig, labels: np.ndarray,
                   meta: dict) -> Recording:
    """Frames ``(frames, sweeps, points)`` as an A121 Recording with the configuration, metadata
    and ticks an A121 record of ``cfg`` holds, and per-frame ``labels``."""
    offsets = np.cumsum([0] + [s.num_points for s in cfg.subsweeps])
    max_rate = max(cfg.sweep_rate_hz, 1.0)
    sensor_config = {
        "sweep_rate": cfg.sweep_rate_hz, "frame_rate": None if cfg.continuous_sweep_mode
        else cfg.frame_rate_hz, "continuous_sweep_mode": cfg.continuous_sweep_mode,
        "double_buffering": cfg.continuous_sweep_mode, "inter_frame_idle_state": "DEEP_SLEEP",
        "inter_sweep_idle_state": "READY", "sweeps_per_frame": cfg.sweeps_per_frame,
        "subsweeps": [{**asdict(s), "enable_tx": True, "enable_loopback": False,
                       "phase_enhancement": False, "prf": "PRF_15_6_MHz"} for s in cfg.subsweeps]}
    metadata = {"frame_data_length": int(offsets[-1]) * cfg.sweeps_per_frame,
                "sweep_data_length": int(offsets[-1]),
                "subsweep_data_offset": [int(o) for o in offsets[:-1]],
                "subsweep_data_length": [s.num_points for s in cfg.subsweeps],
                "calibration_temperature": 25, "tick_period": 0, "base_step_length_m": BASE_STEP_M,
                "max_sweep_rate": max_rate, "high_speed_mode": False}
    n = frames.shape[0]
    ticks = 1000 + np.round(np.arange(n) * cfg.frame_period_s * TICKS_PER_SECOND).astype(np.int64)
    entry = A121Entry(
        session=0, group=0, sensor_id=1, sessions=1, entries=[(0, 1)],
        subsweeps=[Subsweep(int(o), s.num_points, s.start_point, s.step_length, s.profile)
                   for o, s in zip(offsets[:-1], cfg.subsweeps)],
        ticks=ticks, ticks_per_second=TICKS_PER_SECOND, base_step_length_m=BASE_STEP_M,
        sweeps_per_frame=cfg.sweeps_per_frame, sweep_rate_hz=cfg.sweep_rate_hz,
        frame_rate_hz=None if cfg.continuous_sweep_mode else cfg.frame_rate_hz,
        continuous_sweep_mode=cfg.continuous_sweep_mode, max_sweep_rate_hz=max_rate,
        temperature=np.full(n, 25, np.int64), session_config={"extended": False},
        metadata=metadata)
    server_info = {"rss_version": "tinyprune-simulator", "sensor_count": 1,
                   "ticks_per_second": TICKS_PER_SECOND,
                   "sensor_infos": {"1": {"connected": True, "serial": "SIMULATED"}}}
    return Recording(
        mode=A121_MODE, data=frames[:, None], sample_times=(ticks - ticks[0]) / TICKS_PER_SECOND,
        sensor_config=sensor_config, session_info=metadata, labels=np.asarray(labels, np.int64),
        label_names=list(A121_CLASSES), meta={"server_info": server_info, **meta},
        extras={"client_info": "{}", "lib_version": "0.0.0+tinyprune.simulator",
                "timestamp": "2026-01-01T00:00:00",
                "uuid": str(uuid.uuid5(uuid.NAMESPACE_OID, json.dumps(meta, sort_keys=True)))},
        generation="a121", a121=entry, source="<simulated a121>")


def a121_gesture_recording(gesture: str, cfg: A121SimConfig, seed: int, session_id: int = 0,
                           index: int = 0, profiles: str | Path | None = None) -> Recording:
    """One labeled A121 recording of ``gesture``, seeded by (seed, session, index)."""
    rng = np.random.default_rng([seed, session_id, index])
    frames = simulate_a121(gesture, cfg, scene_configs(cfg, profiles), rng, session_id)
    labels = np.full(cfg.frames, A121_CLASSES.index(gesture), np.int64)
    return a121_recording(frames, cfg, labels, {
        "source": "tinyprune simulator (A121 mode)", "gesture": gesture, "seed": seed,
        "session": session_id, "recording": index})
