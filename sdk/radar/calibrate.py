"""Fit the simulator to real recordings: one calibrated profile per sensor generation, profile
and (A121) settings, kept in a ``sim.json`` file.

For every key (:attr:`sdk.radar.radar_stats.SweepBlocks.key`) the recordings' statistics are
pooled (median) into targets, then the simulator's sensor parameters start from their direct
inversions and are corrected by simulating an empty scene on exactly the recordings' depths,
bursts and sweep counts (:func:`simulate_blocks`), in enough rooms that the pooled statistics
are the typical room's (:func:`scenes_for`), and comparing:

* ``noise_ar`` = lag ratio - 1 (AR(1) noise has ratio ``1 + a``);
* ``noise_std`` = measured noise / sqrt(1 - a) (the sweep-to-sweep difference sees ``1 - a``);
* ``noise_corr_m`` = the correlation length along depth;
* ``static_std`` and ``leakage`` from the static level over all depths and near the sensor;
* ``leakage_sigma_m`` (the leakage's envelope) from its falloff, where a recording starts at
  the sensor (:func:`leakage_width`);
* the motion component (:mod:`sdk.radar.motion`), only where the recordings move and the
  still scene's ``frame_p90`` falls more than 10 % short: the moving depths' range, the
  displacement from their lag ratio, the amplitude from ``frame_p90``.

The hand's amplitude cannot be fitted from recordings without gestures: A111 profiles keep the
default (raw A111 units), A121 profiles scale it with their measured noise so the hand stands as
far above the noise as the default hand above the real A111 noise (``HAND_OVER_NOISE``).

File format (JSON): ``{"format": 1, "profiles": {key: {"sim": {SimConfig fields},
"target": stats, "fitted": stats, "recordings": [paths], "not_measurable": {statistic:
reason}}}}`` (the last only when a target is); NaN statistics are null.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from sdk.atomic import atomic_path
from sdk.errors import DataFileError
from sdk.radar import motion
from sdk.radar import radar_stats as rs
from sdk.radar.recording import Recording
from sdk.radar.simulator import (
    SimConfig,
    echo,
    jittered,
    moving_scene,
    new_session,
    noise,
    static_scene,
)

FORMAT = 1
ITERATIONS = 6
POOL_DEPTHS = 240
HAND_OVER_NOISE = 400.0 / 25.8  # default hand amplitude / real A111 noise (sleep_breathing)
# Pulse envelope sigma per A121 profile (exp(-(d/sigma)^2)), from approximate FWHM pulse lengths
# of 40, 70, 140, 190 and 320 mm; A111 keeps the default 0.05 m.
A121_PULSE_SIGMA_M = {"profile1": 0.024, "profile2": 0.042, "profile3": 0.084,
                      "profile4": 0.114, "profile5": 0.192}
BUILTIN = Path(__file__).with_name("sim_profiles.json")


def base_config(key: str) -> SimConfig:
    """The starting point of a key's profile: the default scene without discrete clutter
    reflectors (the fitted diffuse static scene stands for the whole room)."""
    generation, profile = (key.split("/") + ["", ""])[:2]
    cfg = SimConfig(profile=key, clutter_reflectors=(0, 0))
    if generation == "a121":
        cfg = replace(cfg, sigma_p_m=A121_PULSE_SIGMA_M.get(profile, cfg.sigma_p_m))
    return cfg


def leakage_width(blocks: list[rs.SweepBlocks], sigma_m: float) -> float:
    """The direct leakage's envelope width from its falloff where a recording starts
    within ``NEAR_M`` of the sensor: ``exp(-(d / sigma)^2)`` through the static level of its
    first depth and of the first one where that level has halved, the steepest part of the
    falloff, where the leakage outweighs the scene most (0, the pulse's ``sigma_m``, without
    such a recording; within 0.5-1.5 times ``sigma_m``; the median over recordings). The
    touchless-button recordings fall off over 13 and 65 mm where the A121 profiles 1 and 3
    nominally give 24 and 84 (:data:`A121_PULSE_SIGMA_M`); targets' echoes, which these
    recordings do not show, keep the nominal pulse."""
    widths = []
    for b in blocks:
        static, d = rs.static_profile(b.bursts), b.depths_m
        half = np.nonzero(static <= 0.5 * static[0])[0]
        if d[0] < rs.NEAR_M and half.size and static[half[0]] > 0:
            k = int(half[0])
            widths.append(np.sqrt((d[k] ** 2 - d[0] ** 2) / np.log(static[0] / static[k])))
    if not widths:
        return 0.0
    return float(np.clip(np.median(widths), 0.5 * sigma_m, 1.5 * sigma_m))


def simulate_blocks(cfg: SimConfig, like: rs.SweepBlocks, rng: np.random.Generator) -> rs.SweepBlocks:
    """An empty scene (static scene, leakage, noise, motion; the default profile's discrete
    clutter) on the depths and burst shape of ``like``."""
    cfg = replace(cfg, range_end_m=max(cfg.range_end_m, float(like.depths_m.max())))
    session = new_session(cfg, rng, 0)
    step = float(np.median(np.diff(like.depths_m))) if like.depths_m.size > 1 else 0.0
    sweeps = jittered(static_scene(like.depths_m, session, cfg), like.bursts.shape, cfg, rng) + \
        noise(like.bursts.shape, step, session, cfg, rng)
    if session.motion_r.size:
        b, s, d = like.bursts.shape
        t = np.arange(b * s) / max(like.sweep_rate_hz, 1e-9)
        sweeps = sweeps + moving_scene(t, like.depths_m, session, cfg, rng).reshape(b, s, d)
    if session.clutter_r.size:  # none in a calibrated profile: its static scene is the room
        b, s, d = like.bursts.shape
        n = session.clutter_r.size
        walk = 1.0 + cfg.clutter_drift * np.cumsum(rng.normal(0.0, 1.0, (b * s, n)), axis=0)
        sweeps = sweeps + echo(np.broadcast_to(session.clutter_r, walk.shape), session.clutter_amp * walk,
                               rng.uniform(0.0, 2.0 * np.pi, n), cfg, like.depths_m).reshape(b, s, d)
    return rs.SweepBlocks(sweeps, like.depths_m, like.sweep_rate_hz, like.generation,
                          like.profile, f"simulated like {like.source}", like.settings)


def scenes_for(cfg: SimConfig, like: rs.SweepBlocks) -> int:
    """How many independent scenes to simulate like ``like``: enough that they hold about
    ``POOL_DEPTHS`` independent depths (at least 5; a single point gets ``POOL_DEPTHS``).
    Depths closer than the pulse width see the same part of the static scene, so a recording
    counts at most one depth per pulse width of its span: the A111 recordings' 827 points over
    0.4 m are about 9 independent depths, and one draw of their scene swings its static level
    by +-30 %."""
    span = float(np.ptp(like.depths_m)) if like.depths_m.size else 0.0
    independent = min(float(like.depths_m.size), 1.0 + span / cfg.sigma_p_m)
    return max(5, int(np.ceil(POOL_DEPTHS / max(independent, 1.0))))


def simulate_like(cfg: SimConfig, like: list[rs.SweepBlocks], seed: int = 0,
                  scenes: int | None = None) -> list[rs.SweepBlocks]:
    """``cfg``'s empty scene simulated like each block of ``like`` (its depths, sweep rate,
    bursts and number of sweeps), in ``scenes`` independent scenes each [:func:`scenes_for`]:
    a recording of few depths sees a single draw of the static scene, a pool of about
    ``POOL_DEPTHS`` independent depths is the typical scene."""
    out = []
    for i, b in enumerate(like):
        n = scenes_for(cfg, b) if scenes is None else scenes
        out += [simulate_blocks(cfg, b, np.random.default_rng([seed, i, j])) for j in range(n)]
    return out


def measure_simulated(cfg: SimConfig, like: list[rs.SweepBlocks], seed: int = 0) -> rs.RadarStats:
    """Pooled statistics of :func:`simulate_like`."""
    return rs.pooled([rs.measure(b) for b in simulate_like(cfg, like, seed)])


def _ratio(target: float, measured: float) -> float:
    ok = np.isfinite(target) and np.isfinite(measured) and measured > 0 and target > 0
    return float(target / measured) if ok else 1.0


def _finite(value: float, fallback: float = 0.0) -> float:
    return float(value) if np.isfinite(value) else fallback


def fit(blocks: list[rs.SweepBlocks], seed: int = 0) -> tuple[SimConfig, rs.RadarStats, rs.RadarStats]:
    """(fitted config, target statistics, statistics of the fitted simulation) for blocks of
    one key."""
    key = blocks[0].key
    target = rs.pooled([rs.measure(b) for b in blocks])
    cfg = base_config(key)
    cfg = replace(cfg, leakage_sigma_m=leakage_width(blocks, cfg.sigma_p_m))
    a = float(np.clip(_finite(target.noise_lag_ratio, 1.0) - 1.0, -0.5, 0.9))
    near_depths = np.array([b.depths_m[0] for b in blocks if b.depths_m[0] < rs.NEAR_M])
    width = cfg.leakage_sigma_m or cfg.sigma_p_m
    near_gain = float(np.median(np.exp(-(near_depths / width) ** 2))) if near_depths.size else 1.0
    cfg = replace(cfg, noise_ar=a, noise_std=_finite(target.noise, 1.0) / np.sqrt(1.0 - a),
                  noise_corr_m=_finite(target.depth_corr_m), static_std=_finite(target.static),
                  leakage=_finite(target.near_static) / max(near_gain, 1e-3))
    cfg = _iterate(cfg, target, blocks, seed)
    still = measure_simulated(cfg, blocks, seed)
    moves = motion.measure_motion(blocks)
    if moves is not None and target.frame_p90 > still.frame_p90 * (1.0 + motion.P90_SHORT):
        cfg = _iterate(motion.start(cfg, moves), target, blocks, seed, moves)
    if blocks[0].generation == "a121":
        # above the noise the recordings show (with what a jitter adds), in noise_std's terms
        cfg = replace(cfg, hand_amplitude=HAND_OVER_NOISE * _finite(target.noise, 1.0) / np.sqrt(1.0 - a))
    return cfg, target, measure_simulated(cfg, blocks, seed + 1)



def _iterate(cfg: SimConfig, target: rs.RadarStats, blocks: list[rs.SweepBlocks], seed: int,
             moves: motion.Motion | None = None) -> SimConfig:
    """ITERATIONS corrections of every parameter toward ``target``; the motion's too when
    ``moves`` (the recordings' motion) is given."""
    for _ in range(ITERATIONS):
        sims = simulate_like(cfg, blocks, seed)
        each = [rs.measure(b) for b in sims]
        got = rs.pooled(each)
        ar = cfg.noise_ar + _finite(target.noise_lag_ratio - got.noise_lag_ratio)
        cfg = replace(
            cfg, noise_ar=float(np.clip(ar, -0.5, 0.9)),
            noise_std=cfg.noise_std * _ratio(target.noise, got.noise),
            noise_corr_m=cfg.noise_corr_m * _ratio(target.depth_corr_m, got.depth_corr_m),
            static_std=cfg.static_std * _ratio(target.static, got.static) ** 0.7,
            leakage=cfg.leakage * _ratio(target.near_static, got.near_static) ** 0.7)
        if moves is not None:
            cfg = motion.correct(cfg, moves, motion.measure_motion(sims, each), target.frame_p90,
                                 got.frame_p90)
    return cfg


def group_blocks(recordings: list[Recording]) -> dict[str, list[rs.SweepBlocks]]:
    """Sweep blocks of all recordings by key, in the order first seen."""
    groups: dict[str, list[rs.SweepBlocks]] = {}
    for rec in recordings:
        for blocks in rs.sweep_blocks(rec):
            groups.setdefault(blocks.key, []).append(blocks)
    return groups


def _stats_json(stats: rs.RadarStats) -> dict[str, float | None]:
    return {k: (round(v, 6) if np.isfinite(v) else None) for k, v in stats.to_dict().items()}


def calibrate(recordings: list[Recording], seed: int = 0,
              on_key: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The ``sim.json`` document for ``recordings``."""
    profiles = {}
    for key, blocks in group_blocks(recordings).items():
        cfg, target, fitted = fit(blocks, seed)
        sim = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in cfg.to_dict().items()}
        profiles[key] = {"sim": sim, "target": _stats_json(target), "fitted": _stats_json(fitted),
                         "recordings": sorted({b.source for b in blocks}),
                         **({"not_measurable": target.notes} if target.notes else {})}
        if on_key is not None:
            on_key(key)
    return {"format": FORMAT, "profiles": profiles}


def write_sim_json(path: Path, doc: dict[str, Any]) -> None:
    """Write a ``sim.json`` document atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(doc, indent=1) + "\n")


def read_sim_json(path: Path) -> dict[str, dict[str, Any]]:
    """The profiles of a ``sim.json`` file; anything else is one DataFileError line."""
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path}: not a sim.json file (not JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or \
            not isinstance(doc.get("profiles"), dict) or not doc["profiles"]:
        raise DataFileError(f"{path}: not a sim.json file (expected format {FORMAT} with a "
                            "non-empty 'profiles' object, as `tinyprune data calibrate` writes)")
    return doc["profiles"]


def config_from_dict(sim: Any, where: str) -> SimConfig:
    """A SimConfig from its JSON form; unknown keys or wrong types name ``where`` and the key."""
    if not isinstance(sim, dict):
        raise DataFileError(f"{where}: 'sim' must be an object of simulator settings")
    known = {f.name: f for f in fields(SimConfig)}
    default = SimConfig()
    values: dict[str, Any] = {}
    for name, value in sim.items():
        if name not in known:
            raise DataFileError(f"{where}: unknown simulator setting '{name}'")
        want = getattr(default, name)
        if isinstance(want, tuple):
            ok = isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            value = tuple(value) if ok else value
        else:
            ok = isinstance(value, type(want)) or (isinstance(want, float) and isinstance(value, int))
            ok = ok and not isinstance(value, bool)
        if not ok or (isinstance(value, (int, float)) and not np.isfinite(value)):
            raise DataFileError(f"{where}: setting '{name}' must be like {want!r}, got {value!r}")
        values[name] = float(value) if isinstance(want, float) else value
    try:
        return SimConfig(**values)
    except (TypeError, ValueError) as exc:
        raise DataFileError(f"{where}: {exc}") from None


def profile_for(key: str, profiles: dict[str, Any], where: str) -> SimConfig:
    """The settings a sim.json's ``profiles`` give configuration ``key``: its own profile, else
    that of the same generation and pulse profile (other settings), else the uncalibrated
    :func:`base_config`; named ``key`` either way."""
    found = key if key in profiles else next(
        (k for k in profiles if k.split("/")[:2] == key.split("/")[:2]), None)
    if found is None:
        return base_config(key)
    entry = profiles[found]
    sim = entry.get("sim") if isinstance(entry, dict) else None
    return replace(config_from_dict(sim, f"{where}: {found}"), profile=key)


def profile_names(path: Path = BUILTIN) -> list[str]:
    """Keys of a sim.json file (the built-in one by default)."""
    return list(read_sim_json(path))


def load_sim(spec: str, generation: str = "a111") -> SimConfig:
    """Simulator settings by name: ``default`` (the original model), a key of the built-in
    calibrated profiles (``a111/profile2``...), or a sim.json file, optionally ``FILE:KEY``
    (without a key, the file's only profile of ``generation``)."""
    if spec == "default":
        return SimConfig()
    path, key = Path(spec), None
    if not path.is_file() and ":" in spec and Path(spec.rsplit(":", 1)[0]).is_file():
        path, key = Path(spec.rsplit(":", 1)[0]), spec.rsplit(":", 1)[1]
    if not path.is_file():
        builtin = read_sim_json(BUILTIN)
        if spec not in builtin:
            raise DataFileError(f"simulator profile '{spec}': no such file, and not a built-in "
                                f"profile (default, {', '.join(builtin)})")
        return config_from_dict(builtin[spec]["sim"], f"{BUILTIN}: {spec}")
    profiles = read_sim_json(path)
    if key is None:
        mine = [k for k in profiles if k.split("/")[0] == generation]
        if len(mine) != 1:
            raise DataFileError(f"{path}: holds {len(mine)} {generation} profiles "
                                f"({', '.join(profiles)}); name one as {path}:KEY")
        key = mine[0]
    if key not in profiles or not isinstance(profiles[key], dict):
        raise DataFileError(f"{path}: no profile '{key}' (has {', '.join(profiles)})")
    return config_from_dict(profiles[key].get("sim"), f"{path}: {key}")
