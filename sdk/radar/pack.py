"""``tinyprune data pack``: one's own labeled recordings -> a gesture dataset file.

Each recording becomes a sweep stream (any Acconeer recording the gesture preprocessing can use,
:mod:`sdk.radar.describe`) with a class per sweep from one label source, in this order:

1. ``intervals``: a CSV side file ``file,start_s,end_s,label``;
2. ``label_pattern``: a regular expression whose group ``label`` is found in the file's path;
   with ``segment_background`` only the motion segments found against that background
   recording get the label;
3. the labels the recording carries (``tinyprune capture`` writes them).

Sweeps without a label get the ``background`` class, or none (they are left out of training).
A recording's session is the pattern's group ``session``, else the one its metadata names,
else its folder's name; sessions never share a split, ``test_sessions`` fixes the test split.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from sdk.atomic import atomic_path
from sdk.errors import DataFileError, TinypruneError
from sdk.radar import labeling
from sdk.radar.acconeer_a111 import write_record
from sdk.radar.dataset import DEFAULT_FRACTIONS, FORMAT_VERSION, missing_classes, split_sessions
from sdk.radar.describe import burst_aligned, gesture_readiness
from sdk.radar.preprocess import PreprocessConfig, calibrate_scaling, calibrate_standardization
from sdk.radar.recording import Recording, load_recording, open_h5


@dataclass(frozen=True)
class PackOptions:
    """How to label, split and write; see the module docstring."""

    classes: tuple[str, ...] = ()  # the class order; empty: sorted names found (+ background)
    background: str | None = None
    label_pattern: str | None = None
    intervals: Path | None = None
    segment_background: Path | None = None
    test_sessions: tuple[str, ...] = ()
    seed: int = 0
    sensor: int | None = None
    # The preprocessing, from the data unless given: the recordings' sweep rate; one frame per
    # A121 burst (window = hop = sweeps per frame) or 20-sweep windows every sweep; up to 30
    # depth rows; amplitude scaling and the per-depth-row standardization calibrated on the
    # training split (``calibrate``, ``standardize``).
    window_sweeps: int | None = None
    hop: int | None = None
    depth_bins: int | None = None
    context_frames: int = 1
    calibrate: bool = True
    standardize: bool = True
    preprocess: PreprocessConfig | None = None


@dataclass
class PackResult:
    """What was written, for the CLI's summary."""

    path: str
    recordings: int
    classes: list[str]
    sessions: dict[str, int]
    split_sessions: dict[str, list[str]]
    split_frames: dict[str, dict[str, int]]
    segments: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    preprocess: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dict(self.__dict__)


@dataclass
class _Item:
    path: Path
    rec: Recording
    sweeps: np.ndarray
    times: np.ndarray
    names: list[str | None]
    session: str


def _sweep_times(rec: Recording, n: int) -> np.ndarray:
    """Seconds of every sweep of :meth:`Recording.iq_sweeps` from the first."""
    per = rec.sweeps_per_update
    if per == 1:
        return rec.times_s.astype(np.float64)
    offsets = np.arange(per) / rec.sweep_rate_hz
    return (rec.times_s[:, None] + offsets[None, :]).reshape(-1)[:n]


def _names(path: Path, rec: Recording, sweeps: np.ndarray, times: np.ndarray, opts: PackOptions,
           intervals: list[labeling.Interval], background: np.ndarray | None,
           segments: dict[str, int]) -> list[str | None]:
    n = len(sweeps)
    if intervals:
        return labeling.interval_labels(times, path, intervals)
    if opts.label_pattern is not None:
        label = labeling.name_fields(path, opts.label_pattern)["label"]
        if background is None:
            return [label] * n
        found = labeling.motion_segments(sweeps, background)
        segments[str(path)] = len(found)
        return labeling.segment_labels(n, found, label)
    per_sweep = rec.sweep_labels()
    if per_sweep is None or not rec.label_names:
        raise DataFileError(f"{path}: carries no labels; give --label-pattern or --intervals")
    names = rec.label_names
    return [names[int(i)] if i >= 0 else None for i in per_sweep]


def _session(path: Path, rec: Recording, opts: PackOptions) -> str:
    if opts.label_pattern is not None:
        found = labeling.name_fields(path, opts.label_pattern).get("session")
        if found:
            return found
    if "session" in rec.meta:
        return str(rec.meta["session"])
    return path.parent.name or "."


def data_config(rec: Recording, opts: PackOptions) -> PreprocessConfig:
    """The preprocessing ``rec`` (the first recording) asks for, with ``opts``' overrides."""
    if opts.preprocess is not None:
        return opts.preprocess
    per = rec.sweeps_per_update if rec.a121 is not None else 1
    window = opts.window_sweeps or (per if per > 1 else 20)
    hop = opts.hop or (per if per > 1 and window == per else 1)
    depths = int(rec.data.shape[-1])
    bins = opts.depth_bins or min(30, depths)
    rate = rec.sweep_rate_hz if rec.sweep_rate_hz > 0 else PreprocessConfig.sweep_rate_hz
    # One frame per burst: the frames come at the record's frame (burst) rate, not rate / hop.
    bursts = per > 1 and window == hop == per and rec.update_rate_hz > 0
    try:
        return PreprocessConfig(window_sweeps=window, depth_bins=bins, sweep_rate_hz=float(rate),
                                hop=hop, context_frames=opts.context_frames,
                                burst_rate_hz=float(rec.update_rate_hz) if bursts else 0.0)
    except TinypruneError as exc:
        raise DataFileError(f"data pack: {exc}") from None


def pack_readiness(rec: Recording, sensor: int | None = None) -> dict[str, Any]:
    """Whether `data pack` (its defaults) can use ``rec``, how, and with which preprocessing
    (:func:`data_config`: the recording's own rate, one frame per A121 burst, its depths)."""
    try:
        config = data_config(rec, PackOptions(sensor=sensor))
    except DataFileError as exc:
        return {"preprocessable": False, "why_not": str(exc), "how": None, "preprocess": None}
    ready = gesture_readiness(rec, config, sensor)
    return {"preprocessable": ready["preprocessable"], "why_not": ready["why_not"],
            "how": ready["how"], "preprocess": config.to_dict()}


def _read(path: Path, opts: PackOptions, config: PreprocessConfig | None) -> Recording:
    rec = load_recording(path, sensor=opts.sensor)
    config = config or data_config(rec, opts)
    ready = gesture_readiness(rec, config, opts.sensor)
    if not ready["preprocessable"]:
        raise DataFileError(f"{path}: cannot be preprocessed for the gesture pipeline: "
                            f"{ready['why_not']}")
    if not rec.sweep_rate_hz > 0:
        raise DataFileError(f"{path}: no sweep rate in the recording; the preprocessing needs one")
    if not ready["matches_gesture_rate"]:
        raise DataFileError(f"{path}: {rec.sweep_rate_hz:.4g} sweeps/s, but the dataset's "
                            f"preprocessing (from {config.sweep_rate_hz:.4g} sweeps/s recordings) "
                            "needs one rate for all; pack each rate into its own dataset")
    return rec


def _class_list(items: list[_Item], opts: PackOptions) -> list[str]:
    found = sorted({n for item in items for n in item.names if n is not None})
    if opts.classes:
        classes = list(opts.classes)
        if opts.background is not None and opts.background not in classes:
            classes.append(opts.background)
        for item in items:
            unknown = sorted({n for n in item.names if n is not None} - set(classes))
            if unknown:
                raise DataFileError(f"{item.path}: label '{unknown[0]}' is not one of --classes "
                                    f"{', '.join(classes)}")
        return classes
    extra = [opts.background] if opts.background is not None and opts.background not in found else []
    return found + extra


def _recording_out(item: _Item, labels: np.ndarray, classes: list[str], session_id: int,
                   opts: PackOptions, config: PreprocessConfig) -> Recording:
    """The sweep stream as an A111 IQ Record with our labels."""
    rec = item.rec
    sensor_ids = rec.sensor_ids()
    sensor = sensor_ids[rec.sensor_index(opts.sensor)]
    depths = item.sweeps.shape[1]
    # A burst recording is packed as its sweeps with their (burst) times; the preprocessing
    # config's hop keeps every frame inside one burst.
    start, end = rec.range_m
    return Recording(
        mode="iq", data=item.sweeps.astype(np.complex64)[:, None, :],
        sample_times=item.times, data_info=[],
        sensor_config={"mode": "IQ", "sensor": [sensor], "range_interval": [start, end],
                       "update_rate": config.sweep_rate_hz},
        session_info={"range_start_m": start, "range_length_m": end - start, "data_length": depths,
                      "step_length_m": (end - start) / max(1, depths - 1)},
        labels=labels, label_names=classes, preprocess=config,
        meta={"source": str(item.path), "generation": rec.generation, "session": session_id,
              "session_name": item.session},
        extras={"note": f"packed by tinyprune from {item.path.name}"})


def pack(paths: Sequence[Path], out: Path, opts: PackOptions,
         on_recording: Callable[[], None] | None = None) -> PackResult:
    """Label, check and write ``paths`` as one dataset file (nothing is written on an error)."""
    if not paths:
        raise DataFileError("data pack: no recording given")
    intervals = labeling.read_intervals(opts.intervals) if opts.intervals is not None else []
    background = None
    config = opts.preprocess
    if opts.segment_background is not None:
        if opts.label_pattern is None:
            raise DataFileError("--segment-against needs --label-pattern (the label of the "
                                "motion it finds)")
        bg_rec = _read(opts.segment_background, opts, config)
        config = config or data_config(bg_rec, opts)
        background = bg_rec.iq_sweeps(opts.sensor, burst_aligned(bg_rec, config))
    segments: dict[str, int] = {}
    items = []
    for path in paths:
        rec = _read(path, opts, config)
        config = config or data_config(rec, opts)
        sweeps = rec.iq_sweeps(opts.sensor, burst_aligned(rec, config))
        times = _sweep_times(rec, len(sweeps))
        names = _names(path, rec, sweeps, times, opts, intervals, background, segments)
        items.append(_Item(path, rec, sweeps, times, names, _session(path, rec, opts)))
        if on_recording is not None:
            on_recording()
    classes = _class_list(items, opts)
    if not classes:
        raise DataFileError("data pack: no sweep of any recording has a label")
    session_names = sorted({item.session for item in items})
    session_ids = {name: i for i, name in enumerate(session_names)}
    unknown = [s for s in opts.test_sessions if s not in session_ids]
    if unknown:
        raise DataFileError(f"--test-session {unknown[0]}: no such session (have "
                            f"{', '.join(session_names)})")
    assert config is not None  # set from the first recording
    bg_index = classes.index(opts.background) if opts.background is not None else -1
    all_labels, frame_labels, frame_sessions = [], [], []
    for item in items:
        labels = np.array([classes.index(n) if n is not None else bg_index for n in item.names],
                          dtype=np.int64)
        sid = session_ids[item.session]
        all_labels.append(labels)
        y = labels[config.input_sweeps(len(labels))]
        frame_labels.append(y[y >= 0])
        frame_sessions.append(np.full(int(np.count_nonzero(y >= 0)), sid))
    y_all, s_all = np.concatenate(frame_labels), np.concatenate(frame_sessions)
    test_ids = [session_ids[s] for s in opts.test_sessions]
    parts = split_sessions(s_all, DEFAULT_FRACTIONS, opts.seed, test=test_ids)
    empty = [name for name, ids in parts.items() if not np.isin(s_all, ids).any()]
    if empty:
        raise DataFileError(f"data pack: {len(session_names)} session(s) "
                            f"({', '.join(session_names)}) cannot fill train/val/test "
                            f"({', '.join(empty)} would have no frame); record at least 3 "
                            "sessions (a session: one sitting, person and sensor placement)")
    lacking = missing_classes(parts, s_all, y_all, classes)
    if "train" in lacking:
        raise DataFileError(f"data pack: the training split has no frame of class "
                            f"{', '.join(lacking['train'])}; record it in more sessions or "
                            "choose other --test-session")
    if opts.preprocess is None and (opts.calibrate or opts.standardize):
        train_ids = {int(i) for i in parts["train"]}
        train_sweeps = [item.sweeps for item in items if session_ids[item.session] in train_ids]
        if opts.calibrate:
            config = calibrate_scaling(train_sweeps, config)
        if opts.standardize:
            config = calibrate_standardization(train_sweeps, config)
    outs = [_recording_out(item, labels, classes, session_ids[item.session], opts, config)
            for item, labels in zip(items, all_labels)]
    warnings = [f"the {name} split has no frame of class {', '.join(names)}"
                for name, names in lacking.items()]
    warnings += [f"{item.path}: no sweep has a label" + (" (not named in --intervals)"
                                                         if intervals else "")
                 for item in items if all(n is None for n in item.names)]
    header = {"format": FORMAT_VERSION, "classes": classes, "seed": opts.seed, "packed": True,
              "preprocess": config.to_dict(), "background": opts.background,
              "sessions": session_names, "test_sessions": test_ids}
    with atomic_path(out) as tmp, open_h5(tmp, "w") as h5:
        h5.create_dataset("tinyprune_dataset", data=json.dumps(header),
                          dtype=h5py.string_dtype("utf-8"))
        group = h5.create_group("recordings")
        for i, rec in enumerate(outs):
            write_record(group.create_group(f"{i:05d}"), rec)
    split_frames = {name: {c: int(np.count_nonzero((y_all == k) & np.isin(s_all, ids)))
                           for k, c in enumerate(classes)} for name, ids in parts.items()}
    return PackResult(str(out), len(outs), classes, session_ids,
                      {name: [session_names[i] for i in ids] for name, ids in parts.items()},
                      split_frames, segments, warnings, config.to_dict())
