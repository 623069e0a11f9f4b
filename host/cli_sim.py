"""``tinyprune data calibrate`` and ``tinyprune data compare``: fit the radar simulator to real
recordings and compare simulated with real sweeps (sdk/radar/calibrate.py, radar_stats.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from host.cli_checks import existing_file, non_negative_int, out_file, positive_float, positive_int
from host.cli_data import JSON_OPT
from host.console import emit_json, human
from sdk.atomic import check_target
from sdk.errors import DataFileError

if TYPE_CHECKING:
    from sdk.radar.sim_a121 import A121Subsweep


def calibrate_cmd(
    recordings: list[Path] = typer.Argument(..., help="Real recordings: A111 IQ (.h5/.npz) or "
                                            "A121 (.h5), of one or more sensor configurations."),
    out: Path = typer.Option(..., "--out", help="sim.json to write.", callback=out_file),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulations the fit compares.",
                             callback=non_negative_int),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    json_out: bool = JSON_OPT,
) -> None:
    """Fit the simulator's sensor parameters (noise level and colour, correlation along depth,
    static scene, leakage) to recordings, one profile per generation, profile and settings;
    `tinyprune data synth --sim sim.json` then simulates that sensor."""
    from sdk.radar.calibrate import calibrate, group_blocks, write_sim_json
    from sdk.radar.recording import load_recording

    check_target(out, force)
    recs = [load_recording(p) for p in recordings]
    keys = len(group_blocks(recs))
    con = human(json_out)
    with Progress(TextColumn("calibrate"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=con, transient=json_out) as bar:
        task = bar.add_task("calibrate", total=keys)
        doc = calibrate(recs, seed, on_key=lambda _key: bar.advance(task))
    write_sim_json(out, doc)
    if json_out:
        emit_json({"path": str(out), **doc})
        return
    for key, profile in doc["profiles"].items():
        worst = _worst(profile["target"], profile["fitted"])
        con.print(f"{key}: noise {profile['sim']['noise_std']:.4g}, largest statistic gap "
                  f"{worst}")
    con.print(f"wrote {len(doc['profiles'])} profiles to {out}")


def _worst(target: dict, fitted: dict) -> str:
    gaps = {k: abs(fitted[k] - t) / abs(t) for k, t in target.items()
            if t and fitted.get(k) is not None}
    if not gaps:
        return "none measurable"
    name = max(gaps, key=lambda k: gaps[k])
    return f"{100 * gaps[name]:.0f} % ({name})"


def _subsweep(text: str) -> A121Subsweep:
    from sdk.radar.sim_a121 import A121Subsweep

    parts = text.split(",")
    try:
        ints = [int(p) for i, p in enumerate(parts) if i != 3]
    except ValueError:
        ints = []
    if len(parts) not in (4, 6) or len(ints) != len(parts) - 1 or \
            parts[3].upper() not in {f"PROFILE_{n}" for n in range(1, 6)}:
        raise DataFileError(f"--subsweep {text!r}: expected START,POINTS,STEP,PROFILE_N"
                            "[,HWAAS,GAIN], e.g. 20,70,3,PROFILE_1,40,0")
    start, points, step = ints[:3]
    hwaas, gain = ints[3:] if len(ints) == 5 else (40, 0)
    return A121Subsweep(start, points, step, parts[3].upper(), hwaas, gain)


def synth_a121_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to create, one A121 record (.h5) per "
                             "recording, named GESTURE_SESSION_INDEX.h5."),
    per_class: int = typer.Option(1, "--per-class", help="Recordings per gesture.",
                                   callback=positive_int),
    gestures: str = typer.Option("all", "--gestures", help="Comma-separated gestures [all: "
                                 "swipe, press, pick, empty, tap_in, tap_out, double_tap, wiggle]."),
    sweeps_per_frame: int = typer.Option(32, "--sweeps-per-frame", callback=positive_int),
    sweep_rate: float = typer.Option(1000.0, "--sweep-rate", help="Sweeps per second in a frame.",
                                     callback=positive_float),
    frame_rate: float = typer.Option(20.0, "--frame-rate", help="Frames per second.",
                                     callback=positive_float),
    continuous: bool = typer.Option(False, "--continuous", help="Continuous sweep mode (no "
                                    "pause between frames; --frame-rate is ignored)."),
    subsweep: list[str] = typer.Option([], "--subsweep", help="START,POINTS,STEP,PROFILE_N"
                                       "[,HWAAS,GAIN], repeatable [20,70,3,PROFILE_1,40,0: "
                                       "0.05-0.57 m]."),
    frames: int = typer.Option(40, "--frames", help="Frames per recording.", callback=positive_int),
    like: Path = typer.Option(None, "--like", help="Take the configuration (sweeps per frame, "
                              "rates, subsweeps, frames) from this A121 record; the options "
                              "above are then ignored.", callback=existing_file),
    sim: Path = typer.Option(None, "--sim", help="sim.json with a121 profiles [the built-in "
                             "ones, fitted to the shared A121 recordings].", callback=existing_file),
    seed: int = typer.Option(0, "--seed", callback=non_negative_int),
    force: bool = typer.Option(False, "--force", help="Replace an existing folder."),
    json_out: bool = JSON_OPT,
) -> None:
    """Simulate A121 gesture recordings: bursts of sweeps per frame, subsweeps, profiles;
    written as A121 records (labels per frame) that Acconeer's loader opens."""
    import shutil
    import tempfile

    from sdk.radar.recording import load_recording, save_recording
    from sdk.radar.sim_a121 import (
        A121_CLASSES,
        A121SimConfig,
        a121_gesture_recording,
        config_like,
        scene_configs,
    )

    names = list(A121_CLASSES) if gestures == "all" else [g.strip() for g in gestures.split(",")]
    unknown = [g for g in names if g not in A121_CLASSES]
    if unknown or not names:
        raise DataFileError(f"--gestures {gestures!r}: unknown gesture '{unknown[0] if unknown else ''}' "
                            f"(expected all or names from {', '.join(A121_CLASSES)})")
    subs = tuple(_subsweep(s) for s in subsweep)
    cfg = A121SimConfig(sweeps_per_frame=sweeps_per_frame, sweep_rate_hz=sweep_rate,
                        frame_rate_hz=frame_rate, continuous_sweep_mode=continuous,
                        subsweeps=subs or A121SimConfig().subsweeps, frames=frames)
    if like is not None:
        cfg = config_like(load_recording(like))
    scene_configs(cfg, sim)  # a bad sim.json fails before anything is written
    if out.exists() and not (force and out.is_dir()):
        raise DataFileError(f"--out {out}: exists" + ("" if out.is_dir() else " and is not a folder")
                            + (" (pass --force to replace it)" if out.is_dir() else ""))
    if not out.parent.is_dir():
        raise DataFileError(f"--out {out}: folder {out.parent} does not exist")
    con = human(json_out)
    written = []
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with Progress(TextColumn("synth-a121"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=con, transient=json_out) as bar:
            task = bar.add_task("synth-a121", total=per_class * len(names))
            for index in range(per_class):
                session = index // 5  # five recordings per session, as data synth
                for gesture in names:
                    rec = a121_gesture_recording(gesture, cfg, seed, session, index, sim)
                    save_recording(tmp / f"{gesture}_{session}_{index}.h5", rec)
                    written.append(f"{gesture}_{session}_{index}.h5")
                    bar.advance(task)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = {"path": str(out), "recordings": len(written), "gestures": names,
               "sweeps_per_frame": sweeps_per_frame, "sweep_rate_hz": sweep_rate,
               "frame_rate_hz": None if continuous else frame_rate,
               "subsweeps": [s.key for s in cfg.subsweeps], "seed": seed}
    if json_out:
        emit_json(summary)
    else:
        con.print(f"wrote {len(written)} A121 records to {out}")


def compare_cmd(
    paths: list[Path] = typer.Argument(..., metavar="[SIMULATED] REAL...", help="SIMULATED: a "
                                       "dataset (data synth), a recording, or a folder of "
                                       "recordings (data synth-a121); not with --sim. REAL: "
                                       "recordings (A111 IQ .h5/.npz, A121 .h5) or folders of "
                                       "them, pooled per configuration."),
    sim: str = typer.Option(None, "--sim", help="Instead of SIMULATED, simulate every real "
                            "recording's configuration and length (depths, rates, bursts, "
                            "sweeps): empty scenes of builtin (the built-in calibrated "
                            "profiles), a sim.json from `data calibrate`, or default (A111), "
                            "the profile of each configuration key."),
    scenes: int = typer.Option(None, "--scenes", help="With --sim: rooms simulated per real "
                               "recording [enough for about 240 independent depths, as the "
                               "calibration].", callback=positive_int),
    seed: int = typer.Option(None, "--seed", help="With --sim: seed [0].",
                             callback=non_negative_int),
    gesture: str = typer.Option(None, "--class", help="Only the simulated recordings of this "
                                "class (mostly), e.g. empty: a scene without a hand, like most "
                                "real recordings."),
    plot: Path = typer.Option(None, "--plot", help="PNG to write [SIMULATED's name + "
                              "_vs_real.png beside it; with --sim, PROFILES's name + "
                              "_vs_real.png here]."),
    force: bool = typer.Option(False, "--force", help="Replace an existing plot."),
    json_out: bool = JSON_OPT,
) -> None:
    """Print the radar statistics of simulated and real sweeps side by side (per sensor
    configuration both hold) and plot them with example frames."""
    from rich.table import Table

    from host.plots import plot_radar_compare
    from sdk.radar.compare import TARGET, compare, of_class, recordings_at, simulated_like

    if sim is None and (scenes is not None or seed is not None):
        raise DataFileError("--scenes and --seed go with --sim (SIMULATED is already simulated)")
    if sim is None and len(paths) < 2:
        raise DataFileError("expected SIMULATED and at least one REAL (or --sim PROFILES REAL...)")
    if sim is not None and gesture is not None:
        raise DataFileError("--class picks SIMULATED's recordings; --sim simulates empty scenes")
    simulated, real = (None, paths) if sim is not None else (paths[0], paths[1:])
    label = simulated.name if simulated is not None else f"--sim {sim}"
    where = simulated or Path(f"{Path(sim).stem}.png")
    plot = plot or where.with_name(f"{where.stem}_vs_real.png")
    check_target(plot, force, what="--plot")
    reals = [rec for path in real for rec in recordings_at(path)]
    sims = of_class(recordings_at(simulated), gesture, str(simulated)) if simulated is not None \
        else simulated_like(reals, sim, seed or 0, scenes)
    comparisons = compare(sims, reals)
    names = ", ".join(p.name if p.name != "input.h5" else p.parent.name for p in real)
    plot_radar_compare(comparisons, plot, f"{label}{f' ({gesture})' if gesture else ''}"
                       f" simulated vs {names} real")
    if json_out:
        emit_json({"plot": str(plot), "target": TARGET, "keys": {
            c.key: {name: {"simulated": s, "real": r, "gap": g,
                           **({"note": c.notes()[name]} if name in c.notes() else {})}
                    for name, s, r, g in c.rows()}
            for c in comparisons}})
        return
    con = human(False)
    for c in comparisons:
        table = Table(title=f"{c.key}: {c.simulated.recordings} simulated, {c.real.recordings} "
                            "real recordings")
        for column in ("statistic", "simulated", "real", "gap"):
            table.add_column(column, justify="left" if column == "statistic" else "right")
        notes = c.notes()
        for name, s, r, g in c.rows():
            gap = ("not measurable" if name in notes else "-") if g != g else \
                f"{100 * g:.0f} %" + (" *" if g > TARGET else "")
            table.add_row(name, f"{s:.4g}", f"{r:.4g}", gap)
        con.print(table)
        for name, why in notes.items():
            con.print(f"  {name}, {why}")
    con.print(f"* more than {100 * TARGET:.0f} % apart; plot: {plot}")
