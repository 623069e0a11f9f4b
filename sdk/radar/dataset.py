"""Gesture datasets: many recordings in one HDF5 file, session-wise splits, preprocessed frames.

File layout: a root key ``tinyprune_dataset`` (JSON: format, classes, seed, simulator and
preprocessing configs) and a group ``recordings/`` whose members each follow the Acconeer Record
layout with our label keys (:mod:`sdk.radar.recording`).  A plain Record file also loads, as a
dataset of one recording.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from sdk.atomic import atomic_path
from sdk.errors import DataFileError
from sdk.radar import preprocess as prep
from sdk.radar.acconeer_a111 import read_record, write_record
from sdk.radar.recording import Recording, load_recording, open_h5, reading_h5
from sdk.radar.simulator import CLASSES, SimConfig, as_recording, new_session, simulate
from sdk.untrusted_h5 import isolated

FORMAT_VERSION = 1
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)


class DataWarning(UserWarning):
    """A dataset that loads but will train or test poorly (a split without some class)."""


@dataclass
class Dataset:
    """Recordings plus what the file says about them."""

    recordings: list[Recording]
    classes: list[str]
    preprocess: prep.PreprocessConfig
    info: dict[str, Any]
    path: str


@dataclass
class Split:
    """Model inputs (N, rows, window) float32, integer labels and their session ids."""

    x: np.ndarray
    y: np.ndarray
    sessions: np.ndarray


@dataclass
class Splits:
    """Train / validation / test frames that never share a recording session."""

    train: Split
    val: Split
    test: Split
    classes: list[str]
    preprocess: prep.PreprocessConfig
    background: str | None = None  # the class `data pack` gave unlabeled sweeps


def synthesize(path: str | Path, per_class: int, seed: int, sim: SimConfig = SimConfig(),
               preprocess: prep.PreprocessConfig = prep.PreprocessConfig(), overwrite: bool = False,
               on_recording: Callable[[], None] | None = None) -> int:
    """Simulate ``per_class`` recordings of every class into a dataset file; returns the count.

    Recordings come in sessions of ``sim.recordings_per_session`` per class.  Each session draws
    from its own generator seeded by (seed, session), so a file depends only on its arguments.
    """
    path = Path(path)
    if per_class < 1:
        raise DataFileError(f"{path}: --per-class must be at least 1, got {per_class}")
    if path.exists() and not overwrite:
        raise DataFileError(f"{path}: exists (pass --force to replace it)")
    header = {"format": FORMAT_VERSION, "classes": list(CLASSES), "seed": seed, "per_class": per_class,
              "simulator": sim.to_dict(), "preprocess": preprocess.to_dict()}
    count = 0
    with atomic_path(path) as partial, open_h5(partial, "w") as h5:
        h5.create_dataset("tinyprune_dataset", data=json.dumps(header), dtype=h5py.string_dtype("utf-8"))
        group = h5.create_group("recordings")
        per_session = max(1, sim.recordings_per_session)
        for session_id in range(-(-per_class // per_session)):
            rng = np.random.default_rng([seed, session_id])
            session = new_session(sim, rng, session_id)
            n_here = min(per_session, per_class - session_id * per_session)
            for _ in range(n_here):
                for gesture in CLASSES:
                    times, sweeps = simulate(gesture, session, sim, rng)
                    rec = as_recording(gesture, times, sweeps, sim, session, count)
                    rec.preprocess = preprocess
                    write_record(group.create_group(f"{count:05d}"), rec)
                    count += 1
                    if on_recording is not None:
                        on_recording()
    return count


def copy_sessions(src: str | Path, dst: str | Path, sessions: np.ndarray,
                  overwrite: bool = False, limit: int | None = None) -> int:
    """Copy the recordings of ``sessions`` (the first ``limit`` of them, if given) from dataset
    ``src`` into a new dataset ``dst`` with the same header; returns how many. Used to stream
    a test split through a device."""
    dst = Path(dst)
    if dst.exists() and not overwrite:
        raise DataFileError(f"{dst}: exists (pass --force to replace it)")
    wanted = {int(s) for s in np.asarray(sessions).ravel()}
    ds = load_dataset(src)
    count = 0
    with open_h5(src) as h5_in, atomic_path(dst) as tmp, open_h5(tmp, "w") as h5_out:
        h5_out.create_dataset("tinyprune_dataset", data=json.dumps(ds.info),
                              dtype=h5py.string_dtype("utf-8"))
        group = h5_out.create_group("recordings")
        for index, (name, rec) in enumerate(zip(sorted(h5_in["recordings"]), ds.recordings)):
            if limit is not None and count >= limit:
                break
            if int(rec.meta.get("session", index)) in wanted:
                h5_in.copy(h5_in["recordings"][name], group, name=name)
                count += 1
    return count


@isolated
def is_dataset_file(path: str | Path) -> bool:
    """Whether ``path`` is a dataset of many recordings (else it should be one recording)."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        return False
    with reading_h5(path) as h5:
        return "tinyprune_dataset" in h5


@isolated
def load_dataset(path: str | Path) -> Dataset:
    """Read a dataset file, or a single Record file as a one-recording dataset."""
    path = Path(path)
    if not is_dataset_file(path):
        rec = load_recording(path)
        names = rec.label_names or []
        return Dataset([rec], names, rec.preprocess or prep.PreprocessConfig(), {}, str(path))
    with reading_h5(path) as h5:
        try:
            header = json.loads(h5["tinyprune_dataset"][()])
            if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
                raise DataFileError(f"{path}: key 'tinyprune_dataset' is not format {FORMAT_VERSION}")
            for key in ("classes", "preprocess"):
                if key not in header:
                    raise DataFileError(f"{path}: key 'tinyprune_dataset' lacks '{key}'")
            if "recordings" not in h5:
                raise DataFileError(f"{path}: missing key 'recordings'")
            group = h5["recordings"]
            if not isinstance(group, h5py.Group) or not len(group):
                raise DataFileError(f"{path}: key 'recordings' holds no recording; expected at "
                                    "least one")
            recs = [read_record(group[name], f"{path}:recordings/{name}") for name in sorted(group)]
            classes = header["classes"]
            if not isinstance(classes, list) or not classes or \
                    not all(isinstance(c, str) for c in classes):
                raise DataFileError(f"{path}: tinyprune_dataset.classes is {classes!r}; expected "
                                    "a list of class names")
            for rec in recs:
                if rec.labels is not None and len(rec.labels) and \
                        (rec.labels.min() < -1 or rec.labels.max() >= len(classes)):
                    raise DataFileError(f"{rec.source}: key 'tinyprune_labels' holds a class index "
                                        f"outside -1..{len(classes) - 1}")
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{path}: key 'tinyprune_dataset' is not valid JSON ({exc.msg})") from None
    config = prep.PreprocessConfig.from_dict(header["preprocess"], f"{path}: tinyprune_dataset.preprocess")
    return Dataset(recs, list(header["classes"]), config, header, str(path))


def input_labels(rec: Recording, config: prep.PreprocessConfig) -> np.ndarray:
    """The label of every model input of one recording (that of its newest sweep; -1 for none),
    one per :meth:`sdk.radar.preprocess.PreprocessConfig.input_sweeps` index. A recording at
    another sweep rate than ``config`` is refused."""
    labels = rec.sweep_labels()
    if labels is None:
        raise DataFileError(f"{rec.source}: no 'tinyprune_labels' key, so its frames have no labels")
    config.check_rate(rec.sweep_rate_hz, rec.source, "the dataset's preprocessing")
    return labels[config.input_sweeps(len(labels))]


def recording_frames(rec: Recording, config: prep.PreprocessConfig) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs of one recording (:func:`sdk.radar.preprocess.model_inputs`) and their
    labels (:func:`input_labels`); inputs whose newest sweep has no class (label -1) are left
    out."""
    y = input_labels(rec, config)
    keep = y >= 0
    return prep.model_inputs(rec.iq_sweeps(), config)[keep], y[keep]


def split_sessions(sessions: np.ndarray, fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
                   seed: int = 0, test: list[int] | None = None) -> dict[str, np.ndarray]:
    """Assign whole sessions to train / val / test; every split gets one if there are three.
    ``test`` (session ids) fixes the test split; the others are then drawn from the rest."""
    unique = np.unique(sessions)
    if test:
        fixed = np.array(sorted(set(test)), dtype=unique.dtype)
        rest = np.random.default_rng(seed).permutation(np.setdiff1d(unique, fixed))
        n_val = max(1, round(fractions[1] * len(unique))) if len(rest) >= 2 else 0
        return {"train": np.sort(rest[: len(rest) - n_val]), "val": np.sort(rest[len(rest) - n_val:]),
                "test": fixed}
    order = np.random.default_rng(seed).permutation(unique)
    n = len(order)
    n_test = max(1, round(fractions[2] * n)) if n >= 3 else 0
    n_val = max(1, round(fractions[1] * n)) if n >= 3 else 0
    return {"train": np.sort(order[: n - n_val - n_test]),
            "val": np.sort(order[n - n_val - n_test: n - n_test]),
            "test": np.sort(order[n - n_test:])}


def missing_classes(parts: dict[str, np.ndarray], sessions: np.ndarray, labels: np.ndarray,
                    classes: list[str]) -> dict[str, list[str]]:
    """For each split, the classes none of its frames has (empty lists are left out)."""
    out = {}
    for name, ids in parts.items():
        present = set(np.unique(labels[np.isin(sessions, ids)]).tolist())
        lacking = [c for i, c in enumerate(classes) if i not in present]
        if lacking:
            out[name] = lacking
    return out


def recording_sessions(ds: Dataset) -> np.ndarray:
    """The session id of every recording of ``ds`` (its metadata's, else its index)."""
    return np.array([int(rec.meta.get("session", i)) for i, rec in enumerate(ds.recordings)],
                    dtype=np.int64)


def dataset_parts(ds: Dataset, labels: list[np.ndarray],
                  fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
                  seed: int | None = None) -> dict[str, np.ndarray]:
    """The session ids of each split (:func:`split_sessions`) of ``ds`` whose recordings' inputs
    have ``labels`` (:func:`input_labels`): sessions without a labeled input take no part, the
    dataset's ``test_sessions`` stay the test split and ``seed`` (default: the dataset's own)
    draws the rest."""
    sessions = recording_sessions(ds)
    s = np.concatenate([np.full(int(np.count_nonzero(y >= 0)), sid)
                        for y, sid in zip(labels, sessions)])
    return split_sessions(s, fractions, ds.info.get("seed", 0) if seed is None else seed,
                          test=ds.info.get("test_sessions"))


def training_preprocess(ds: Dataset, train_sessions: np.ndarray,
                        standardize: bool | None = None) -> prep.PreprocessConfig:
    """The dataset's preprocessing with per-depth-row standardization (step 6) turned on
    (calibrated on the recordings of ``train_sessions`` only, as `data pack` does) or off;
    ``None`` keeps the dataset's own."""
    config = ds.preprocess
    if standardize is None or standardize == config.standardized:
        return config
    if not standardize:
        return replace(config, row_mean=(), row_std=())
    train = set(np.asarray(train_sessions).tolist())
    sweeps = [rec.iq_sweeps() for rec, sid in zip(ds.recordings, recording_sessions(ds))
              if int(sid) in train]
    return prep.calibrate_standardization(sweeps, config)


def load_splits(path: str | Path, fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
                seed: int | None = None, standardize: bool | None = None) -> Splits:
    """Preprocessed train / val / test frames of a dataset file, split by recording session.

    ``seed`` (default: the dataset's own) chooses which sessions go where. ``standardize``
    turns step 6 on (calibrated on the training split) or off (:func:`training_preprocess`);
    :attr:`Splits.preprocess` is the configuration the frames were made with.
    """
    ds = load_dataset(path)
    labels = [input_labels(rec, ds.preprocess) for rec in ds.recordings]
    kept = [y[y >= 0] for y in labels]
    if not sum(len(y) for y in kept):
        raise DataFileError(f"{path}: no recording is long enough for one labeled frame "
                            f"({ds.preprocess.first_input_sweep + 1} sweeps)")
    y = np.concatenate(kept)
    s = np.concatenate([np.full(len(k), sid) for k, sid in zip(kept, recording_sessions(ds))])
    parts = dataset_parts(ds, labels, fractions, seed)
    pick = {name: np.isin(s, ids) for name, ids in parts.items()}
    empty = [name for name, mask in pick.items() if not mask.any()]
    if empty:
        advice = ("synthesize more recordings per class" if "simulator" in ds.info else
                  "record more sessions (a session is one sitting: one person, room and sensor "
                  "placement) and pack them with `tinyprune data pack`")
        raise DataFileError(f"{path}: {len(np.unique(s))} recording sessions are too few to "
                            f"split into train/val/test ({', '.join(empty)} would be empty); "
                            f"{advice}")
    lacking = missing_classes(parts, s, y, ds.classes)
    if "train" in lacking:
        raise DataFileError(f"{path}: the training split has no frame of class "
                            f"{', '.join(lacking['train'])}; record that class in more sessions")
    for name, names in lacking.items():
        warnings.warn(f"{path}: the {name} split has no frame of class {', '.join(names)}; its "
                      "accuracy says nothing about that class", DataWarning, stacklevel=2)
    config = training_preprocess(ds, parts["train"], standardize)
    x = np.concatenate([prep.model_inputs(rec.iq_sweeps(), config)[yy >= 0]
                        for rec, yy in zip(ds.recordings, labels)])
    train, val, test = (Split(x[m], y[m], s[m]) for m in (pick["train"], pick["val"], pick["test"]))
    background = ds.info.get("background")
    return Splits(train, val, test, classes=ds.classes, preprocess=config,
                  background=background if background in ds.classes else None)


def model_splits(path: str | Path, preprocess: dict | None, owner: str) -> Splits:
    """:func:`load_splits` for a model that was trained with ``preprocess`` (its metadata's;
    None: any): step 6 on or off as the model has it, and a one-line error naming both when
    the dataset's preprocessing is still another (rate, layout, depths, scaling, context or
    standardization)."""
    if preprocess is None:
        return load_splits(path)
    want = prep.PreprocessConfig.from_dict(preprocess, f"{owner}: metadata 'preprocess'")
    splits = load_splits(path, standardize=want.standardized)
    have, wanted = splits.preprocess.to_dict(), want.to_dict()

    def text(value: Any) -> str:
        return f"{len(value)} values" if isinstance(value, list) else str(value)

    differ = [f"{key} {text(have.get(key))} vs {text(wanted.get(key))}"
              for key in [*wanted, *(k for k in have if k not in wanted)]
              if have.get(key) != wanted.get(key)]
    if differ:
        raise DataFileError(f"{path}: its preprocessing differs from {owner}'s (dataset vs "
                            f"model: {'; '.join(differ[:3])})")
    return splits
