"""``tinyprune data calibrate`` and ``tinyprune data compare``: fit the radar simulator to real
recordings and compare simulated with real sweeps (sdk/radar/calibrate.py, radar_stats.py)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from host.cli_checks import non_negative_int, out_file
from host.cli_data import JSON_OPT
from host.console import emit_json, human
from sdk.atomic import check_target


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
