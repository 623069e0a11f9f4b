"""Simulated against real sweeps: the statistics of :mod:`sdk.radar.radar_stats` side by side,
per configuration key present in both, with example frames (``tinyprune data compare``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdk.errors import DataFileError, UnsupportedError
from sdk.radar import calibrate as cal
from sdk.radar import radar_stats as rs
from sdk.radar.recording import Recording, load_recording
from sdk.radar.simulator import SimConfig

TARGET = 0.2  # the target: each statistic within 20 % of the real recordings


@dataclass
class Side:
    """One side of a comparison: pooled statistics, one block for the spectra, example frames."""

    stats: rs.RadarStats
    example: rs.SweepBlocks
    frames: np.ndarray
    recordings: int


@dataclass
class Comparison:
    """Both sides for one configuration key."""

    key: str
    simulated: Side
    real: Side

    def rows(self) -> list[tuple[str, float, float, float]]:
        """(statistic, simulated, real, relative gap) for every statistic; the gap is NaN where
        it is not measurable (no such depths, or a real value of 0)."""
        out = []
        for name in rs.STAT_NAMES:
            sim, real = getattr(self.simulated.stats, name), getattr(self.real.stats, name)
            ok = np.isfinite(sim) and np.isfinite(real) and real != 0
            out.append((name, sim, real, abs(sim - real) / abs(real) if ok else float("nan")))
        return out

    def notes(self) -> dict[str, str]:
        """Why a statistic is not measurable, per statistic (the real side's reason first)."""
        return {name: f"{side}: {stats.notes[name]}"
                for side, stats in (("simulated", self.simulated.stats), ("real", self.real.stats))
                for name in stats.notes}


def recordings_at(path: Path) -> list[Recording]:
    """Every recording a path holds: a dataset file's, a folder's (.h5 and .npz files, sorted),
    or the one recording of a file."""
    from sdk.radar.dataset import is_dataset_file, load_dataset

    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".h5", ".npz"))
        if not files:
            raise DataFileError(f"{path}: folder holds no recording (.h5, .npz)")
        return [load_recording(p) for p in files]
    if is_dataset_file(path):
        return load_dataset(path).recordings
    return [load_recording(path)]


def of_class(recordings: list[Recording], name: str | None, where: str) -> list[Recording]:
    """The recordings whose most frequent label is class ``name`` (all if None)."""
    if name is None:
        return recordings
    out = []
    for rec in recordings:
        labels = rec.labels[rec.labels >= 0] if rec.labels is not None else np.zeros(0, int)
        names = rec.label_names or []
        if labels.size and names and names[int(np.bincount(labels).argmax())] == name:
            out.append(rec)
    if not out:
        found = sorted({n for r in recordings for n in (r.label_names or [])})
        raise DataFileError(f"{where}: no recording of class '{name}' (classes: "
                            f"{', '.join(found) or 'none, it has no labels'})")
    return out


def _side(blocks: list[rs.SweepBlocks], recordings: int, examples: int) -> Side:
    stats = rs.pooled([rs.measure(b) for b in blocks])
    frames = [f for b in blocks[:50] for f in rs.block_frames(b)]
    frames = [f for f in frames if f.shape == frames[0].shape]  # recordings of other bursts
    picks = np.linspace(0, max(len(frames) - 1, 0), min(examples, len(frames))).astype(int)
    example = max(blocks, key=lambda b: b.bursts.size)
    return Side(stats, example, np.array([frames[i] for i in picks]), recordings)


def simulated_like(real: list[Recording], profiles: str, seed: int = 0,
                   scenes: int | None = None) -> list[rs.SweepBlocks]:
    """Simulated sweeps in the configuration and length of every real recording (its depths,
    sweep rate, bursts and number of sweeps): the empty scene of ``profiles``, ``default``
    (the original A111 model), ``builtin`` (the built-in calibrated profiles) or a sim.json
    path, whose profile of each configuration key it takes (:func:`sdk.radar.calibrate.profile_for`),
    in ``scenes`` rooms per recording [:func:`sdk.radar.calibrate.scenes_for`]: the calibration's
    own simulation (:func:`sdk.radar.calibrate.simulate_like`; its fitted statistics are those
    of seed 1 for `data calibrate --seed 0`)."""
    keys: dict[str, list[rs.SweepBlocks]] = {}
    for rec in real:
        for b in rs.sweep_blocks(rec):
            keys.setdefault(b.key, []).append(b)
    if profiles == "default":
        other = [k for k in keys if not k.startswith("a111/")]
        if other:
            raise UnsupportedError(f"--sim default for {other[0]}: not supported (the default "
                                   "profile is the A111 model; use builtin or a sim.json)")
        found = None
    elif profiles != "builtin" and not Path(profiles).is_file():
        raise DataFileError(f"--sim {profiles}: no such file (expected builtin, default or a "
                            "sim.json from `tinyprune data calibrate`)")
    else:
        found = cal.read_sim_json(cal.BUILTIN if profiles == "builtin" else Path(profiles))
    out = []
    for key, blocks in keys.items():
        cfg = SimConfig() if found is None else cal.profile_for(key, found, profiles)
        out += cal.simulate_like(cfg, blocks, seed, scenes)
    return out


def compare(simulated: list[Recording] | list[rs.SweepBlocks], real: list[Recording],
            examples: int = 3) -> list[Comparison]:
    """Comparisons for every key both sides have; none in common is one DataFileError line.
    The simulated side is recordings, or sweep blocks (:func:`simulated_like`), each counted as
    a recording."""
    def grouped(blocks: list[rs.SweepBlocks]) -> dict[str, list[rs.SweepBlocks]]:
        out: dict[str, list[rs.SweepBlocks]] = {}
        for b in blocks:
            out.setdefault(b.key, []).append(b)
        return out

    blocks = all(isinstance(r, rs.SweepBlocks) for r in simulated)
    sim = grouped([b for r in simulated for b in
                   ([r] if isinstance(r, rs.SweepBlocks) else rs.sweep_blocks(r))])
    ref = grouped([b for rec in real for b in rs.sweep_blocks(rec)])
    keys = [k for k in ref if k in sim]
    if not keys:
        raise DataFileError(f"no configuration in common: simulated {', '.join(sim)}; real "
                            f"{', '.join(ref)} (simulate the real one's, e.g. `tinyprune data "
                            "compare --sim builtin REAL...`)")
    return [Comparison(k, _side(sim[k], len(sim[k]) if blocks else len(simulated), examples),
                       _side(ref[k], len(real), examples)) for k in keys]
