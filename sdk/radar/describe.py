"""What a recording holds, said plainly: rates, depths, subsweeps, flags, and whether (and how)
the gesture pipeline's range-Doppler preprocessing can use it.

The gesture preprocessing (docs/radar.md) wants complex IQ sweeps, evenly spaced (or in A121
bursts, one frame per burst) at its configuration's sweep rate (the seed's: 18 Hz), with at
least as many depths as the frame has depth rows and at least one frame's worth of sweeps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdk.errors import ShapeError
from sdk.radar.preprocess import RATE_TOLERANCE, PreprocessConfig
from sdk.radar.recording import Recording


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(float(value), digits)


def depth_axis(rec: Recording) -> dict[str, Any]:
    """Number of depths, their range and spacing; A121 per subsweep."""
    if rec.a121 is not None:
        a = rec.a121
        subs = []
        for i, s in enumerate(a.subsweeps):
            d = a.point_distances_m(i)
            subs.append({**s.to_dict(), "start_m": _r(d[0]), "end_m": _r(d[-1]),
                         "step_m": _r(s.step_length * a.base_step_length_m)})
        steps = {s["step_m"] for s in subs}
        return {"depths": int(rec.data.shape[-1]), "range_m": [_r(v) for v in rec.range_m],
                "depth_step_m": steps.pop() if len(steps) == 1 else None,
                "base_step_length_m": _r(a.base_step_length_m, 9), "subsweeps": subs}
    step = rec.session_info.get("step_length_m")
    return {"depths": int(rec.data.shape[-1]), "range_m": [_r(v) for v in rec.range_m],
            "depth_step_m": _r(step) if isinstance(step, (int, float)) else None, "subsweeps": []}


def burst_aligned(rec: Recording, config: PreprocessConfig) -> bool:
    """Whether ``config`` takes one frame per sensor burst of ``rec`` (A121 frames of several
    sweeps): then gaps between bursts do not matter."""
    per = rec.sweeps_per_update
    return per > 1 and config.window_sweeps == per and config.hop == per


def recording_frame_rate(rec: Recording, config: PreprocessConfig) -> float:
    """Frames per second ``config`` makes of ``rec``'s sweeps: the burst rate where it takes
    one frame per A121 burst with gaps after it (or where a packed recording says so), else
    the sweep rate over the hop."""
    gaps = rec.a121 is not None and not rec.a121.continuous_sweep_mode
    if burst_aligned(rec, config) and gaps:
        return rec.update_rate_hz
    packed = rec.preprocess
    if packed is not None and packed.burst_rate_hz > 0 and packed.hop == config.hop:
        return packed.burst_rate_hz
    return rec.sweep_rate_hz / config.hop


def check_stream(rec: Recording, config: PreprocessConfig, owner: str = "the model") -> None:
    """One-line errors naming both when ``rec``'s sweeps cannot feed ``config`` (a model's
    preprocessing): another sweep rate, bursts of another size, another frame rate, or fewer
    depths than the frame has rows."""
    config.check_rate(rec.sweep_rate_hz, rec.source, owner)
    per = rec.sweeps_per_update
    if rec.a121 is not None and per > 1 and not rec.a121.continuous_sweep_mode and not (
            config.window_sweeps == config.hop == per):
        raise ShapeError(f"{rec.source}: bursts of {per} sweeps with gaps between them, but "
                         f"{owner} takes {config.window_sweeps}-sweep frames every {config.hop} "
                         f"sweep(s) (one frame per burst of {config.window_sweeps})")
    rate = recording_frame_rate(rec, config)
    if abs(rate / config.frame_rate_hz - 1.0) > RATE_TOLERANCE:
        raise ShapeError(f"{rec.source}: {rate:.4g} frames/s, but {owner} expects "
                         f"{config.frame_rate_hz:.4g} frames/s (a frame every {config.hop} "
                         f"sweep(s) at {config.sweep_rate_hz:.4g} sweeps/s)")
    if rec.data.shape[-1] < config.depth_bins:
        raise ShapeError(f"{rec.source}: {rec.data.shape[-1]} depths per sweep, but {owner} "
                         f"reduces sweeps to {config.depth_bins} depth rows")


def gesture_readiness(rec: Recording, config: PreprocessConfig = PreprocessConfig(),
                      sensor: int | None = None) -> dict[str, Any]:
    """Whether the range-Doppler preprocessing ``config`` can run on ``rec``, how, and why not."""
    bursts = burst_aligned(rec, config)
    problem = rec.stream_problem(bursts)
    if problem is not None:
        return {"preprocessable": False, "why_not": problem, "how": None, "frames": 0,
                "matches_gesture_rate": False}
    sweeps = rec.iq_sweeps(sensor, bursts)
    n_sweeps, depths = sweeps.shape
    rate = rec.sweep_rate_hz
    if depths < config.depth_bins:
        why = (f"{depths} depths per sweep; the depth reduction into {config.depth_bins} rows "
               f"needs at least {config.depth_bins}")
    elif n_sweeps < config.window_sweeps:
        why = f"{n_sweeps} sweeps; one frame needs {config.window_sweeps}"
    else:
        why = None
    matches = rate > 0 and abs(rate / config.sweep_rate_hz - 1.0) <= RATE_TOLERANCE
    span = config.window_sweeps / rate if rate > 0 else float("nan")
    n_frames = max(0, (n_sweeps - config.window_sweeps) // config.hop + 1)
    how = None
    if why is None:
        per_bin = depths // config.depth_bins
        how = (f"{n_sweeps} complex sweeps of {depths} depths ({per_bin}-{-(-depths // config.depth_bins)} "
               f"averaged per row) -> {n_frames} frames of "
               f"{config.depth_bins} x {config.window_sweeps}, one every {config.hop} sweep(s)")
        if not matches:
            how += (f"; but at {rate:.4g} sweeps/s a frame spans {span:.3g} s, not the "
                    f"configuration's {config.window_sweeps / config.sweep_rate_hz:.3g} s at "
                    f"{config.sweep_rate_hz:g} Hz: a model trained at {config.sweep_rate_hz:g} Hz "
                    "does not apply; pack it with its own rate (`tinyprune data pack` takes the "
                    "recordings' rate)")
    return {"preprocessable": why is None, "why_not": why, "how": how,
            "frames": n_frames if why is None else 0, "matches_gesture_rate": bool(matches)}


def describe(rec: Recording, config: PreprocessConfig = PreprocessConfig(),
             sensor: int | None = None) -> dict[str, Any]:
    """A JSON-able description of one recording (what ``tinyprune data info`` prints)."""
    sweep_rate = rec.sweep_rate_hz
    out: dict[str, Any] = {
        "path": rec.source, "kind": "recording", "generation": rec.generation, "mode": rec.mode,
        "shape": list(rec.data.shape), "dtype": str(rec.data.dtype),
        "sensors": rec.sensor_ids(), "updates": rec.n_updates,
        "duration_s": _r(float(rec.times_s[-1]) if rec.n_updates > 1 else 0.0, 4),
        "update_rate_hz": _r(rec.update_rate_hz),
        "measured_update_rate_hz": _r(rec.measured_update_rate_hz),
        "sweeps_per_update": rec.sweeps_per_update,
        "sweep_rate_hz": _r(sweep_rate) if sweep_rate > 0 else None,
        **depth_axis(rec),
        "flags_raised": {k: int(np.count_nonzero(v)) for k, v in rec.flags.items()},
    }
    if rec.a121 is not None:
        a = rec.a121
        out.update({"session": a.session, "sessions": a.sessions, "group": a.group,
                    "sensor_id": a.sensor_id,
                    "entries": [{"group": g, "sensor_id": s} for g, s in a.entries],
                    "frame_rate_hz": _r(a.frame_rate_hz),
                    "configured_sweep_rate_hz": _r(a.sweep_rate_hz),
                    "max_sweep_rate_hz": _r(a.max_sweep_rate_hz),
                    "continuous_sweep_mode": a.continuous_sweep_mode,
                    "ticks_per_second": a.ticks_per_second})
        if sweep_rate <= 0:
            out["sweep_rate_note"] = ("no sweep rate configured: the sweeps of a frame follow each "
                                      "other as fast as the sensor can (at most "
                                      f"{a.max_sweep_rate_hz or 0:.6g} Hz)")
    if rec.labels is not None and rec.label_names:
        valid = rec.labels[rec.labels >= 0]
        out["label_counts"] = {name: int(np.count_nonzero(valid == i))
                               for i, name in enumerate(rec.label_names)}
    out["gesture"] = gesture_readiness(rec, config, sensor)
    return out
