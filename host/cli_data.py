"""``tinyprune data``: synthesize radar gesture datasets and look at recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from host.cli_checks import non_negative_int, out_file, positive_float, positive_int
from host.console import emit_json, human
from sdk.atomic import atomic_path, check_target
from sdk.errors import DataFileError
from sdk.radar.preprocess import PreprocessConfig

data_app = typer.Typer(help="Radar gesture data: simulate, inspect, plot.", no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print exactly one JSON object on stdout.")


@data_app.command()
def synth(
    out: Path = typer.Option(..., "--out", help="Dataset file to write (HDF5).", callback=out_file),
    per_class: int = typer.Option(100, "--per-class", help="Recordings per class.",
                                   callback=positive_int),
    seed: int = typer.Option(0, "--seed", help="Seed; the same seed gives the same file.",
                             callback=non_negative_int),
    sim: str = typer.Option("default", "--sim", help="Simulator profile: default (the original "
                            "model), a built-in calibrated one (a111/profile2), or a sim.json "
                            "from `tinyprune data calibrate` (FILE or FILE:KEY)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    json_out: bool = JSON_OPT,
) -> None:
    """Simulate radar recordings of swipe, press, pick and empty into a dataset file."""
    from sdk.radar.calibrate import load_sim
    from sdk.radar.dataset import synthesize
    from sdk.radar.simulator import CLASSES

    check_target(out, force)
    cfg = load_sim(sim)
    con = human(json_out)
    total = per_class * len(CLASSES)
    with Progress(TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=con, transient=json_out) as bar:
        task = bar.add_task("synth", total=total)
        count = synthesize(out, per_class, seed, sim=cfg, overwrite=force,
                           on_recording=lambda: bar.advance(task))
    summary = {"path": str(out), "recordings": count, "per_class": per_class, "seed": seed,
               "classes": list(CLASSES), "sweep_rate_hz": cfg.sweep_rate_hz, "sim": cfg.profile}
    if json_out:
        emit_json(summary)
    else:
        con.print(f"wrote {count} recordings ({per_class} per class, seed {seed}) to {out}")


FRESH_SESSION = 10_000  # a session id beyond any dataset's (5 recordings per class each)


@data_app.command("synth-stream")
def synth_stream_cmd(
    out: Path = typer.Option(..., "--out", help="Recording to write (Acconeer Record, HDF5).",
                              callback=out_file),
    seconds: float = typer.Option(36.0, "--seconds", help="Length of the recording.",
                                   callback=positive_float),
    dataset: Path = typer.Option(None, "--dataset", help="Take the seed, simulator settings and "
                                 "session from this dataset's test split (never trained on)."),
    seed: int = typer.Option(None, "--seed", help="Seed [the dataset's, else 0].",
                             callback=non_negative_int),
    session: int = typer.Option(None, "--session", help="Session (room, person) id [the "
                                "dataset's first test session, else 10000, a fresh one].",
                                callback=non_negative_int),
    index: int = typer.Option(0, "--index", help="Which recording of that session.",
                               callback=non_negative_int),
    sim: str = typer.Option(None, "--sim", help="Simulator profile, as for `data synth` "
                            "[default; with --dataset, the dataset's]."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    json_out: bool = JSON_OPT,
) -> None:
    """Simulate one continuous recording: gestures now and then (swipe, press, pick in random
    order), the hand entering and leaving, empty stretches between; labels per sweep."""
    from sdk.radar.calibrate import load_sim
    from sdk.radar.stream import dataset_stream_source, synth_stream

    check_target(out, force)
    if seconds <= 0:
        raise DataFileError(f"--seconds must be positive, got {seconds}")
    if sim is not None and dataset is not None:
        raise DataFileError("--sim and --dataset: give one (the dataset names its simulator)")
    cfg = load_sim(sim or "default")
    if dataset is not None:
        ds_seed, ds_session, cfg = dataset_stream_source(dataset)
        seed = ds_seed if seed is None else seed
        session = ds_session if session is None else session
    seed = 0 if seed is None else seed
    session = FRESH_SESSION if session is None else session
    rec = synth_stream(out, seed, session, seconds, index, cfg=cfg, overwrite=force)
    summary = {"path": str(out), "seconds": seconds, "sweeps": rec.n_updates, "seed": seed,
               "session": session, "index": index, "sim": cfg.profile,
               "gestures": [e["gesture"] for e in rec.meta["episodes"]],
               "episodes": rec.meta["episodes"],
               "labeled_sweeps": {name: int(np.count_nonzero(rec.labels == i))
                                  for i, name in enumerate(rec.label_names or [])}}
    if json_out:
        emit_json(summary)
    else:
        human(False).print(f"wrote {rec.n_updates} sweeps ({seconds:g} s, session {session}, "
                           f"seed {seed}) to {out}: {', '.join(summary['gestures']) or 'no gesture'}")


def _summary(path: Path) -> dict:
    from sdk.radar.dataset import load_dataset

    ds = load_dataset(path)
    recs = ds.recordings
    first = recs[0]
    modes = sorted({r.mode for r in recs})
    counts: dict[str, int] = {}
    for rec in recs:
        valid = rec.labels[rec.labels >= 0] if rec.labels is not None else None
        if valid is not None and len(valid) and ds.classes:
            name = ds.classes[int(np.bincount(valid).argmax())]
            counts[name] = counts.get(name, 0) + 1
    sessions = {r.meta.get("session") for r in recs if "session" in r.meta}
    return {
        "path": str(path),
        "kind": "dataset",
        "mode": modes[0] if len(modes) == 1 else modes,
        "shape": [len(recs), *first.data.shape],
        "dtype": str(first.data.dtype),
        "recordings": len(recs),
        "sessions": len(sessions),
        "updates": int(sum(r.n_updates for r in recs)),
        "sweep_rate_hz": round(first.sweep_rate_hz, 6),
        "update_rate_hz": round(first.update_rate_hz, 6),
        "range_m": [round(v, 6) for v in first.range_m],
        "depths": int(first.data.shape[-1]),
        "classes": ds.classes,
        "class_counts": counts,
        "preprocess": ds.preprocess.to_dict(),
        "frame_shape": list(ds.preprocess.frame_shape),
    }


SENSOR_OPT = typer.Option(None, "--sensor", help="Sensor id (Acconeer numbers them from 1) "
                          "[the first].", callback=positive_int)
SESSION_OPT = typer.Option(0, "--session", help="A121 session index.", callback=non_negative_int)
GROUP_OPT = typer.Option(0, "--group", help="A121 group index.", callback=non_negative_int)


@data_app.command()
def info(file: Path = typer.Argument(..., help="Dataset, or an Acconeer recording: A111 Record "
                                     "(.h5, .npz) or A121 record (.h5)."),
         sensor: int = SENSOR_OPT, session: int = SESSION_OPT, group: int = GROUP_OPT,
         json_out: bool = JSON_OPT) -> None:
    """Print what a dataset or recording holds: generation, mode, rates, depths, subsweeps,
    flags, and whether (and how) the gesture preprocessing can use it."""
    from sdk.radar.dataset import is_dataset_file
    from sdk.radar.describe import describe
    from sdk.radar.recording import load_recording

    seed_setup = ""
    if is_dataset_file(file):
        summary = _summary(file)
    else:
        from sdk.radar.pack import pack_readiness

        rec = load_recording(file, sensor=sensor, session=session, group=group)
        summary = describe(rec, rec.preprocess or PreprocessConfig(), sensor)
        summary["pack"] = pack_readiness(rec, sensor)
        seed_setup = "" if rec.preprocess else " (the seed's 30 x 20 frames at 18 Hz)"
    if json_out:
        emit_json(summary)
        return
    table = Table(title=f"{file}", show_header=False)
    for key, value in summary.items():
        if key not in ("path", "gesture", "pack"):
            table.add_row(key, str(value))
    con = human(False)
    con.print(table)
    for key, what in (("gesture", f"gesture preprocessing{seed_setup}"),
                      ("pack", "data pack (its own rate and depths, a frame per burst)")):
        ready = summary.get(key)
        if ready is not None:
            con.print(f"{what}: {ready['how']}" if ready["preprocessable"]
                      else f"{what}: not possible: {ready['why_not']}")


@data_app.command()
def show(
    file: Path = typer.Argument(..., help="Dataset or IQ recording (.h5)."),
    out: Path = typer.Option(..., "--out", help="PNG to write.", callback=out_file),
    per_class: int = typer.Option(4, "--per-class", help="Example frames per class.",
                                   callback=positive_int),
    force: bool = typer.Option(False, "--force", help="Replace an existing image."),
) -> None:
    """Draw example range-Doppler frames (what the network sees), a row per class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sdk.radar import preprocess as prep
    from sdk.radar.dataset import load_dataset, recording_frames

    check_target(out, force)
    ds = load_dataset(file)
    rows: dict[str, list[np.ndarray]] = {}
    for rec in ds.recordings:
        if rec.labels is None:
            name = rec.meta.get("gesture", Path(rec.source).parent.name or "recording")
            frames = prep.frames(rec.iq_sweeps(), ds.preprocess)
            picks = (np.linspace(0, len(frames) - 1, per_class).astype(int) if len(frames)
                     else np.zeros(0, dtype=int))
            rows.setdefault(name, []).extend(frames[i] for i in picks)
            continue
        frames, labels = recording_frames(rec, ds.preprocess)
        if len(frames):
            name = ds.classes[int(labels[len(labels) // 2])]
            if len(rows.setdefault(name, [])) < per_class:
                rows[name].append(frames[len(frames) // 2])
    if not rows or not any(rows.values()):
        raise DataFileError(f"{file}: no recording is long enough for one frame "
                            f"({ds.preprocess.window_sweeps} sweeps)")
    n = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), n, figsize=(1.6 * n + 1, 2.2 * len(rows)), squeeze=False)
    half = ds.preprocess.window_sweeps // 2
    for r, (name, row) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(row):
                image = ax.imshow(row[c], vmin=0, vmax=1, aspect="auto", origin="lower",
                                  extent=(-half - 0.5, half - 0.5, -0.5, ds.preprocess.depth_bins - 0.5))
            if c == 0:
                ax.set_ylabel(f"{name}\ndepth bin")
    fig.colorbar(image, ax=axes, shrink=0.6, label="scaled log amplitude")
    fig.suptitle(f"{file.name}: range-Doppler frames (columns: Doppler bin -{half}..{half - 1})")
    try:
        with atomic_path(out) as tmp:
            fig.savefig(tmp, dpi=100, format="png")
    finally:
        plt.close(fig)
    human(False).print(f"wrote {out} ({sum(len(v) for v in rows.values())} frames)")
