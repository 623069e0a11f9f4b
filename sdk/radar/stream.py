"""Continuous radar recordings: gestures now and then, no hand in between.

A user does not perform one gesture every 1.33 s: the hand comes in, performs, leaves, and the
sensor sees an empty scene for a while. :func:`simulate_continuous` renders one such recording
of ``seconds`` at the sweep rate with the point-scatterer model of :mod:`sdk.radar.simulator`
(same session scene, same hand and forearm scatterers, same gesture parameter ranges), and:

* **one continuous scene**: the session's clutter (with its amplitude random walk) and the
  noise run through the whole recording; sweeps are taken at the jittered real sweep times of
  the whole recording, so the slow-time phase aliases as on the sensor. A calibrated profile
  (:mod:`sdk.radar.calibrate`) brings its sensor and room as in the short recordings: its noise
  level and colour (along depth and sweeps), diffuse static scene, leakage, static jitter and
  moving bodies (:func:`sdk.radar.simulator.simulate` draws the same components); the
  ``default`` profile's streams are unchanged (white noise at the session's SNR);
* **episodes**: each gesture is an episode in which the hand scatterers exist. The hand enters
  from outside the field of view and leaves again, with continuous positions (and velocities):

  - *swipe*: one constant-velocity lateral pass at height z (0.6-1.5 m/s, 0.3-0.6 m, as the
    short recordings), from ``edge_theta_deg`` (65 deg) off the beam axis on one side to the
    same angle on the other; out there the beam (amplitude x 0.04) and the range (the hand is
    at 2.4 z, mostly beyond 0.8 m) leave under 2 % of the episode's peak echo (tested; about
    0.4 % typically), so the hand appears and vanishes below the noise;
  - *press* and *pick*: the hand moves in from the side at its hover height (minimum-jerk,
    ``entry_s``) from ``edge_theta_deg`` to its hover point, then performs exactly the short
    recordings' motion (press: hover, ``r = r0 - D sin^2(pi u)`` over 0.5-0.9 s, hover;
    pick: ``pick_s`` of hover with up to 1 cm drift and fingertip micro-motion, which starts and
    stops over ``taper_s`` so the fingertips do not jump), and moves back out to the same side;
  - the speckle (Rayleigh amplitudes) and the scatterer phases are redrawn per episode (a new
    hand pose), the hand geometry and forearm are the session's;
* **gaps**: between episodes, and before the first, a stretch of ``empty_s`` seconds with no
  hand at all; the recording ends with at least ``empty_s[0]`` seconds without a hand, so the
  last gesture's frames are all in it.

**Labels per sweep.** A sweep is labeled with its gesture while the gesture is happening and
``empty`` otherwise: swipe while the hand is within ``label_theta_deg`` (45 deg) of the beam
axis (|x| <= z: the hand is over the sensor); press during the press motion (``u`` in [0, 1));
pick during the finger micro-motion phase. The hand's approach, hover and withdrawal are *not*
a gesture and are labeled empty, like the gaps: "empty" here means "no gesture", not always
"no hand". Frames are scored as everywhere else: a frame carries its newest sweep's label, so
the last frames of a gesture that still hold it in their window count as empty, and gesture
events are matched to labeled segments by :func:`sdk.radar.gestures.score_events` (within the
segment or the 20 sweeps after it).

Seeding: the session's scene comes from ``default_rng([seed, session])``, exactly as
:func:`sdk.radar.dataset.synthesize` draws it, so a stream can be recorded "in the room of" a
dataset's test session; the episodes come from ``default_rng([seed, session, STREAM_KEY,
index])``, a generator the dataset never uses, so the performances are new ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sdk.errors import DataFileError
from sdk.radar import preprocess as prep
from sdk.radar.recording import Recording, reading_h5, save_recording
from sdk.radar.simulator import (
    CLASSES,
    Session,
    SimConfig,
    echo,
    hand_scatterers,
    jittered,
    moving_scene,
    new_session,
    noise,
    simulated_recording,
    static_scene,
)
from sdk.untrusted_h5 import isolated

STREAM_GESTURES = ("swipe", "press", "pick")
STREAM_KEY = 1  # third seed word of a stream's episode generator (datasets use two words)

HandPath = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class StreamConfig:
    """How a continuous recording is put together; (low, high) ranges are drawn uniformly."""

    empty_s: tuple[float, float] = (1.5, 3.0)   # no hand at all between episodes
    gestures: tuple[str, ...] = STREAM_GESTURES
    entry_s: tuple[float, float] = (1.0, 1.5)   # hand moving in (and out) for press and pick
    hover_s: tuple[float, float] = (0.1, 0.4)   # still hand before and after a press
    pick_s: tuple[float, float] = (1.0, 1.6)    # finger micro-motion phase of a pick
    taper_s: float = 0.15                       # micro-motion fades in and out over this
    edge_theta_deg: float = 65.0                # the hand appears / disappears at this angle
    label_theta_deg: float = 45.0               # a swipe is labeled while within this angle

    def to_dict(self) -> dict:
        """JSON-able parameters, stored in the recording's metadata."""
        return asdict(self)


@dataclass(frozen=True)
class Episode:
    """One gesture: the hand is in the scene over [start_s, end_s) and the gesture happens
    (is labeled) over [label_start_s, label_end_s)."""

    gesture: str
    start_s: float
    end_s: float
    label_start_s: float
    label_end_s: float


@dataclass
class ContinuousRecording:
    """Sweep times (T,), complex sweeps (T, depth_bins), labels (T,) and the episodes."""

    times: np.ndarray
    sweeps: np.ndarray
    labels: np.ndarray
    episodes: list[Episode] = field(default_factory=list)


def _min_jerk(u: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile 0 -> 1 (zero velocity and acceleration at both ends)."""
    u = np.clip(u, 0.0, 1.0)
    return u ** 3 * (10.0 - 15.0 * u + 6.0 * u ** 2)


def _tukey(tau: np.ndarray, length: float, ramp: float) -> np.ndarray:
    """1 inside [ramp, length - ramp], raised-cosine ramps to 0 at 0 and ``length``."""
    ramp = max(min(ramp, length / 2.0), 1e-9)
    up = np.clip(tau / ramp, 0.0, 1.0)
    down = np.clip((length - tau) / ramp, 0.0, 1.0)
    return 0.25 * (1.0 - np.cos(np.pi * up)) * (1.0 - np.cos(np.pi * down))


def _swipe(rng: np.random.Generator, st: StreamConfig) -> tuple[float, float, float, HandPath]:
    """(duration, label start, label end, path) of a swipe episode; path(tau) -> x, z, micro."""
    v = rng.uniform(0.6, 1.5) * rng.choice([-1.0, 1.0])
    z0 = rng.uniform(0.3, 0.6)
    x_edge = z0 * np.tan(np.deg2rad(st.edge_theta_deg))
    x_label = z0 * np.tan(np.deg2rad(st.label_theta_deg))
    speed = abs(v)
    duration = 2.0 * x_edge / speed

    def path(tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return -np.sign(v) * x_edge + v * tau, np.full_like(tau, z0), np.zeros_like(tau)

    return duration, (x_edge - x_label) / speed, (x_edge + x_label) / speed, path


def _enter_perform_leave(rng: np.random.Generator, st: StreamConfig, gesture: str
                         ) -> tuple[float, float, float, HandPath]:
    """Press or pick: in from the side, the short recordings' motion, out to the same side."""
    side = rng.choice([-1.0, 1.0])
    t_in, t_out = rng.uniform(*st.entry_s), rng.uniform(*st.entry_s)
    if gesture == "press":
        z0 = rng.uniform(0.35, 0.6)
        depth = rng.uniform(0.12, 0.25)
        length = rng.uniform(0.5, 0.9)
        x0 = rng.uniform(-0.05, 0.05)
        h1, h2 = rng.uniform(*st.hover_s), rng.uniform(*st.hover_s)
        act, perform = t_in + h1, h1 + length + h2
        drift = np.zeros(2)

        def motion(tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            u = np.clip((tau - h1) / length, 0.0, 1.0)
            return np.full_like(tau, x0), z0 - depth * np.sin(np.pi * u) ** 2, np.zeros_like(tau)
        label = (act, act + length)
    elif gesture == "pick":
        drift = rng.uniform(-0.01, 0.01, 2)
        z0 = rng.uniform(0.25, 0.5)
        x0 = rng.uniform(-0.05, 0.05)
        perform = rng.uniform(*st.pick_s)
        amp, freq = rng.uniform(0.5e-3, 12e-3), rng.uniform(1.5, 4.0)
        phase = rng.uniform(0, 2 * np.pi)

        def motion(tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            u = np.clip(tau / perform, 0.0, 1.0)
            micro = amp * np.sin(2 * np.pi * freq * tau + phase) * _tukey(tau, perform, st.taper_s)
            return x0 + drift[1] * u, z0 + drift[0] * u, micro
        label = (t_in, t_in + perform)
    else:
        raise ValueError(gesture)
    x_edge = side * z0 * np.tan(np.deg2rad(st.edge_theta_deg))
    x_end, z_end = x0 + drift[1], z0 + drift[0]
    x_out = side * z_end * np.tan(np.deg2rad(st.edge_theta_deg))

    def path(tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, z, micro = motion(np.clip(tau - t_in, 0.0, perform))
        entering, leaving = tau < t_in, tau >= t_in + perform
        s_in = _min_jerk(tau / t_in)
        s_out = _min_jerk((tau - t_in - perform) / t_out)
        x = np.where(entering, x_edge + (x0 - x_edge) * s_in, x)
        x = np.where(leaving, x_end + (x_out - x_end) * s_out, x)
        z = np.where(leaving, z_end, z)
        micro = np.where(entering | leaving, 0.0, micro)
        return x, z, micro

    return t_in + perform + t_out, label[0], label[1], path


def _hand_echo(path: HandPath, tau: np.ndarray, session: Session, cfg: SimConfig,
               rng: np.random.Generator) -> np.ndarray:
    """Hand scatterers plus forearm over the episode's sweeps (tau from the episode start)."""
    x, z, micro = path(tau)
    rho = rng.rayleigh(1.0 / np.sqrt(2.0), session.n_hand) * cfg.hand_amplitude / np.sqrt(session.n_hand)
    ranges, amps = hand_scatterers(x, z, micro, rho, session, cfg)
    return echo(np.stack(ranges, axis=1), np.stack(amps, axis=1),
                rng.uniform(0, 2 * np.pi, len(ranges)), cfg)


def plan_episodes(seconds: float, rng: np.random.Generator, st: StreamConfig = StreamConfig()
                  ) -> list[tuple[Episode, HandPath]]:
    """Gaps and episodes filling ``seconds``: every gesture of ``st.gestures`` once per cycle
    in a random order, each after a gap of ``st.empty_s``; stops when the next episode and a
    final gap of ``st.empty_s[0]`` would not fit."""
    out: list[tuple[Episode, HandPath]] = []
    t = float(rng.uniform(*st.empty_s))
    order: list[str] = []
    while True:
        if not order:
            order = [st.gestures[i] for i in rng.permutation(len(st.gestures))]
        gesture = order.pop(0)
        if gesture == "swipe":
            duration, l0, l1, path = _swipe(rng, st)
        else:
            duration, l0, l1, path = _enter_perform_leave(rng, st, gesture)
        if t + duration + st.empty_s[0] > seconds:
            return out
        out.append((Episode(gesture, float(t), float(t + duration), float(t + l0), float(t + l1)),
                    path))
        t += duration + float(rng.uniform(*st.empty_s))


def simulate_continuous(session: Session, seconds: float, rng: np.random.Generator,
                        cfg: SimConfig = SimConfig(), st: StreamConfig = StreamConfig()
                        ) -> ContinuousRecording:
    """One continuous recording of ``seconds`` in ``session``'s scene (module docstring)."""
    n = int(round(seconds * cfg.sweep_rate_hz))
    if n < 1:
        raise DataFileError(f"--seconds {seconds}: a recording shorter than one sweep "
                            f"(1/{cfg.sweep_rate_hz:g} s); expected a longer one")
    unknown = [g for g in st.gestures if g not in STREAM_GESTURES]
    if unknown or not st.gestures:
        raise ValueError(f"stream gestures must be among {STREAM_GESTURES}, got {st.gestures}")
    episodes = plan_episodes(seconds, rng, st)
    t = np.arange(n) / cfg.sweep_rate_hz + rng.normal(0.0, cfg.timing_jitter_s, n)
    t = np.maximum.accumulate(t - t[0])
    labels = np.full(n, CLASSES.index("empty"), dtype=np.int64)
    sweeps = np.zeros((n, cfg.depth_bins), dtype=np.complex128)
    for ep, path in episodes:
        inside = (t >= ep.start_s) & (t < ep.end_s)
        if inside.any():
            sweeps[inside] += _hand_echo(path, t[inside] - ep.start_s, session, cfg, rng)
        labels[(t >= ep.label_start_s) & (t < ep.label_end_s)] = CLASSES.index(ep.gesture)
    walks = [a0 * (1.0 + cfg.clutter_drift * np.cumsum(rng.normal(0.0, 1.0, n)))
             for a0 in session.clutter_amp]
    if walks:
        clutter_r = np.repeat(np.asarray(session.clutter_r)[None, :], n, axis=0)
        sweeps += echo(clutter_r, np.stack(walks, axis=1),
                       rng.uniform(0, 2 * np.pi, len(walks)), cfg)
    shape = (n, cfg.depth_bins)
    step = (cfg.range_end_m - cfg.range_start_m) / cfg.depth_bins
    sweeps = sweeps + jittered(static_scene(cfg.depths_m, session, cfg), shape, cfg, rng) + \
        noise(shape, step, session, cfg, rng)
    if session.motion_r.size:
        sweeps = sweeps + moving_scene(t, cfg.depths_m, session, cfg, rng)
    return ContinuousRecording(t, sweeps, labels, [ep for ep, _ in episodes])


def session_scene(seed: int, session_id: int, cfg: SimConfig = SimConfig()) -> Session:
    """The scene of session ``session_id`` of a dataset synthesized with ``seed`` and ``cfg``
    (the same draws :func:`sdk.radar.dataset.synthesize` makes first)."""
    return new_session(cfg, np.random.default_rng([seed, session_id]), session_id)


def continuous_recording(seed: int, session_id: int, seconds: float, index: int = 0,
                         cfg: SimConfig = SimConfig(), st: StreamConfig = StreamConfig(),
                         preprocess: prep.PreprocessConfig = prep.PreprocessConfig()) -> Recording:
    """A continuous recording as an Acconeer-layout :class:`Recording` with per-sweep labels;
    ``index`` numbers independent recordings of one session."""
    session = session_scene(seed, session_id, cfg)
    rng = np.random.default_rng([seed, session_id, STREAM_KEY, index])
    sim = simulate_continuous(session, seconds, rng, cfg, st)
    names = ", ".join(ep.gesture for ep in sim.episodes)
    return simulated_recording(
        sim.times, sim.sweeps, sim.labels, cfg,
        {"source": "tinyprune continuous simulator", "kind": "continuous", "seed": seed,
         "session": session_id, "recording": index, "seconds": seconds,
         "snr_db": round(session.snr_db, 3), "stream": st.to_dict(),
         "episodes": [{k: (round(v, 4) if isinstance(v, float) else v)
                       for k, v in asdict(ep).items()} for ep in sim.episodes]},
        f"simulated continuous recording, {seconds:g} s: {names}", preprocess)


def synth_stream(path: str | Path, seed: int, session_id: int, seconds: float, index: int = 0,
                 cfg: SimConfig = SimConfig(), st: StreamConfig = StreamConfig(),
                 preprocess: prep.PreprocessConfig = prep.PreprocessConfig(),
                 overwrite: bool = False) -> Recording:
    """Write :func:`continuous_recording` to ``path`` (one Acconeer Record file); returns it."""
    rec = continuous_recording(seed, session_id, seconds, index, cfg, st, preprocess)
    save_recording(path, rec, overwrite=overwrite)
    return rec


@isolated
def dataset_stream_source(path: str | Path) -> tuple[int, int, SimConfig]:
    """(seed, first test-split session, simulator config) of a dataset file: a continuous
    recording from these is in the room of a session that no training frame comes from."""
    from sdk.radar.dataset import split_sessions

    with reading_h5(path) as h5:
        if "tinyprune_dataset" not in h5:
            raise DataFileError(f"{path}: not a dataset file (no key 'tinyprune_dataset')")
        try:
            header = json.loads(h5["tinyprune_dataset"][()])
            sessions = np.array(sorted({int(json.loads(h5["recordings"][name]["tinyprune_meta"][()])
                                             ["session"]) for name in h5["recordings"]}))
        except (KeyError, ValueError, TypeError) as exc:
            raise DataFileError(f"{path}: no simulator seed and session ids to take a stream "
                                f"session from ({exc})") from None
    fields = SimConfig.__dataclass_fields__
    sim = header.get("simulator", {})
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in sim.items() if k in fields}
    cfg = SimConfig(**values)
    seed = int(header.get("seed", 0))
    test = split_sessions(sessions, seed=seed)["test"]
    if not len(test):
        raise DataFileError(f"{path}: too few sessions ({len(sessions)}) for a test split")
    return seed, int(test[0]), cfg
