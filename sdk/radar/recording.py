"""Radar recordings: the sweep data model and the Acconeer Exploration Tool "Record" HDF5 layout.

A Record file holds ``data`` (updates x sensors x depths, or updates x sensors x sweeps x depths
for sparse), ``mode`` and JSON strings ``sensor_config_dump``, ``session_info`` and
``data_info``, plus optional keys (``sample_times``, ``processing_config_dump``, ``rss_version``,
``lib_version``, ``timestamp``, ``module_key``, ``note``...).  Our recordings add
``tinyprune_labels`` (per-update class index), ``tinyprune_label_names``,
``tinyprune_preprocess`` and ``tinyprune_meta``; Acconeer's reader ignores keys it does not know,
and so does ours.

A dataset file (written by the simulator) is a group ``recordings/`` of such Records plus a
``tinyprune_dataset`` JSON key at the root; see :mod:`sdk.radar.dataset`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from sdk.atomic import atomic_path
from sdk.errors import DataFileError, UnsupportedError
from sdk.radar.preprocess import PreprocessConfig
from sdk.untrusted_h5 import isolated

MODES = ("iq", "envelope", "sparse", "power_bins")
# Acconeer's own optional string keys, carried through unchanged.
PASSTHROUGH_KEYS = ("rss_version", "lib_version", "timestamp", "module_key", "note",
                    "processing_config_dump", "legacy_processing_config_dump", "client_info")
_REAL_DTYPES = (np.uint16, np.int16, np.float32, np.float64)


@dataclass
class Recording:
    """One radar recording.

    ``data`` is (updates, sensors, depths) for iq / envelope / power_bins and
    (updates, sensors, sweeps, depths) for sparse.  For iq and envelope each update is one sweep.
    ``sample_times`` are seconds (Acconeer stores Unix times; :attr:`times_s` starts at 0).
    """

    mode: str
    data: np.ndarray
    sample_times: np.ndarray
    sensor_config: dict[str, Any]
    session_info: dict[str, Any]
    data_info: list[Any] = field(default_factory=list)
    labels: np.ndarray | None = None
    label_names: list[str] | None = None
    preprocess: PreprocessConfig | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)
    source: str = "<memory>"

    @property
    def n_updates(self) -> int:
        """Number of updates (sweeps for iq/envelope)."""
        return int(self.data.shape[0])

    @property
    def update_rate_hz(self) -> float:
        """Configured update rate, else the median rate of ``sample_times``, else 0."""
        rate = self.sensor_config.get("update_rate")
        if isinstance(rate, (int, float)) and rate > 0:
            return float(rate)
        if len(self.sample_times) > 1:
            return float(1.0 / np.median(np.diff(self.sample_times)))
        return 0.0

    @property
    def sweep_rate_hz(self) -> float:
        """Sweeps per second: within-frame rate for sparse, the update rate otherwise."""
        if self.mode == "sparse" and self.session_info.get("sweep_rate"):
            return float(self.session_info["sweep_rate"])
        return self.update_rate_hz

    @property
    def times_s(self) -> np.ndarray:
        """Sample times relative to the first update."""
        return self.sample_times - self.sample_times[0] if len(self.sample_times) else self.sample_times

    @property
    def range_m(self) -> tuple[float, float]:
        """(start, end) of the depth range in metres."""
        start = float(self.session_info.get("range_start_m", 0.0))
        return start, start + float(self.session_info.get("range_length_m", 0.0))

    def iq_sweeps(self, sensor: int = 0) -> np.ndarray:
        """Complex sweeps (updates, depths) of one sensor; only IQ recordings have them."""
        if self.mode != "iq":
            raise UnsupportedError(
                f"range-Doppler preprocessing of '{self.mode}' data in {self.source} "
                "(needs complex IQ sweeps; real envelope data gives only half the Doppler bins)")
        if not 0 <= sensor < self.data.shape[1]:
            raise DataFileError(f"{self.source}: no sensor index {sensor} (has {self.data.shape[1]})")
        return self.data[:, sensor, :]


def _text(h5: h5py.File | h5py.Group, key: str, where: str, required: bool = True) -> str | None:
    if key not in h5:
        if required:
            raise DataFileError(f"{where}: missing key '{key}' (Acconeer Record layout)")
        return None
    ds = h5[key]
    if not isinstance(ds, h5py.Dataset) or ds.shape != () or ds.dtype.kind not in "OSU":
        raise DataFileError(f"{where}: key '{key}' must be a scalar string")
    value = ds[()]
    try:
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    except UnicodeDecodeError:
        raise DataFileError(f"{where}: key '{key}' is not UTF-8 text") from None


def _json(h5: h5py.File | h5py.Group, key: str, where: str, required: bool = True,
          kind: type = dict) -> Any:
    text = _text(h5, key, where, required)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{where}: key '{key}' is not valid JSON ({exc.msg})") from None
    if not isinstance(value, kind):
        raise DataFileError(f"{where}: key '{key}' must be a JSON {kind.__name__}")
    return value


def read_record(group: h5py.File | h5py.Group, where: str) -> Recording:
    """Parse one Record-layout group (a file root or a dataset member); ``where`` names it in errors."""
    mode = _text(group, "mode", where)
    if mode not in MODES:
        raise DataFileError(f"{where}: key 'mode' is '{mode}', expected one of {', '.join(MODES)}")
    if "data" not in group or not isinstance(group["data"], h5py.Dataset):
        raise DataFileError(f"{where}: missing key 'data' (Acconeer Record layout)")
    ds = group["data"]
    want_ndim = 4 if mode == "sparse" else 3
    if ds.ndim != want_ndim or 0 in ds.shape[1:]:
        sweeps = "sweeps, " if mode == "sparse" else ""
        raise DataFileError(f"{where}: key 'data' has shape {ds.shape}; '{mode}' data needs "
                            f"{want_ndim} axes (updates, sensors, {sweeps}depths)")
    if mode == "iq":
        if ds.dtype.kind != "c":
            raise DataFileError(f"{where}: key 'data' has dtype {ds.dtype}; iq data must be complex")
    elif ds.dtype.kind == "c" or ds.dtype.type not in _REAL_DTYPES:
        raise DataFileError(f"{where}: key 'data' has dtype {ds.dtype}; {mode} data must be "
                            "uint16, int16 or float")
    data = ds[()]
    n = data.shape[0]
    if n == 0:
        raise DataFileError(f"{where}: key 'data' holds no sweep; expected at least one update")
    if data.dtype.kind in "fc" and not np.all(np.isfinite(data)):
        bad = int(np.count_nonzero(~np.isfinite(data)))
        raise DataFileError(f"{where}: key 'data' holds {bad} non-finite values (NaN or "
                            "infinity); expected finite sweeps")
    sensor_config = _json(group, "sensor_config_dump", where)
    session_info = _json(group, "session_info", where)
    data_info = _json(group, "data_info", where, required=False, kind=list) or []
    if "sample_times" in group:
        times = group["sample_times"]
        if times.shape != (n,) or times.dtype.kind != "f":
            raise DataFileError(f"{where}: key 'sample_times' has {times.dtype} {times.shape}; "
                                f"expected float ({n},)")
        sample_times = times[()].astype(np.float64)
        if not np.all(np.isfinite(sample_times)) or np.any(np.diff(sample_times) <= 0):
            raise DataFileError(f"{where}: key 'sample_times' must be finite and increasing")
    else:
        rate = sensor_config.get("update_rate")
        if not isinstance(rate, (int, float)) or not np.isfinite(rate) or rate <= 0:
            raise DataFileError(f"{where}: no 'sample_times' and sensor_config_dump has no "
                                "positive 'update_rate' to derive them from")
        sample_times = np.arange(n, dtype=np.float64) / float(rate)
    labels = None
    if "tinyprune_labels" in group:
        lab = group["tinyprune_labels"]
        if lab.shape != (n,) or lab.dtype.kind not in "iu":
            raise DataFileError(f"{where}: key 'tinyprune_labels' has {lab.dtype} {lab.shape}; "
                                f"expected integer ({n},)")
        labels = lab[()].astype(np.int64)
    label_names = _json(group, "tinyprune_label_names", where, required=False, kind=list)
    if labels is not None and label_names is not None and len(labels) and \
            (labels.min() < 0 or labels.max() >= len(label_names)):
        raise DataFileError(f"{where}: key 'tinyprune_labels' holds a class index outside "
                            f"0..{len(label_names) - 1}")
    prep = _json(group, "tinyprune_preprocess", where, required=False)
    preprocess = None if prep is None else PreprocessConfig.from_dict(
        prep, source=f"{where}: key 'tinyprune_preprocess'")
    meta = _json(group, "tinyprune_meta", where, required=False) or {}
    extras = {k: v for k in PASSTHROUGH_KEYS if (v := _text(group, k, where, required=False)) is not None}
    return Recording(mode=mode, data=data, sample_times=sample_times, sensor_config=sensor_config,
                     session_info=session_info, data_info=data_info, labels=labels,
                     label_names=label_names, preprocess=preprocess, meta=meta, extras=extras,
                     source=where)


def write_record(group: h5py.File | h5py.Group, rec: Recording) -> None:
    """Write ``rec`` into an empty group (or file root) in the Record layout plus our keys."""
    text = h5py.string_dtype("utf-8")
    group.create_dataset("data", data=rec.data)
    group.create_dataset("mode", data=rec.mode, dtype=text)
    group.create_dataset("sample_times", data=np.asarray(rec.sample_times, dtype=np.float64))
    group.create_dataset("sensor_config_dump", data=json.dumps(rec.sensor_config), dtype=text)
    group.create_dataset("session_info", data=json.dumps(rec.session_info), dtype=text)
    group.create_dataset("data_info", data=json.dumps(rec.data_info), dtype=text)
    for key, value in rec.extras.items():
        group.create_dataset(key, data=value, dtype=text)
    if rec.labels is not None:
        group.create_dataset("tinyprune_labels", data=np.asarray(rec.labels, dtype=np.int16))
    if rec.label_names is not None:
        group.create_dataset("tinyprune_label_names", data=json.dumps(rec.label_names), dtype=text)
    if rec.preprocess is not None:
        group.create_dataset("tinyprune_preprocess", data=json.dumps(rec.preprocess.to_dict()),
                             dtype=text)
    if rec.meta:
        group.create_dataset("tinyprune_meta", data=json.dumps(rec.meta), dtype=text)


def open_h5(path: str | Path, mode: str = "r") -> h5py.File:
    """Open an HDF5 file; a missing, truncated or non-HDF5 file becomes one DataFileError line."""
    path = Path(path)
    if mode == "r" and not path.is_file():
        raise DataFileError(f"{path}: no such file")
    try:
        return h5py.File(path, mode)
    except OSError as exc:
        reason = str(exc).split("(")[0].strip().rstrip(",") or "unreadable"
        raise DataFileError(f"{path}: not a readable HDF5 file (truncated or corrupt?): {reason}") from None


# What h5py raises for a corrupt file, besides OSError: RuntimeError for a damaged heap or
# B-tree, KeyError/ValueError/TypeError for objects that are not what their header says.
_H5_READ_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError)


@contextmanager
def reading_h5(path: str | Path) -> Iterator[h5py.File]:
    """:func:`open_h5` for reading: any error the HDF5 library raises while the block reads the
    file (a flipped byte in a heap or B-tree, an object of the wrong kind) becomes one
    DataFileError line naming the file."""
    try:
        with open_h5(path) as h5:
            yield h5
    except DataFileError:
        raise
    except _H5_READ_ERRORS as exc:
        raise DataFileError(f"{path}: read failed, the file is truncated or corrupt "
                            f"({type(exc).__name__}: {exc})") from None


@isolated
def load_recording(path: str | Path) -> Recording:
    """Read an Acconeer "Record" HDF5 file (ours included) into a :class:`Recording`."""
    with reading_h5(path) as h5:
        if "tinyprune_dataset" in h5:
            raise DataFileError(f"{path}: is a dataset of many recordings; "
                                "use sdk.radar.dataset.load_dataset")
        return read_record(h5, str(path))


def save_recording(path: str | Path, rec: Recording, overwrite: bool = False) -> None:
    """Write one recording as an Acconeer Record file; refuses to replace a file unless told to."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise DataFileError(f"{path}: exists (pass overwrite=True / --force to replace it)")
    with atomic_path(path) as tmp, open_h5(tmp, "w") as h5:
        write_record(h5, rec)
