"""The A111 Exploration Tool "Record" layout, in HDF5 and in ``.npz``: reader and writer.

A Record holds ``data`` (updates x sensors x depths; sparse: updates x sensors x sweeps x
depths), ``mode`` and JSON strings ``sensor_config_dump``, ``session_info`` and ``data_info``
(one list per update, one dict of flags per sensor: ``missed_data``, ``data_saturated``...),
plus optional keys (``sample_times``, ``processing_config_dump``, ``rss_version``...).  Our
recordings add ``tinyprune_labels`` (per-update class index, -1 for none),
``tinyprune_label_names``, ``tinyprune_preprocess`` and ``tinyprune_meta``; Acconeer's loader
ignores keys it does not know, and ours ignores theirs.  The ``.npz`` form is what Acconeer's
``save_npz`` writes: the same keys, strings as 0-d unicode arrays.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

import h5py
import numpy as np

from sdk.atomic import atomic_path
from sdk.errors import DataFileError
from sdk.radar.preprocess import PreprocessConfig
from sdk.radar.recording import A111_MODES, Recording, open_h5

# Acconeer's own optional string keys, carried through unchanged.
PASSTHROUGH_KEYS = ("rss_version", "lib_version", "timestamp", "module_key", "note",
                    "processing_config_dump", "legacy_processing_config_dump", "client_info")
# Per-update flags of data_info that our writer always fills in.
WRITTEN_FLAGS = ("missed_data", "data_saturated")
_REAL_DTYPES = (np.uint16, np.int16, np.float32, np.float64)

Source: TypeAlias = "h5py.Group | Mapping[str, np.ndarray]"


def not_a_recording(h5: h5py.Group) -> str:
    """One line saying that a file without ``mode``/``generation`` is not a recording."""
    keys = sorted(h5)
    held = ", ".join(keys[:6]) + (", ..." if len(keys) > 6 else "") if keys else "nothing"
    return ("not a radar recording: neither an A111 Record (missing key 'mode') nor an A121 "
            f"record (no key 'generation'); it holds {held}, e.g. a processed output or "
            "another tool's file")


def read_text(src: Source, key: str, where: str, required: bool = True,
              layout: str = "Acconeer Record layout") -> str | None:
    """A scalar string key (None if absent and not required); problems name ``where`` and the key."""
    if key not in src:
        if required:
            raise DataFileError(f"{where}: missing key '{key}' ({layout})")
        return None
    ds = src[key]
    if not isinstance(ds, (h5py.Dataset, np.ndarray)) or ds.shape != () or ds.dtype.kind not in "OSU":
        raise DataFileError(f"{where}: key '{key}' must be a scalar string")
    value = ds[()]
    try:
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    except UnicodeDecodeError:
        raise DataFileError(f"{where}: key '{key}' is not UTF-8 text") from None


def read_json(src: Source, key: str, where: str, required: bool = True, kind: type = dict,
              layout: str = "Acconeer Record layout") -> Any:
    """A JSON string key of type ``kind`` (None if absent and not required)."""
    text = read_text(src, key, where, required, layout)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{where}: key '{key}' is not valid JSON ({exc.msg})") from None
    if not isinstance(value, kind):
        raise DataFileError(f"{where}: key '{key}' must be a JSON {kind.__name__}")
    return value


def _data(src: Source, mode: str, where: str) -> np.ndarray:
    if "data" not in src or not isinstance(src["data"], (h5py.Dataset, np.ndarray)):
        raise DataFileError(f"{where}: missing key 'data' (Acconeer Record layout)")
    ds = src["data"]
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
    data = np.asarray(ds[()])
    if data.shape[0] == 0:
        raise DataFileError(f"{where}: key 'data' holds no sweep; expected at least one update")
    if data.dtype.kind in "fc" and not np.all(np.isfinite(data)):
        bad = int(np.count_nonzero(~np.isfinite(data)))
        raise DataFileError(f"{where}: key 'data' holds {bad} non-finite values (NaN or "
                            "infinity); expected finite sweeps")
    return data


def _sample_times(src: Source, n: int, sensor_config: dict, where: str) -> np.ndarray:
    if "sample_times" in src:
        times = src["sample_times"]
        if times.shape != (n,) or times.dtype.kind != "f":
            raise DataFileError(f"{where}: key 'sample_times' has {times.dtype} {times.shape}; "
                                f"expected float ({n},)")
        sample_times = np.asarray(times[()], dtype=np.float64)
        if not np.all(np.isfinite(sample_times)) or np.any(np.diff(sample_times) <= 0):
            raise DataFileError(f"{where}: key 'sample_times' must be finite and increasing")
        return sample_times
    rate = sensor_config.get("update_rate")
    if not isinstance(rate, (int, float)) or not np.isfinite(rate) or rate <= 0:
        raise DataFileError(f"{where}: no 'sample_times' and sensor_config_dump has no "
                            "positive 'update_rate' to derive them from")
    return np.arange(n, dtype=np.float64) / float(rate)


def flags_from_data_info(data_info: list[Any], n: int, where: str) -> dict[str, np.ndarray]:
    """Per-update boolean flags (any sensor raised it) from ``data_info``; empty if it has none."""
    if not data_info:
        return {}
    if len(data_info) != n:
        raise DataFileError(f"{where}: key 'data_info' has {len(data_info)} entries; expected one "
                            f"per update ({n})")
    flags: dict[str, np.ndarray] = {}
    for i, per_update in enumerate(data_info):
        sensors = per_update if isinstance(per_update, list) else [per_update]
        for info in sensors:
            if not isinstance(info, dict):
                raise DataFileError(f"{where}: key 'data_info' entry {i} is not a list of objects")
            for name, value in info.items():
                if isinstance(value, bool):
                    flags.setdefault(name, np.zeros(n, dtype=bool))[i] |= value
    return flags


def data_info_for(rec: Recording) -> list[list[dict[str, Any]]]:
    """``data_info`` with one entry per update and one dict per sensor, as Acconeer's loader
    requires: the recording's own if it has that shape, else built from its flags."""
    n, sensors = rec.n_updates, int(rec.data.shape[1])
    if len(rec.data_info) == n and all(isinstance(d, list) and len(d) == sensors for d in rec.data_info):
        return rec.data_info
    names = list(dict.fromkeys([*WRITTEN_FLAGS, *rec.flags]))
    return [[{name: bool(rec.flags[name][i]) if name in rec.flags else False for name in names}
             for _ in range(sensors)] for i in range(n)]


def read_record(src: Source, where: str, sensor: int | None = None) -> Recording:
    """Parse one Record (an HDF5 file root or group, or the arrays of an ``.npz``); ``where``
    names it in errors; ``sensor`` (an id) keeps only that sensor."""
    mode = read_text(src, "mode", where)
    if mode not in A111_MODES:
        raise DataFileError(f"{where}: key 'mode' is '{mode}', expected one of {', '.join(A111_MODES)}")
    data = _data(src, mode, where)
    n = data.shape[0]
    sensor_config = read_json(src, "sensor_config_dump", where)
    session_info = read_json(src, "session_info", where)
    data_info = read_json(src, "data_info", where, required=False, kind=list) or []
    flags = flags_from_data_info(data_info, n, where)
    labels = None
    if "tinyprune_labels" in src:
        lab = src["tinyprune_labels"]
        if lab.shape != (n,) or lab.dtype.kind not in "iu":
            raise DataFileError(f"{where}: key 'tinyprune_labels' has {lab.dtype} {lab.shape}; "
                                f"expected integer ({n},)")
        labels = np.asarray(lab[()], dtype=np.int64)
    label_names = read_json(src, "tinyprune_label_names", where, required=False, kind=list)
    if labels is not None and label_names is not None and len(labels) and \
            (labels.min() < -1 or labels.max() >= len(label_names)):
        raise DataFileError(f"{where}: key 'tinyprune_labels' holds a class index outside "
                            f"-1..{len(label_names) - 1}")
    prep = read_json(src, "tinyprune_preprocess", where, required=False)
    preprocess = None if prep is None else PreprocessConfig.from_dict(
        prep, source=f"{where}: key 'tinyprune_preprocess'")
    meta = read_json(src, "tinyprune_meta", where, required=False) or {}
    extras = {k: v for k in PASSTHROUGH_KEYS if (v := read_text(src, k, where, required=False)) is not None}
    rec = Recording(mode=mode, data=data, sample_times=_sample_times(src, n, sensor_config, where),
                    sensor_config=sensor_config, session_info=session_info, data_info=data_info,
                    labels=labels, label_names=label_names, preprocess=preprocess, meta=meta,
                    extras=extras, source=where, flags=flags)
    return rec if sensor is None else only_sensor(rec, sensor)


def only_sensor(rec: Recording, sensor: int) -> Recording:
    """The recording restricted to one sensor id."""
    index = rec.sensor_index(sensor)
    rec.data = rec.data[:, index:index + 1]
    if len(rec.data_info) == rec.n_updates:
        rec.data_info = [d[index:index + 1] if isinstance(d, list) else d for d in rec.data_info]
        rec.flags = flags_from_data_info(rec.data_info, rec.n_updates, rec.source)
    rec.sensor_config = {**rec.sensor_config, "sensor": [sensor]}
    return rec


def load_npz(path: Path, sensor: int | None = None) -> Recording:
    """Read a Record that Acconeer's ``save_npz`` wrote (no pickled objects are loaded)."""
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataFileError(f"{path}: not a readable .npz file (truncated or corrupt?): {exc}") from None
    if "mode" not in arrays:
        raise DataFileError(f"{path}: not an A111 Record (.npz without key 'mode'); it holds "
                            f"{', '.join(sorted(arrays)[:6]) or 'nothing'}")
    return read_record(arrays, str(path), sensor)


def _packed(rec: Recording) -> dict[str, Any]:
    """Everything a Record file holds, as strings and arrays."""
    packed: dict[str, Any] = {
        "data": rec.data, "mode": rec.mode,
        "sample_times": np.asarray(rec.sample_times, dtype=np.float64),
        "sensor_config_dump": json.dumps(rec.sensor_config),
        "session_info": json.dumps(rec.session_info),
        "data_info": json.dumps(data_info_for(rec)), **rec.extras}
    if rec.labels is not None:
        packed["tinyprune_labels"] = np.asarray(rec.labels, dtype=np.int16)
    if rec.label_names is not None:
        packed["tinyprune_label_names"] = json.dumps(rec.label_names)
    if rec.preprocess is not None:
        packed["tinyprune_preprocess"] = json.dumps(rec.preprocess.to_dict())
    if rec.meta:
        packed["tinyprune_meta"] = json.dumps(rec.meta)
    return packed


def write_record(group: h5py.Group, rec: Recording) -> None:
    """Write ``rec`` into an empty group (or file root) in the Record layout plus our keys."""
    text = h5py.string_dtype("utf-8")
    for key, value in _packed(rec).items():
        if isinstance(value, str):
            group.create_dataset(key, data=value, dtype=text)
        else:
            group.create_dataset(key, data=value)


def save(path: Path, rec: Recording) -> None:
    """Write one Record file: ``.npz`` as Acconeer's ``save_npz`` does, HDF5 otherwise."""
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".npz":
            with open(tmp, "wb") as f:
                arrays: dict[str, Any] = {k: np.asarray(v) for k, v in _packed(rec).items()}
                np.savez_compressed(f, **arrays)
        else:
            with open_h5(tmp, "w") as h5:
                write_record(h5, rec)
