"""``tinyprune run --data``, ``capture`` and ``profile``: the real-time gesture firmware over
its serial link (host/gesture_stream.py does the talking; this module the commands)."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.live import Live
from rich.table import Table

from host.cli_checks import existing_file, out_file, out_folder, positive_float, positive_int
from host.cli_options import BOARD_OPT
from host.console import emit_json, human
from sdk.errors import TinypruneError

CLASS_NAMES = ("swipe", "press", "pick", "empty")


def _names(graph: Any, n: int) -> list[str]:
    names = graph.metadata.get("class_names") if hasattr(graph, "metadata") else None
    if isinstance(names, list) and len(names) == n:
        return [str(x) for x in names]
    return list(CLASS_NAMES) if n == len(CLASS_NAMES) else [f"class{i}" for i in range(n)]


def load_stream_data(path: str, preprocess: Any = None, owner: str = "the model"
                     ) -> tuple[np.ndarray, np.ndarray, Any]:
    """Wire sweeps (n, depth_bins, 2) int16, labels per sweep (-1 when unlabeled) and the
    radar configuration of a recording or dataset file (recordings back to back), for the
    preprocessing ``preprocess`` (the seed's if None). A recording at another sweep or frame
    rate, in bursts of another size, or with fewer depths than the frame has rows, is refused
    in one line naming both (:func:`sdk.radar.describe.check_stream`)."""
    from host.gesture_fw import radar_config, wire_sweeps
    from sdk.radar.dataset import load_dataset
    from sdk.radar.describe import burst_aligned, check_stream
    from sdk.radar.preprocess import PreprocessConfig

    config = preprocess or PreprocessConfig()
    ds = load_dataset(path)
    radar = radar_config(ds.recordings[0], config.depth_bins)
    sweeps, labels = [], []
    for rec in ds.recordings:
        check_stream(rec, config, owner)
        other = radar_config(rec, config.depth_bins)
        if other != radar:
            raise TinypruneError(f"{rec.source}: radar configuration differs from the first "
                                 f"recording's ({', '.join(other.differences(radar))})")
        sweeps.append(wire_sweeps(rec, config.depth_bins, burst_aligned(rec, config)))
        per_sweep = rec.sweep_labels()
        labels.append(per_sweep if per_sweep is not None else np.full(len(sweeps[-1]), -1))
    return np.concatenate(sweeps), np.concatenate(labels).astype(np.int64), radar


def _probability(graph: Any) -> Any:
    """RESULT.score -> the class's probability: float models send it x 256, int8 models their
    raw output (docs/protocol.md)."""
    out = graph.tensors[graph.outputs[0]]
    if out.dtype != "int8":
        return lambda score: score / 256.0
    q = out.qparams()
    scale, zero_point = float(q.scale[0]), int(q.zero_point[0])
    return lambda score: (score - zero_point) * scale


def _live_table(rows: list[Any], names: list[str], budget: int, prob: Any) -> Table:
    table = Table(title="device results (newest last)")
    for col in ("sweep", "class", "score", "event", "work", "deadline"):
        table.add_column(col, justify="right")
    for r in rows[-12:]:
        cls = names[r.frame_class] if r.frame_class != 0xFF else "(no frame)"
        score = f"{prob(r.scores[r.frame_class]):.2f}" if r.frame_class != 0xFF else ""
        event = f"[bold green]{names[r.event]}[/]" if r.event != 0xFF else ""
        miss = "[red]missed[/]" if r.flags & 1 else ("ok" if budget else "-")
        table.add_row(str(r.sweep_index), cls, score, event, f"{r.work:,}", miss)
    return table


def run_stream(model: str, board: str, data: str, fast: bool = True, port: str | None = None,
               out: Path | None = None, live: bool = False, json_mode: bool = True,
               gesture: Any = None) -> dict:
    """Build (or reach on ``port``) the gesture firmware, stream ``data`` through it, and
    compare with the host. Returns the report dict ``--json`` prints."""
    from host.device_run import reference_outputs
    from host.devices import start_device
    from host.gesture_fw import board_dsp, build_gesture_firmware, check_dsp
    from host.gesture_stream import (
        check_device,
        fetch_profile,
        fetch_stats,
        hello,
        host_reference,
        reference_from_outputs,
        reset_stats,
        stream_sweeps,
    )
    from host.link import Link
    from host.models import load_model_arg
    from host.msp430_stream import q15_reference_inputs
    from host.workdir import work_folder
    from sdk.boards import load_board
    from sdk.radar import gestures

    graph = load_model_arg(model)
    n_classes = graph.tensors[graph.outputs[0]].size
    preprocess = gestures.model_preprocess(graph.metadata)
    gesture = gesture or gestures.model_detector(graph.metadata, n_classes)
    sweeps, labels, radar = load_stream_data(data, preprocess, f"model {model}")
    names = _names(graph, n_classes)
    con = human(json_mode)
    step_names: list[str] = []
    b = load_board(board)
    check_dsp(graph, b)
    sim: Any = None
    with ExitStack() as stack:
        work = stack.enter_context(work_folder(out, f"{Path(model).stem}-{board}-gesture"))
        if port is None:
            build = build_gesture_firmware(graph, model, b, work, radar=radar, gesture=gesture,
                                           preprocess=preprocess)
            step_names = [s.name for s in build.steps]
            if b.runner == "mspdebug":
                from host.msp430_stream import start_msp430

                # The simulator runs one turn per SWEEP, as fast as it simulates: real time is
                # the firmware's own cycle count against its budget.
                sim = stack.enter_context(start_msp430(build.elf))
                fast = True
                link = stack.enter_context(Link(f"mspdebug:{build.elf.name}", port=sim))
            else:
                dev = stack.enter_context(start_device(build.elf, b.runner))
                link = stack.enter_context(dev.connect())
        else:
            link = stack.enter_context(Link(port))
        info = hello(link)
        check_device(info, model, radar, link.url)
        reset_stats(link)
        rows: list[Any] = []
        started, turns_before = time.monotonic(), len(sim.turns) if sim is not None else 0
        if live:
            prob = _probability(graph)
            with Live(_live_table(rows, names, info.deadline_budget, prob), console=con,
                      refresh_per_second=8) as view:
                def show(r: Any) -> None:
                    rows.append(r)
                    view.update(_live_table(rows, names, info.deadline_budget, prob))
                outcome = stream_sweeps(link, sweeps, fast=fast, on_result=show,
                                        rate_hz=preprocess.mean_sweep_rate_hz)
        else:
            outcome = stream_sweeps(link, sweeps, fast=fast, rate_hz=preprocess.mean_sweep_rate_hz)
        wall = time.monotonic() - started
        stream_turns = sim.turns[turns_before:] if sim is not None else []
        stats = fetch_stats(link)
        profile = fetch_profile(link)
        link_stats = link.stats
        if board_dsp(b) == "q15":
            feed = q15_reference_inputs(graph, sweeps, preprocess, work / "host_q15")
            ref = reference_from_outputs(graph, len(sweeps), reference_outputs(graph, feed)
                                         if len(feed) else np.zeros((0,)), gesture, preprocess)
        else:
            ref = host_reference(graph, sweeps, gesture, preprocess)
        extra = {} if sim is None else _sim_figures(sim, outcome, stream_turns, wall,
                                                    len(sweeps), info.deadline_budget)
    rep = _report(outcome, ref, labels, stats, profile, link_stats, info, step_names, names,
                  gesture, len(sweeps), preprocess)
    return {**rep, **extra}


def _sim_figures(sim: Any, outcome: Any, turns: list, wall_s: float, n: int,
                 budget: int) -> dict:
    """The MSP430 simulator's per-sweep figures: each sweep's MCLK cycles (everything the
    firmware did for it), the part outside preprocessing and inference (reception, protocol,
    detector, loop), misses of the whole sweep against the budget, the simulator's speed."""
    from host.msp430_stream import sweep_cycles, throughput

    cycles = sweep_cycles(turns, n)
    rest = [c - outcome.results[i].work if c is not None and i in outcome.results else None
            for i, c in enumerate(cycles)]
    known = [c for c in cycles if c is not None]
    return {"sweep_cycles": cycles, "sweep_cycles_outside_work": rest,
            "sweep_deadline_misses": sum(c > budget for c in known),
            "max_sweep_cycles": max(known, default=0),
            "stack_intact": sim.stack_intact(),
            "simulator": throughput(turns, wall_s)}


def _report(outcome: Any, ref: Any, labels: np.ndarray, stats: Any, profile: Any,
            link_stats: Any, info: Any, step_names: list[str], names: list[str],
            gesture: Any, n: int, preprocess: Any) -> dict:
    from sdk.radar import gestures

    idx = np.array(sorted(outcome.results), dtype=np.int64)
    dev_cls = np.array([outcome.results[i].frame_class for i in idx], dtype=np.int64)
    dev_evt = np.array([outcome.results[i].event for i in idx], dtype=np.int64)
    classified = dev_cls != gestures.NONE
    labeled = labels[idx] >= 0 if len(idx) else np.zeros(0, bool)
    use = classified & labeled
    host_use = (ref.classes != gestures.NONE) & (labels >= 0)
    dev_events_full = np.full(n, gestures.NONE, dtype=np.int64)
    dev_events_full[idx] = dev_evt
    # A gesture's events may come up to one input's span after its last labeled sweep.
    slack = preprocess.first_input_sweep + 1
    score = gestures.score_events(dev_events_full, labels, gesture.background, slack)
    host_score = gestures.score_events(ref.events, labels, gesture.background, slack)
    complete = len(idx) == n
    return {
        "frames": int(classified.sum()),
        "sweeps": n,
        "results": len(idx),
        "accuracy": float(np.mean(dev_cls[use] == labels[idx][use])) if use.any() else None,
        "host_accuracy": (float(np.mean(ref.classes[host_use] == labels[host_use]))
                          if host_use.any() else None),
        "agreement": float(np.mean(dev_cls == ref.classes[idx])) if len(idx) else 0.0,
        "classes_equal": bool(complete and np.array_equal(dev_cls, ref.classes)),
        "events_equal": bool(complete and np.array_equal(dev_evt, ref.events)),
        "events": [{"sweep": int(i), "gesture": names[int(e)]}
                   for i, e in zip(idx, dev_evt) if e != gestures.NONE],
        "host_events": [{"sweep": int(i), "gesture": names[int(e)]}
                        for i, e in enumerate(ref.events) if e != gestures.NONE],
        "gestures": score.gestures, "detected": score.detected,
        "false_triggers": score.false_triggers,
        "host_detected": host_score.detected, "host_false_triggers": host_score.false_triggers,
        "latency_sweeps": (float(np.mean(score.latencies)) if score.latencies else None),
        "latency_s": (float(np.mean(score.latencies)) / preprocess.mean_sweep_rate_hz
                      if score.latencies else None),
        "sweep_rate_hz": preprocess.sweep_rate_hz, "frame_rate_hz": preprocess.frame_rate_hz,
        "refractory_s": gesture.refractory_s,
        "deadline_misses": int(stats.deadline_misses),
        "deadline_budget": int(info.deadline_budget),
        "max_work": int(max((r.work for r in outcome.results.values()), default=0)),
        "counter_unit": "instructions" if info.counter_unit == 0 else "cycles",
        "crc_errors": int(link_stats.crc_errors + stats.crc_errors),
        "framing_errors": int(link_stats.framing_errors + stats.cobs_errors
                              + stats.short_errors + stats.oversize_errors),
        "retries": int(link_stats.retries),
        "sequence_gaps": int(link_stats.sequence_gaps + stats.seq_gaps),
        "link": {"host": link_stats.__dict__, "device": stats.__dict__},
        "device_errors": outcome.errors,
        "profile": {"sweep": profile.sweep_index, "preprocess": profile.preprocess,
                    "inference": profile.inference,
                    "steps": [{"name": step_names[k] if k < len(step_names) else f"step{k}",
                               "count": c} for k, c in enumerate(profile.steps)]},
        "board": info.board, "model_hash": info.model_hash.hex(),
    }


def _figure_text(v: Any) -> str:
    return "n/a" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))


def print_stream_report(rep: dict, con: Any) -> None:
    """The human summary of :func:`run_stream`."""
    t = Table(title=f"gesture stream on {rep['board']} (model {rep['model_hash']})")
    t.add_column("figure")
    t.add_column("value", justify="right")
    for key in ("sweeps", "frames", "accuracy", "host_accuracy", "agreement", "classes_equal",
                "events_equal", "gestures", "detected", "false_triggers", "frame_rate_hz",
                "latency_s",
                "deadline_misses", "max_work", "deadline_budget", "crc_errors", "framing_errors",
                "sequence_gaps", "retries"):
        t.add_row(key, _figure_text(rep[key]))
    if "sweep_cycles" in rep:  # the MSP430 simulator: whole sweeps in MCLK cycles
        for key in ("max_sweep_cycles", "sweep_deadline_misses", "stack_intact"):
            t.add_row(key, _figure_text(rep[key]))
    con.print(t)
    if "simulator" in rep:
        sim = rep["simulator"]
        con.print(f"mspdebug: {sim['turns']} sweeps in {sim['wall_s']} s "
                  f"({sim['turns_per_s']} sweeps/s, {sim['mcycles_per_s']} M cycles/s)")
    con.print(profile_table(rep["profile"], rep["counter_unit"]))
    for err in rep["device_errors"]:
        con.print(f"[red]{err}[/]")


def profile_table(profile: dict, unit: str) -> Table:
    """Per-step counts and preprocessing of one sweep."""
    note = ("simulated MCLK cycles" if unit == "cycles" else
            "instructions; on the emulator every instruction counts 1, not Cortex-M7 cycles")
    t = Table(title=f"profile of sweep {profile['sweep']} ({note})")
    t.add_column("stage")
    t.add_column(unit, justify="right")
    t.add_row("preprocessing", f"{profile['preprocess']:,}")
    for s in profile["steps"]:
        t.add_row(f"  {s['name']}", f"{s['count']:,}")
    t.add_row("inference", f"{profile['inference']:,}")
    t.add_row("total", f"{profile['preprocess'] + profile['inference']:,}")
    return t


def capture(
    port: str = typer.Option(..., "--port", help="Serial port or URL (socket://HOST:PORT)."),
    label: str = typer.Option(..., "--label", help="Class of the recording (any name)."),
    session: str = typer.Option(None, "--session", help="Session name (one sitting: person, "
                                "room, sensor placement) for `data pack` [the folder's name]."),
    out: str = typer.Option(..., "--out", help="Recording to write (.h5).", callback=out_file),
    sweeps: int = typer.Option(72, "--sweeps", help="Sweeps to capture (18 per second).",
                               callback=positive_int),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for them.",
                                  callback=positive_float),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
) -> None:
    """Record sweeps from a device's own sensor into a labeled Acconeer-layout recording."""
    from host.gesture_stream import capture as do_capture
    from host.gesture_stream import capture_recording, hello
    from host.link import Link
    from sdk.radar.recording import save_recording

    if not label.strip():
        raise TinypruneError("--label: expected a class name")
    if session is not None and not session.strip():
        raise TinypruneError("--session: expected a session name")
    if sweeps < 1:
        raise TinypruneError(f"--sweeps must be at least 1, got {sweeps}")
    with Link(port) as link:
        info = hello(link)
        idx, iq = do_capture(link, sweeps, timeout)
    rec = capture_recording(idx, iq, info, label, session)
    save_recording(out, rec, overwrite=force)
    result = {"out": out, "sweeps": len(idx), "lost": sweeps - len(idx), "board": info.board}
    if json_out:
        emit_json(result)
    else:
        human(False).print(f"captured {len(idx)} sweeps ({sweeps - len(idx)} lost) from "
                           f"{info.board} as '{label}' into {out}")


def profile(
    model: str = typer.Argument(..., help="Model file (.tpm or .tflite)."),
    board: str = BOARD_OPT,
    data: str | None = typer.Option(None, "--data", help="Recording to stream "
                                       "[a simulated swipe].", callback=existing_file),
    chart: str = typer.Option("profile.png", "--chart", help="Bar chart to write (PNG).",
                              callback=out_file),
    out: str | None = typer.Option(None, "--out", help="Build folder.", callback=out_folder),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
) -> None:
    """Per-step instructions (or cycles) of the gesture firmware on BOARD, plus preprocessing,
    measured on a streamed sweep; writes a bar chart."""
    con = human(json_out)
    with ExitStack() as stack:
        if data is None:
            import tempfile

            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            data = str(simulated_recording(tmp / "swipe.h5"))
        rep = run_stream(model, board, data, fast=True, out=Path(out) if out else None)
    from host.plots import plot_profile

    plot_profile(rep["profile"], rep["counter_unit"], Path(chart))
    if json_out:
        emit_json({"profile": rep["profile"], "deadline_budget": rep["deadline_budget"],
                   "unit": rep["counter_unit"], "chart": chart})
        return
    con.print(profile_table(rep["profile"], rep["counter_unit"]))
    total = rep["profile"]["preprocess"] + rep["profile"]["inference"]
    if rep["deadline_budget"]:
        con.print(f"per sweep: {total:,} of a {rep['deadline_budget']:,} budget "
                  f"({100.0 * total / rep['deadline_budget']:.1f} %)")
    con.print(f"chart: {chart}")


def simulated_recording(path: Path, gesture: str = "swipe", seed: int = 0) -> Path:
    """A seeded simulated recording (24 sweeps) written to ``path``."""
    from sdk.radar.recording import save_recording
    from sdk.radar.simulator import SimConfig, as_recording, new_session, simulate

    cfg = SimConfig()
    rng = np.random.default_rng(seed)
    session = new_session(cfg, rng, 0)
    times, sw = simulate(gesture, session, cfg, rng)
    save_recording(path, as_recording(gesture, times, sw, cfg, session, 0), overwrite=True)
    return path
