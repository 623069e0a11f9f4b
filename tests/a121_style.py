"""A121-style gesture recordings for tests: bursts of sweeps per frame at a high sweep rate over
few depth points, written in the A121 Exploration Tool layout (sdk/radar/acconeer_a121.py writes
and reads it).

The sweeps come from the point-scatterer simulator (sdk.radar.simulator) run at the burst's
sweep rate over the burst's depth points; only the format is the A121's, the physics is the
simulator's. Files are ``folder/s<session>/<name>_<i>.h5``, labeled by their names (the pack
tests' PATTERN), so any number of classes can be made from the simulator's four gestures.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np

from sdk.radar.acconeer_a121 import write_h5
from sdk.radar.sim_a121 import A121SimConfig, A121Subsweep, a121_recording
from sdk.radar.simulator import SimConfig, new_session, simulate

PATTERN = r"(?P<session>s\d+)/(?P<label>[a-z]+)_\d+\.h5$"
THREE = {"swipe": "swipe", "press": "press", "empty": "empty"}
FIVE = {"swipe": "swipe", "press": "press", "pick": "pick", "empty": "empty", "wave": "swipe"}


def write_a121_bursts(path: Path, sweeps: np.ndarray, sweeps_per_frame: int,
                      sweep_rate_hz: float, start_point: int = 80, step_length: int = 40,
                      frame_rate_hz: float | None = None) -> Path:
    """Complex ``sweeps`` (T, points) as an A121 record of T // sweeps_per_frame frames, each a
    burst of ``sweeps_per_frame`` sweeps at ``sweep_rate_hz`` (frames back to back unless
    ``frame_rate_hz`` says otherwise), written by the project's A121 writer without labels (the
    pack tests label by file name)."""
    frames, points = len(sweeps) // sweeps_per_frame, sweeps.shape[1]
    cfg = A121SimConfig(sweeps_per_frame=sweeps_per_frame, sweep_rate_hz=sweep_rate_hz,
                        frame_rate_hz=frame_rate_hz or sweep_rate_hz / sweeps_per_frame,
                        frames=frames,
                        subsweeps=(A121Subsweep(start_point, points, step_length, "PROFILE_3"),))
    data = sweeps[: frames * sweeps_per_frame].reshape(frames, sweeps_per_frame, points)
    data = (np.clip(np.rint(data.real), -32768, 32767)
            + 1j * np.clip(np.rint(data.imag), -32768, 32767)).astype(np.complex64)
    rec = replace(a121_recording(data, cfg, np.zeros(frames, np.int64), {}),
                  labels=None, label_names=None)
    with h5py.File(path, "w") as h5:
        write_h5(h5, rec)
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
