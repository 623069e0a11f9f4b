"""Point-scatterer simulator of a 60 GHz pulsed radar (A111 class) watching hand gestures.

Each sweep is, per depth d_k (docs/radar.md has the full model):

    x[n,k] = sum_i a_i(t_n) exp(-((d_k - r_i(t_n)) / sigma_p)^2) exp(-j 4 pi r_i(t_n) / lambda + j phi_i)
             + noise

over the hand's scatterers, the forearm behind it and static clutter, with
a_i = rho_i (r_ref / r_i)^2 g(theta_i) (Rayleigh rho_i, Gaussian beam g).  Sweeps are evaluated
at jittered real sweep times, so the slow-time phase aliases as it does on the sensor.
Amplitudes are in raw A111 IQ units (the shared recordings show reflectors of a few hundred).

The default configuration is the original model (white noise at a per-session SNR, a few
discrete clutter reflectors); it is the ``default`` profile, which the demo and the published
figures use. A calibrated profile (:mod:`sdk.radar.calibrate`, ``tinyprune data calibrate``)
sets the sensor's noise level, its correlation along depth (``noise_corr_m``) and along sweeps
(AR(1) ``noise_ar``), a diffuse static scene (``static_std``) and the direct leakage near the
sensor (``leakage``) and a motion component (``motion_*``: moving bodies, as a breathing person
or moving obstacles in the recordings it was fitted to, present in every recording;
``static_jitter_rad``: the static returns jittering in phase, as near the A121's leakage);
each of them draws random numbers only when it is switched on, so the default profile's output
is unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from sdk.radar.preprocess import PreprocessConfig
from sdk.radar.recording import Recording

CLASSES = ("swipe", "press", "pick", "empty")
WAVELENGTH_M = 2.0 * 2.445e-3  # Acconeer's lambda/2 constant for the 60.5 GHz carrier
MOTION_SCATTERERS = 8          # scatterers per moving body (:func:`moving_scene`)


@dataclass(frozen=True)
class SimConfig:
    """Sensor and scene parameters; ranges are (low, high) drawn uniformly per recording/session."""

    sweep_rate_hz: float = 18.0
    range_start_m: float = 0.2
    range_end_m: float = 0.8
    depth_bins: int = 120
    sweeps: int = 24                      # per recording: 1.33 s, i.e. 5 frames of 20 sweeps
    timing_jitter_s: float = 0.002        # sweep times are not perfectly regular on the sensor
    sigma_p_m: float = 0.05               # pulse envelope width
    hand_amplitude: float = 400.0         # raw units of the whole hand at r_ref, on the beam axis
    r_ref_m: float = 0.3
    hpbw_deg: float = 60.0
    snr_db: tuple[float, float] = (10.0, 25.0)
    hand_scatterers: tuple[int, int] = (4, 8)
    clutter_reflectors: tuple[int, int] = (1, 3)
    clutter_drift: float = 0.01           # relative amplitude drift of static clutter per sweep
    recordings_per_session: int = 5       # per class: one session = one person and room
    profile: str = "default"              # the name of these settings (sim.json key, or default)
    noise_std: float = 0.0                # complex noise std, raw units; 0: from snr_db per session
    noise_corr_m: float = 0.0             # noise correlation length along depth (falls to 0.5)
    noise_ar: float = 0.0                 # AR(1) coefficient of the noise along sweeps
    static_std: float = 0.0               # rms of a diffuse static scene (many weak reflectors)
    leakage: float = 0.0                  # direct leakage amplitude at 0 m (pulse-shaped)
    leakage_sigma_m: float = 0.0          # the leakage's envelope width; 0: the pulse's
    motion_reflectors: int = 0            # moving reflectors in every recording; 0: a still scene
    motion_range_m: tuple[float, float] = (0.0, 0.0)  # their rest ranges, drawn per session
    motion_amplitude: float = 0.0         # each one's rms amplitude, raw units
    motion_disp_m: float = 0.0            # rms displacement along range
    motion_time_s: float = 1.0            # correlation time of the displacement
    static_jitter_rad: float = 0.0        # rms phase jitter of the static returns, per sweep and point

    def to_dict(self) -> dict:
        """JSON-able parameters, stored in the dataset's metadata."""
        return asdict(self)

    @property
    def depths_m(self) -> np.ndarray:
        """Centre depth of every range bin."""
        step = (self.range_end_m - self.range_start_m) / self.depth_bins
        return self.range_start_m + step * np.arange(self.depth_bins)


@dataclass(frozen=True)
class Session:
    """What stays fixed within a session: room clutter, noise level, the person's hand and arm."""

    session_id: int
    snr_db: float
    n_hand: int
    hand_offsets: np.ndarray        # (n_hand, 2) lateral / vertical offsets from the hand centre, m
    forearm_m: float
    clutter_r: np.ndarray
    clutter_amp: np.ndarray
    static_r: np.ndarray = field(default_factory=lambda: np.zeros(0))   # diffuse static scene
    static_amp: np.ndarray = field(default_factory=lambda: np.zeros(0, np.complex128))
    leakage_phase: float = 0.0
    motion_r: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (bodies, scatterers)
    motion_amp: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.complex128))


def _beam(theta: np.ndarray, hpbw_deg: float) -> np.ndarray:
    return np.exp(-np.log(2.0) * (2.0 * theta / np.deg2rad(hpbw_deg)) ** 2)


def new_session(cfg: SimConfig, rng: np.random.Generator, session_id: int) -> Session:
    """Draw one session's fixed scene."""
    n_hand = int(rng.integers(cfg.hand_scatterers[0], cfg.hand_scatterers[1] + 1))
    n_clutter = int(rng.integers(cfg.clutter_reflectors[0], cfg.clutter_reflectors[1] + 1))
    far = cfg.range_end_m + 0.2
    clutter_r = rng.uniform(cfg.range_start_m + 0.15, far, n_clutter)
    clutter_amp = cfg.hand_amplitude * rng.uniform(0.2, 1.0, n_clutter) * (cfg.r_ref_m / clutter_r) ** 2
    session = Session(session_id=session_id, snr_db=float(rng.uniform(*cfg.snr_db)), n_hand=n_hand,
                      hand_offsets=rng.uniform([-0.04, -0.03], [0.04, 0.03], (n_hand, 2)),
                      forearm_m=float(rng.uniform(0.12, 0.30)), clutter_r=clutter_r,
                      clutter_amp=clutter_amp)
    if cfg.static_std > 0:
        # Reflectors every sigma_p / 4 from the sensor to 0.5 m beyond the range: their
        # pulse-shaped sum is a smooth complex profile of rms static_std at any depth grid.
        r = np.arange(0.0, max(cfg.range_end_m, 0.1) + 0.5, cfg.sigma_p_m / 4.0)
        pulse_power = np.sqrt(np.pi / 2.0) * cfg.sigma_p_m / (cfg.sigma_p_m / 4.0)
        amp = rng.normal(0.0, np.sqrt(0.5), (r.size, 2)) @ np.array([1.0, 1.0j])
        session = replace(session, static_r=r, static_amp=amp * cfg.static_std / np.sqrt(pulse_power))
    if cfg.leakage > 0:
        session = replace(session, leakage_phase=float(rng.uniform(0.0, 2.0 * np.pi)))
    if cfg.motion_reflectors > 0:
        # each moving reflector is a body (a chest, a hand): MOTION_SCATTERERS Gaussian
        # scatterers within half a pulse width of its centre, moving as one
        shape = (cfg.motion_reflectors, MOTION_SCATTERERS)
        centre = rng.uniform(*cfg.motion_range_m, shape[0])[:, None]
        offsets = rng.uniform(-0.5, 0.5, shape) * cfg.sigma_p_m
        amp = rng.normal(0.0, np.sqrt(0.5), (*shape, 2)) @ np.array([1.0, 1.0j])
        session = replace(session, motion_r=centre + offsets,
                          motion_amp=amp * cfg.motion_amplitude / np.sqrt(MOTION_SCATTERERS))
    return session


def moving_scene(t: np.ndarray, depths_m: np.ndarray, session: Session, cfg: SimConfig,
                 rng: np.random.Generator) -> np.ndarray:
    """The session's moving reflectors at sweep times ``t``: complex ``(t.size, depths)``.

    Each one's range is its rest range plus an Ornstein-Uhlenbeck displacement (rms
    ``motion_disp_m``, correlation time ``motion_time_s``: a Lorentzian motion spectrum, slow
    like breathing at long times, a jitter from sweep to sweep at short ones), mirrored at 0 m.
    A body's scatterers sit at random phases, so what it adds decorrelates from depth to depth
    as a diffuse scene's does.
    """
    n = session.motion_r.shape[0]
    u = np.empty((t.size, n))
    u[0] = rng.normal(0.0, 1.0, n)
    rho = np.exp(-np.diff(t) / max(cfg.motion_time_s, 1e-9))
    kicks = rng.normal(0.0, 1.0, (t.size - 1, n)) * np.sqrt(1.0 - rho ** 2)[:, None]
    for k in range(1, t.size):
        u[k] = rho[k - 1] * u[k - 1] + kicks[k - 1]
    r = np.abs(session.motion_r[None] + cfg.motion_disp_m * u[:, :, None]).reshape(t.size, -1)
    a = np.broadcast_to(np.abs(session.motion_amp).ravel()[None], r.shape)
    return echo(r, a, np.angle(session.motion_amp).ravel(), cfg, depths_m)


def jittered(static: np.ndarray, shape: tuple[int, ...], cfg: SimConfig,
             rng: np.random.Generator) -> np.ndarray:
    """The static returns ``static`` (depths,) in every sweep of ``shape`` (..., sweeps,
    depths), each point with its own phase jitter of rms ``static_jitter_rad`` and the noise's
    colour along sweeps (``noise_ar``): the A121 samples every point at its own instant, and
    its sampling jitter shows as noise proportional to the return, independent from point to
    point; unchanged without jitter."""
    if cfg.static_jitter_rad <= 0:
        return static
    phase = ar_along_sweeps(rng.normal(0.0, cfg.static_jitter_rad, shape), cfg.noise_ar)
    return static * np.exp(1j * phase)


def static_scene(depths_m: np.ndarray, session: Session, cfg: SimConfig) -> np.ndarray:
    """The session's diffuse static scene plus the direct leakage, complex (depths,)."""
    out = np.zeros(depths_m.size, dtype=np.complex128)
    if session.static_r.size:
        pulse = np.exp(-(((depths_m[:, None] - session.static_r[None]) / cfg.sigma_p_m) ** 2))
        out += pulse @ (session.static_amp * np.exp(-4j * np.pi * session.static_r / WAVELENGTH_M))
    if cfg.leakage > 0:
        width = cfg.leakage_sigma_m or cfg.sigma_p_m
        out += cfg.leakage * np.exp(-((depths_m / width) ** 2) + 1j * session.leakage_phase)
    return out


def noise_sigma(session: Session, cfg: SimConfig) -> float:
    """Standard deviation of each of I and Q of the noise."""
    if cfg.noise_std > 0:
        return cfg.noise_std / np.sqrt(2.0)
    return cfg.hand_amplitude * 10.0 ** (-session.snr_db / 20.0) / np.sqrt(2.0)


def noise(shape: tuple[int, ...], step_m: float, session: Session, cfg: SimConfig,
          rng: np.random.Generator) -> np.ndarray:
    """Complex noise ``(..., sweeps, depths)``: white, or correlated along depth (Gaussian
    kernel, correlation 0.5 at ``noise_corr_m``) and along sweeps (AR(1) ``noise_ar``, restarted
    per burst from its stationary state), of the same variance."""
    sigma = noise_sigma(session, cfg)
    kernel_sd = cfg.noise_corr_m / (2.0 * np.sqrt(np.log(2.0))) / step_m if step_m > 0 else 0.0
    pad = int(np.ceil(4 * kernel_sd))
    white = rng.normal(0.0, sigma, (*shape[:-1], shape[-1] + 2 * pad, 2))
    n = white[..., 0] + 1j * white[..., 1]
    if pad:
        k = np.arange(-pad, pad + 1)
        kernel = np.exp(-0.5 * (k / kernel_sd) ** 2)
        kernel /= np.sqrt(np.sum(kernel ** 2))
        size = n.shape[-1] + kernel.size - 1
        full = np.fft.ifft(np.fft.fft(n, size, axis=-1) * np.fft.fft(kernel, size), axis=-1)
        n = full[..., 2 * pad: 2 * pad + shape[-1]]
    return ar_along_sweeps(n, cfg.noise_ar)


def ar_along_sweeps(white: np.ndarray, a: float) -> np.ndarray:
    """White samples ``(..., sweeps, depths)`` made AR(1) of coefficient ``a`` along sweeps,
    of the same variance, starting from the stationary state in every burst."""
    if not a:
        return white
    out, scale = white.copy(), np.sqrt(1.0 - a ** 2)
    for t in range(1, white.shape[-2]):
        out[..., t, :] = a * out[..., t - 1, :] + scale * out[..., t, :]
    return out


def hand_path(gesture: str, t: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hand centre (lateral x, height z) over time, plus the finger micro-motion along range."""
    duration = t[-1] - t[0]
    centre = t[0] + duration * (0.5 + rng.uniform(-0.1, 0.1))
    micro = np.zeros_like(t)
    if gesture == "swipe":
        v = rng.uniform(0.6, 1.5) * rng.choice([-1.0, 1.0])
        x = v * (t - centre)
        z = np.full_like(t, rng.uniform(0.3, 0.6))
    elif gesture == "press":
        length = rng.uniform(0.5, 0.9)
        u = np.clip((t - centre) / length + 0.5, 0.0, 1.0)
        z = rng.uniform(0.35, 0.6) - rng.uniform(0.12, 0.25) * np.sin(np.pi * u) ** 2
        x = np.full_like(t, rng.uniform(-0.05, 0.05))
    elif gesture == "pick":
        drift = rng.uniform(-0.01, 0.01, 2)
        z = rng.uniform(0.25, 0.5) + drift[0] * (t - t[0]) / max(duration, 1e-9)
        x = rng.uniform(-0.05, 0.05) + drift[1] * (t - t[0]) / max(duration, 1e-9)
        micro = rng.uniform(0.5e-3, 12e-3) * np.sin(2 * np.pi * rng.uniform(1.5, 4.0) * t
                                                     + rng.uniform(0, 2 * np.pi))
    else:
        raise ValueError(gesture)
    return x, z, micro


def hand_scatterers(x: np.ndarray, z: np.ndarray, micro: np.ndarray, rho: np.ndarray,
                    session: Session, cfg: SimConfig) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Ranges and amplitudes over time of the hand's scatterers (Rayleigh amplitudes ``rho``)
    and of the forearm behind them, for the hand centre at lateral ``x``, height ``z``."""
    ranges, amps = [], []
    for i in range(session.n_hand):
        xi = x + session.hand_offsets[i, 0]
        zi = z + session.hand_offsets[i, 1] - (micro if i < 2 else 0.0)  # two fingertips
        r = np.sqrt(xi ** 2 + zi ** 2)
        ranges.append(r)
        amps.append(rho[i] * (cfg.r_ref_m / r) ** 2 * _beam(np.arctan2(xi, zi), cfg.hpbw_deg))
    r_arm = np.sqrt(x ** 2 + z ** 2) + session.forearm_m
    ranges.append(r_arm)
    amps.append(0.3 * cfg.hand_amplitude * (cfg.r_ref_m / r_arm) ** 2
                * _beam(np.arctan2(x, z), cfg.hpbw_deg))
    return ranges, amps


def echo(r: np.ndarray, a: np.ndarray, phi: np.ndarray, cfg: SimConfig,
         depths_m: np.ndarray | None = None) -> np.ndarray:
    """Sum over scatterers (columns of ranges ``r`` and amplitudes ``a``, phases ``phi``) of
    the pulse-shaped complex echo: sweeps ``(T, depths)`` at ``depths_m`` [cfg.depths_m]."""
    d = (cfg.depths_m if depths_m is None else depths_m)[None, None, :]
    r3, a3 = r[:, :, None], a[:, :, None]
    pulse = np.exp(-(((d - r3) / cfg.sigma_p_m) ** 2))
    return (a3 * pulse * np.exp(1j * (phi[None, :, None] - 4.0 * np.pi * r3 / WAVELENGTH_M))).sum(axis=1)


def simulate(gesture: str, session: Session, cfg: SimConfig,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One recording of ``gesture``: (times (T,), complex sweeps (T, depth_bins))."""
    t = np.arange(cfg.sweeps) / cfg.sweep_rate_hz + rng.normal(0.0, cfg.timing_jitter_s, cfg.sweeps)
    t = np.maximum.accumulate(t - t[0])
    ranges: list[np.ndarray] = []
    amps: list[np.ndarray] = []
    if gesture != "empty":
        x, z, micro = hand_path(gesture, t, rng)
        rho = rng.rayleigh(1.0 / np.sqrt(2.0), session.n_hand)
        rho *= cfg.hand_amplitude / np.sqrt(session.n_hand)
        ranges, amps = hand_scatterers(x, z, micro, rho, session, cfg)
    for r0, a0 in zip(session.clutter_r, session.clutter_amp):
        ranges.append(np.full_like(t, r0))
        walk = 1.0 + cfg.clutter_drift * np.cumsum(rng.normal(0.0, 1.0, t.size))
        amps.append(a0 * walk)
    sweeps = np.zeros((t.size, cfg.depth_bins), dtype=np.complex128)
    if ranges:
        sweeps = echo(np.stack(ranges, axis=1), np.stack(amps, axis=1),
                      rng.uniform(0, 2 * np.pi, len(ranges)), cfg)
    step = (cfg.range_end_m - cfg.range_start_m) / cfg.depth_bins
    shape = (t.size, cfg.depth_bins)
    sweeps = sweeps + jittered(static_scene(cfg.depths_m, session, cfg), shape, cfg, rng) + noise(
        shape, step, session, cfg, rng)
    if session.motion_r.size:
        sweeps = sweeps + moving_scene(t, cfg.depths_m, session, cfg, rng)
    return t, sweeps


def simulated_recording(times: np.ndarray, sweeps: np.ndarray, labels: np.ndarray,
                        cfg: SimConfig, meta: dict, note: str,
                        preprocess: PreprocessConfig | None = None) -> Recording:
    """Simulated complex sweeps ``(T, depth_bins)`` in the Acconeer Record model, with the
    sensor configuration ``cfg`` describes, per-sweep ``labels`` and our metadata."""
    step = (cfg.range_end_m - cfg.range_start_m) / cfg.depth_bins
    return Recording(
        mode="iq",
        data=sweeps.astype(np.complex64)[:, None, :],
        sample_times=times,
        sensor_config={"mode": "IQ", "sensor": [1], "range_interval": [cfg.range_start_m, cfg.range_end_m],
                       "profile": "PROFILE_2", "update_rate": cfg.sweep_rate_hz,
                       "repetition_mode": "SENSOR_DRIVEN"},
        session_info={"range_start_m": cfg.range_start_m,
                      "range_length_m": cfg.range_end_m - cfg.range_start_m,
                      "data_length": cfg.depth_bins, "step_length_m": step},
        data_info=[],
        labels=labels,
        label_names=list(CLASSES),
        preprocess=preprocess,
        meta=meta,
        extras={"note": note},
    )


def as_recording(gesture: str, times: np.ndarray, sweeps: np.ndarray, cfg: SimConfig,
                 session: Session, index: int) -> Recording:
    """Wrap simulated sweeps in the Acconeer Record model with our labels and metadata."""
    labels = np.full(times.size, CLASSES.index(gesture), dtype=np.int64)
    return simulated_recording(
        times, sweeps, labels, cfg,
        {"source": "tinyprune simulator", "session": session.session_id, "recording": index,
         "gesture": gesture, "snr_db": round(session.snr_db, 3)},
        f"simulated {gesture}")
