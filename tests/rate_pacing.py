"""A model and a recording at a chosen sweep rate, and what a stream of them must report: the
deadline, latency and refractory period of the gesture firmware follow the model's rate on
every board (tests/system/test_a121_chain.py on qemu_m7, tests/boards/test_msp430_gesture.py
on the MSP430)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def rate_model_and_recording(graph, tmp: Path, rate: float, sweeps: int) -> tuple[Path, Path]:
    """``graph`` saved with the seed's preprocessing at ``rate`` sweeps/s and an eager detector
    (every swipe frame counts, one frame fires, 0.1 s of refractory period), and a simulated
    swipe of ``sweeps`` sweeps at that rate, labeled swipe throughout."""
    from sdk.ir import save_model
    from sdk.radar.gestures import GestureConfig
    from sdk.radar.preprocess import PreprocessConfig
    from sdk.radar.recording import save_recording
    from sdk.radar.simulator import SimConfig, as_recording, new_session, simulate

    graph.metadata["preprocess"] = PreprocessConfig(sweep_rate_hz=rate).to_dict()
    graph.metadata["detector"] = GestureConfig(threshold=0, consecutive=1, refractory_s=0.1,
                                               background=3).to_dict()
    model = save_model(graph, tmp / f"{graph.name}{rate:g}.tpm")
    cfg = SimConfig(sweep_rate_hz=rate, sweeps=sweeps)
    rng = np.random.default_rng(1)
    session = new_session(cfg, rng, 0)
    times, sw = simulate("swipe", session, cfg, rng)
    rec = tmp / f"swipe{rate:g}.h5"
    save_recording(rec, as_recording("swipe", times, sw, cfg, session, 0))
    return model, rec


def assert_paced_by_the_rate(rep: dict, rate: float, clock: int, n_frames: int) -> None:
    """Deadline, latency and refractory period at ``rate`` for a model that classifies every
    frame as swipe and fires on each frame outside the refractory period (0.1 s)."""
    assert rep["classes_equal"] and rep["events_equal"] and rep["frames"] == n_frames
    assert rep["deadline_budget"] == int(clock / rate) and rep["frame_rate_hz"] == rate
    # the first frame (sweep 19) fires; then round(0.1 s * rate) frames stay quiet
    quiet = round(0.1 * rate)
    fired = [19 + k for k in range(0, n_frames, quiet + 1)]
    assert [e["sweep"] for e in rep["events"]] == fired
    assert rep["latency_sweeps"] == 19 and abs(rep["latency_s"] - 19 / rate) < 1e-9
