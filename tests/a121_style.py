"""A121-style gesture recordings for tests: bursts of sweeps per frame at a high sweep rate over
few depth points, written in the A121 Exploration Tool layout (tests/bad_input_seeds.py's
write_a121_seed shows the layout; sdk/radar/acconeer_a121.py reads it).

The sweeps come from the point-scatterer simulator (sdk.radar.simulator) run at the burst's
sweep rate over the burst's depth points; only the format is the A121's, the physics is the
simulator's. Files are ``folder/s<session>/<name>_<i>.h5``, labeled by their names (the pack
tests' PATTERN), so any number of classes can be made from the simulator's four gestures.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from sdk.radar.simulator import SimConfig, new_session, simulate

PATTERN = r"(?P<session>s\d+)/(?P<label>[a-z]+)_\d+\.h5$"
THREE = {"swipe": "swipe", "press": "press", "empty": "empty"}
FIVE = {"swipe": "swipe", "press": "press", "pick": "pick", "empty": "empty", "wave": "swipe"}


def write_a121_bursts(path: Path, sweeps: np.ndarray, sweeps_per_frame: int,
                      sweep_rate_hz: float, start_point: int = 80, step_length: int = 40) -> Path:
    """Complex ``sweeps`` (T, points) as an A121 record of T // sweeps_per_frame frames, each a
    burst of ``sweeps_per_frame`` sweeps at ``sweep_rate_hz`` (frames back to back)."""
    frames, points = len(sweeps) // sweeps_per_frame, sweeps.shape[1]
    frame_rate = sweep_rate_hz / sweeps_per_frame
    text = h5py.string_dtype("utf-8")
    config = {"groups": [{"1": {"sweep_rate": sweep_rate_hz, "frame_rate": frame_rate,
                                "sweeps_per_frame": sweeps_per_frame,
                                "continuous_sweep_mode": False, "subsweeps": [
                                    {"start_point": start_point, "num_points": points,
                                     "step_length": step_length, "profile": "PROFILE_3"}]}}],
              "extended": False}
    meta = {"frame_data_length": points * sweeps_per_frame, "sweep_data_length": points,
            "subsweep_data_offset": [0], "subsweep_data_length": [points],
            "base_step_length_m": 0.0025, "tick_period": 0}
    data = sweeps[: frames * sweeps_per_frame].reshape(frames, sweeps_per_frame, points)
    frame = np.zeros(data.shape, dtype=[("real", "<i2"), ("imag", "<i2")])
    frame["real"] = np.clip(np.rint(data.real), -32768, 32767)
    frame["imag"] = np.clip(np.rint(data.imag), -32768, 32767)
    ticks_per_frame = round(1_000_000 / frame_rate)
    with h5py.File(path, "w") as h5:
        h5.create_dataset("generation", data="a121", dtype=text)
        h5.create_dataset("server_info", data=json.dumps({"ticks_per_second": 1000000}), dtype=text)
        h5.create_dataset("client_info", data="{}", dtype=text)
        session = h5.create_group("sessions/session_0")
        h5["session"] = h5py.SoftLink("/sessions/session_0")
        session.create_dataset("session_config", data=json.dumps(config), dtype=text)
        entry = session.create_group("group_0/entry_0")
        entry.create_dataset("sensor_id", data=1)
        entry.create_dataset("metadata", data=json.dumps(meta), dtype=text)
        result = entry.create_group("result")
        result.create_dataset("frame", data=frame)
        result.create_dataset("tick", data=1000 + np.arange(frames, dtype=np.int64) * ticks_per_frame)
        for flag in ("data_saturated", "frame_delayed", "calibration_needed"):
            result.create_dataset(flag, data=np.zeros(frames, bool))
        result.create_dataset("temperature", data=np.full(frames, 25))
    return path


def record_a121_gestures(folder: Path, gestures: dict[str, str], sessions: int = 3,
                         per_class: int = 1, frames: int = 24, sweeps_per_frame: int = 16,
                         points: int = 6, sweep_rate_hz: float = 1000.0,
                         seed: int = 0) -> list[Path]:
    """Simulated A121-style recordings of every ``gestures`` value, named by its key, in
    ``sessions`` session folders; seeded, a few kB each."""
    cfg = SimConfig(sweep_rate_hz=sweep_rate_hz, depth_bins=points,
                    sweeps=frames * sweeps_per_frame, timing_jitter_s=0.0)
    out = []
    for s in range(sessions):
        rng = np.random.default_rng([seed, s])
        scene = new_session(cfg, rng, s)
        (folder / f"s{s}").mkdir(parents=True, exist_ok=True)
        for name, gesture in gestures.items():
            for i in range(per_class):
                _, sweeps = simulate(gesture, scene, cfg, rng)
                out.append(write_a121_bursts(folder / f"s{s}" / f"{name}_{i}.h5", sweeps,
                                             sweeps_per_frame, sweep_rate_hz))
    return out
