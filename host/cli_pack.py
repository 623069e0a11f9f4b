"""``tinyprune data pack``: turn one's own labeled recordings into a gesture dataset."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from host.cli_checks import existing_file, non_negative_int, out_file, positive_int
from host.cli_data import JSON_OPT
from host.console import emit_json, err_console, human
from sdk.atomic import check_target
from sdk.errors import DataFileError


def _class_names(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    names = tuple(n.strip() for n in value.split(","))
    if not all(names) or len(set(names)) != len(names):
        raise DataFileError(f"--classes {value!r}: expected distinct, non-empty names separated "
                            "by commas")
    return names


def _plot(dataset: Path, chart: Path) -> None:
    """Every packed recording's labels over time, from the file just written."""
    from host.plots import plot_labels
    from sdk.radar.dataset import load_dataset

    ds = load_dataset(dataset)
    rows = []
    for rec in ds.recordings:
        source = Path(str(rec.meta.get("source", rec.source)))
        if rec.labels is not None:
            rows.append((f"{source.parent.name}/{source.name}", rec.times_s, rec.labels))
    plot_labels(rows, ds.classes, chart, f"{dataset.name}: labels per sweep")


def pack_cmd(
    recordings: list[Path] = typer.Argument(..., help="Recordings (A111 .h5/.npz, A121 .h5, "
                                            "or what `tinyprune capture` wrote)."),
    out: Path = typer.Option(..., "--out", help="Dataset file to write (HDF5).", callback=out_file),
    label_pattern: str = typer.Option(None, "--label-pattern", help="Regular expression with a "
                                      "group (?P<label>...) (and optionally (?P<session>...)) "
                                      "found in each recording's path, e.g. "
                                      "'(?P<session>[^/]+)/(?P<label>[a-z]+)_\\d+'."),
    intervals: Path = typer.Option(None, "--intervals", help="CSV side file with lines "
                                   "file,start_s,end_s,label.", callback=existing_file),
    segment_against: Path = typer.Option(None, "--segment-against", help="Background recording "
                                         "(nobody there): label only the motion found against "
                                         "it, with the --label-pattern label.",
                                         callback=existing_file),
    classes: str = typer.Option(None, "--classes", help="Class names in order, comma-separated "
                                "[the labels found, sorted]."),
    background_class: str = typer.Option(None, "--background-class", help="Class of sweeps "
                                         "without a label [none: they are left out]."),
    test_session: list[str] = typer.Option([], "--test-session", help="A session for the test "
                                           "split (repeatable) [drawn with --seed]."),
    seed: int = typer.Option(0, "--seed", help="Seed of the session split.",
                             callback=non_negative_int),
    sensor: int = typer.Option(None, "--sensor", help="Sensor id [the first].",
                               callback=positive_int),
    window_sweeps: int = typer.Option(None, "--window-sweeps", help="Sweeps per frame (the "
                                      "Doppler axis) [an A121 recording's sweeps per frame, "
                                      "else 20].", callback=positive_int),
    hop: int = typer.Option(None, "--hop", help="Sweeps from one frame to the next [the window "
                            "for A121 bursts, else 1].", callback=positive_int),
    depth_bins: int = typer.Option(None, "--depth-bins", help="Depth rows of a frame [the "
                                   "recordings' depths, at most 30].", callback=positive_int),
    context_frames: int = typer.Option(1, "--context-frames", help="Frames one model input "
                                       "stacks (time context).", callback=positive_int),
    fixed_scaling: bool = typer.Option(False, "--fixed-scaling", help="Keep the seed's fixed "
                                       "amplitude scaling (10-70 dB) instead of calibrating it "
                                       "on the training split."),
    no_standardize: bool = typer.Option(False, "--no-standardize", help="Leave out the "
                                        "per-depth-row standardization (mean and standard "
                                        "deviation of the training split)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    json_out: bool = JSON_OPT,
) -> None:
    """Pack labeled recordings into a dataset `tinyprune train --data` reads (sessions never
    share a split) and draw every recording's labels over time in OUT.labels.png."""
    from sdk.radar.pack import PackOptions, pack
    from sdk.radar.preprocess import PreprocessConfig

    chart = out.with_suffix(".labels.png")
    check_target(out, force)
    check_target(chart, force)
    for path in recordings:
        if not path.is_file():
            raise DataFileError(f"{path}: no such file")
    if background_class is not None and not background_class.strip():
        raise DataFileError("--background-class: expected a class name")
    opts = PackOptions(classes=_class_names(classes), background=background_class,
                       label_pattern=label_pattern, intervals=intervals,
                       segment_background=segment_against, test_sessions=tuple(test_session),
                       seed=seed, sensor=sensor, window_sweeps=window_sweeps, hop=hop,
                       depth_bins=depth_bins, context_frames=context_frames,
                       calibrate=not fixed_scaling, standardize=not no_standardize)
    con = human(json_out)
    with Progress(TextColumn("pack"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=con, transient=json_out) as bar:
        task = bar.add_task("pack", total=len(recordings))
        result = pack(recordings, out, opts, on_recording=lambda: bar.advance(task))
    _plot(out, chart)
    if json_out:
        emit_json({**result.to_dict(), "chart": str(chart)})
        return
    con.print(f"wrote {result.recordings} recordings, classes {', '.join(result.classes)}, "
              f"{len(result.sessions)} sessions to {out}; labels drawn in {chart}")
    p = PreprocessConfig.from_dict(result.preprocess)
    con.print(f"preprocessing: {p.window_sweeps} sweeps per frame every {p.hop} at "
              f"{p.sweep_rate_hz:g} sweeps/s ({p.frame_rate_hz:.4g} frames/s), "
              f"{p.depth_bins} depth rows, {p.context_frames} frame(s) per input, "
              f"{p.floor_db:g}-{p.ceil_db:g} dB"
              + (", standardized per depth row" if p.standardized else ""))
    for name, counts in result.split_frames.items():
        con.print(f"  {name}: sessions {', '.join(result.split_sessions[name])}; frames "
                  + ", ".join(f"{c} {n}" for c, n in counts.items()))
    if result.segments:
        con.print(f"motion segments found: {sum(result.segments.values())} "
                  + f"({', '.join(f'{Path(p).name} {n}' for p, n in result.segments.items())})")
    for line in result.warnings:
        err_console.print(f"warning: {line}")
