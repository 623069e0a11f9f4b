"""The A121 Exploration Tool "H5Record" layout: one entry (session, group, sensor) as a Recording.

Root: ``generation`` = ``a121``, JSON ``server_info`` (``ticks_per_second``...) and
``client_info``; sessions either as ``session/`` alone (older files) or ``sessions/session_N/``
with ``session`` an alias of session 0.  A session holds ``session_config`` (JSON: ``groups``, a
list of {sensor id: sensor config}, each with ``sweeps_per_frame``, ``sweep_rate``,
``frame_rate``, ``continuous_sweep_mode`` and ``subsweeps``) and ``group_G/entry_E/`` with
``sensor_id``, ``metadata`` (JSON: ``subsweep_data_offset``/``_length`` within a sweep,
``base_step_length_m``...) and ``result/`` (``frame``: frames x sweeps x points of compound
int16 {real, imag}; ``tick``; per-frame ``data_saturated``, ``frame_delayed``,
``calibration_needed``; ``temperature``).  Simulated records (:mod:`sdk.radar.sim_a121`) add
our root keys ``tinyprune_labels`` (per frame), ``tinyprune_label_names`` and ``tinyprune_meta``,
which Acconeer's loader ignores.
"""

from __future__ import annotations

import json
import re
from typing import Any

import h5py
import numpy as np

from sdk.errors import DataFileError
from sdk.radar.acconeer_a111 import read_json, read_text
from sdk.radar.recording import A121_MODE, A121Entry, Recording, Subsweep

LAYOUT = "Acconeer A121 record layout"
FLAG_KEYS = ("data_saturated", "frame_delayed", "calibration_needed")
_COMPOUND = ("real", "imag")


def _numbered(group: h5py.Group, prefix: str) -> list[tuple[int, h5py.Group]]:
    """Members ``prefix<N>`` of a group, sorted by N."""
    found = []
    for name in group:
        m = re.fullmatch(rf"{prefix}(\d+)", name)
        if m and isinstance(group[name], h5py.Group):
            found.append((int(m.group(1)), group[name]))
    return sorted(found, key=lambda item: item[0])


def session_groups(h5: h5py.File, where: str) -> list[h5py.Group]:
    """The file's sessions in order (newer ``sessions/session_N``, else the older ``session``)."""
    if "sessions" in h5:
        found = _numbered(h5["sessions"], "session_")
        if found:
            return [g for _, g in found]
    if "session" in h5 and isinstance(h5["session"], h5py.Group):
        return [h5["session"]]
    raise DataFileError(f"{where}: A121 record without a session (no key 'sessions/session_0' "
                        "or 'session')")


def _entries(session: h5py.Group, where: str) -> list[tuple[int, int, h5py.Group]]:
    """(group index, sensor id, entry group) of every entry of a session."""
    out = []
    for g, group in _numbered(session, "group_"):
        for _, entry in _numbered(group, "entry_"):
            if "sensor_id" not in entry:
                raise DataFileError(f"{where}: {entry.name} has no key 'sensor_id' ({LAYOUT})")
            out.append((g, int(entry["sensor_id"][()]), entry))
    if not out:
        raise DataFileError(f"{where}: session {session.name} holds no group_G/entry_E ({LAYOUT})")
    return out


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        and value > 0 else None


def _frames(result: h5py.Group, where: str) -> np.ndarray:
    if "frame" not in result:
        raise DataFileError(f"{where}: missing key '{result.name}/frame' ({LAYOUT})")
    ds = result["frame"]
    names = ds.dtype.names or ()
    if ds.ndim != 3 or 0 in ds.shape[1:]:
        raise DataFileError(f"{where}: key '{ds.name}' has shape {ds.shape}; expected (frames, "
                            "sweeps, points)")
    if tuple(names) == _COMPOUND:
        raw = ds[()]
        return (raw["real"].astype(np.float32) + 1j * raw["imag"].astype(np.float32)).astype(np.complex64)
    if ds.dtype.kind == "c":
        return ds[()].astype(np.complex64)
    raise DataFileError(f"{where}: key '{ds.name}' has dtype {ds.dtype}; expected compound int16 "
                        "{real, imag}")


def _per_frame(result: h5py.Group, key: str, n: int, where: str) -> np.ndarray | None:
    if key not in result:
        return None
    ds = result[key]
    if ds.shape != (n,):
        raise DataFileError(f"{where}: key '{ds.name}' has shape {ds.shape}; expected ({n},)")
    return np.asarray(ds[()])


def _subsweeps(config: dict[str, Any], metadata: dict[str, Any], points: int,
               where: str) -> list[Subsweep]:
    subs = config.get("subsweeps")
    if not isinstance(subs, list) or not subs:
        subs = [config]  # a sensor config of one subsweep may carry its fields itself
    offsets = metadata.get("subsweep_data_offset", [0])
    lengths = metadata.get("subsweep_data_length", [points])
    if not (isinstance(offsets, list) and isinstance(lengths, list)
            and len(offsets) == len(lengths) == len(subs)):
        raise DataFileError(f"{where}: metadata has {len(offsets)} subsweep offsets and "
                            f"{len(lengths)} lengths for {len(subs)} configured subsweeps")
    out = []
    for sub, off, length in zip(subs, offsets, lengths):
        if not (isinstance(off, int) and isinstance(length, int) and 0 <= off and
                0 < length and off + length <= points):
            raise DataFileError(f"{where}: subsweep at offset {off} of length {length} does not "
                                f"fit a sweep of {points} points")
        out.append(Subsweep(offset=off, length=length, start_point=int(sub.get("start_point", 0)),
                            step_length=int(sub.get("step_length", 1)),
                            profile=str(sub.get("profile", "?"))))
    return out


def read_h5(h5: h5py.File, where: str, sensor: int | None = None, session: int = 0,
            group: int = 0) -> Recording:
    """One entry of an A121 record: session index, group index and sensor id (None: the group's
    first sensor)."""
    generation = read_text(h5, "generation", where, layout=LAYOUT)
    if generation != "a121":
        raise DataFileError(f"{where}: key 'generation' is '{generation}'; this reader knows A121 "
                            "records ('a121') and A111 Records (no 'generation' key)")
    server_info = read_json(h5, "server_info", where, layout=LAYOUT)
    tps = server_info.get("ticks_per_second")
    if not isinstance(tps, int) or tps <= 0:
        raise DataFileError(f"{where}: server_info has no positive integer 'ticks_per_second'")
    sessions = session_groups(h5, where)
    if not 0 <= session < len(sessions):
        raise DataFileError(f"{where}: no session {session} (has sessions 0..{len(sessions) - 1})")
    sess = sessions[session]
    entries = _entries(sess, where)
    in_group = [(sid, e) for g, sid, e in entries if g == group]
    if not in_group:
        groups = sorted({g for g, _, _ in entries})
        raise DataFileError(f"{where}: session {session} has no group {group} (has group "
                            f"{', '.join(map(str, groups))})")
    ids = [sid for sid, _ in in_group]
    if sensor is not None and sensor not in ids:
        raise DataFileError(f"{where}: session {session} group {group} has no sensor {sensor} "
                            f"(has sensor {', '.join(map(str, ids))})")
    sensor_id, entry = in_group[ids.index(sensor) if sensor is not None else 0]
    session_config = read_json(sess, "session_config", where, layout=LAYOUT)
    listed = session_config.get("groups")
    config = listed[group].get(str(sensor_id)) if isinstance(listed, list) and \
        group < len(listed) and isinstance(listed[group], dict) else None
    if not isinstance(config, dict):
        raise DataFileError(f"{where}: session_config has no sensor config for group {group} "
                            f"sensor {sensor_id}")
    metadata = read_json(entry, "metadata", where, layout=LAYOUT)
    if "result" not in entry or not isinstance(entry["result"], h5py.Group):
        raise DataFileError(f"{where}: missing key '{entry.name}/result' ({LAYOUT})")
    result = entry["result"]
    frames = _frames(result, where)
    n, spf, points = frames.shape
    if n == 0:
        raise DataFileError(f"{where}: key '{result.name}/frame' holds no frame")
    ticks = _per_frame(result, "tick", n, where)
    if ticks is None or ticks.dtype.kind not in "iu":
        raise DataFileError(f"{where}: key '{result.name}/tick' must be integer ({n},)")
    ticks = ticks.astype(np.int64)
    if np.any(np.diff(ticks) <= 0):
        raise DataFileError(f"{where}: key '{result.name}/tick' must increase")
    flags = {k: v.astype(bool) for k in FLAG_KEYS if (v := _per_frame(result, k, n, where)) is not None}
    temperature = _per_frame(result, "temperature", n, where)
    base_step = metadata.get("base_step_length_m")
    if not isinstance(base_step, (int, float)) or base_step <= 0:
        raise DataFileError(f"{where}: metadata has no positive 'base_step_length_m'")
    a121 = A121Entry(
        session=session, group=group, sensor_id=sensor_id, sessions=len(sessions),
        entries=[(g, sid) for g, sid, _ in entries],
        subsweeps=_subsweeps(config, metadata, points, where), ticks=ticks, ticks_per_second=tps,
        base_step_length_m=float(base_step), sweeps_per_frame=spf,
        sweep_rate_hz=_rate(config.get("sweep_rate")), frame_rate_hz=_rate(config.get("frame_rate")),
        continuous_sweep_mode=bool(config.get("continuous_sweep_mode", False)),
        max_sweep_rate_hz=_rate(metadata.get("max_sweep_rate")),
        temperature=np.zeros(n, np.int64) if temperature is None else temperature.astype(np.int64),
        session_config=session_config, metadata=metadata)
    configured = config.get("sweeps_per_frame")
    if isinstance(configured, int) and configured != spf:
        raise DataFileError(f"{where}: frames hold {spf} sweeps; session_config says "
                            f"sweeps_per_frame {configured}")
    extras = {k: text for k in ("lib_version", "timestamp", "uuid", "client_info")
              if (text := read_text(h5, k, where, required=False)) is not None}
    labels, names = _labels(h5, n, where)
    meta = read_json(h5, "tinyprune_meta", where, required=False) or {}
    return Recording(
        mode=A121_MODE, data=frames[:, None], sample_times=(ticks - ticks[0]) / float(tps),
        sensor_config=config, session_info=metadata, extras=extras, source=where,
        generation="a121", flags=flags, a121=a121, labels=labels, label_names=names,
        meta={**meta, "server_info": server_info})


def _labels(h5: h5py.File, n: int, where: str) -> tuple[np.ndarray | None, list | None]:
    """Our per-frame labels and their class names, if the record has them."""
    names = read_json(h5, "tinyprune_label_names", where, required=False, kind=list)
    if "tinyprune_labels" not in h5:
        return None, names
    ds = h5["tinyprune_labels"]
    if not isinstance(ds, h5py.Dataset) or ds.shape != (n,) or ds.dtype.kind not in "iu":
        raise DataFileError(f"{where}: key 'tinyprune_labels' must be integer ({n},), one per frame")
    labels = np.asarray(ds[()], dtype=np.int64)
    if names is not None and n and (labels.min() < -1 or labels.max() >= len(names)):
        raise DataFileError(f"{where}: key 'tinyprune_labels' holds a class index outside "
                            f"-1..{len(names) - 1}")
    return labels, names


def write_h5(h5: h5py.File, rec: Recording) -> None:
    """Write one A121 entry as a one-session, one-group record in the newer layout (with the
    ``session`` alias), as Exploration Tool writes it; Acconeer's ``load_record`` opens it."""
    a = rec.a121
    if a is None:
        raise DataFileError(f"{rec.source}: not an A121 recording")
    text = h5py.string_dtype("utf-8")
    h5.create_dataset("generation", data="a121", dtype=text)
    server_info = {**rec.meta.get("server_info", {}), "ticks_per_second": a.ticks_per_second}
    h5.create_dataset("server_info", data=json.dumps(server_info), dtype=text)
    for key in ("client_info", "lib_version", "timestamp", "uuid"):
        if key in rec.extras:
            h5.create_dataset(key, data=rec.extras[key], dtype=text)
    if rec.labels is not None:
        h5.create_dataset("tinyprune_labels", data=np.asarray(rec.labels, dtype=np.int16))
    if rec.label_names is not None:
        h5.create_dataset("tinyprune_label_names", data=json.dumps(rec.label_names), dtype=text)
    meta = {k: v for k, v in rec.meta.items() if k != "server_info"}
    if meta:
        h5.create_dataset("tinyprune_meta", data=json.dumps(meta), dtype=text)
    session = h5.create_group("sessions/session_0")
    h5["session"] = h5py.SoftLink("/sessions/session_0")
    config = {k: v for k, v in a.session_config.items() if k != "groups"}
    config["groups"] = [{str(a.sensor_id): rec.sensor_config}]
    session.create_dataset("session_config", data=json.dumps(config), dtype=text)
    entry = session.create_group("group_0/entry_0")
    entry.create_dataset("sensor_id", data=np.int64(a.sensor_id))
    entry.create_dataset("metadata", data=json.dumps(a.metadata), dtype=text)
    result = entry.create_group("result")
    data = rec.data[:, 0]
    frame = np.empty(data.shape, dtype=[("real", "<i2"), ("imag", "<i2")])
    frame["real"], frame["imag"] = data.real, data.imag
    result.create_dataset("frame", data=frame)
    result.create_dataset("tick", data=a.ticks)
    for flag in FLAG_KEYS:
        result.create_dataset(flag, data=rec.flags.get(flag, np.zeros(rec.n_updates, bool)))
    result.create_dataset("temperature", data=a.temperature)
