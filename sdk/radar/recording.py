"""Radar recordings: the one sweep data model for both Acconeer generations, and file dispatch.

:class:`Recording` holds one sensor session of either generation:

* A111 (``generation == "a111"``), modes ``iq``, ``envelope``, ``power_bins`` (data (updates,
  sensors, depths)) and ``sparse`` (updates, sensors, sweeps, depths), read from the
  Exploration Tool "Record" layout in HDF5 or ``.npz`` (:mod:`sdk.radar.acconeer_a111`);
* A121 (``generation == "a121"``, mode ``sparse_iq``): one entry (session, group, sensor) of an
  A121 "H5Record" as complex frames (frames, 1, sweeps per frame, points)
  (:mod:`sdk.radar.acconeer_a121`), with its subsweeps, ticks and flags in :attr:`a121`.

Per-update flags (A111 ``missed_data``/``data_saturated``..., A121 ``data_saturated``/
``frame_delayed``/``calibration_needed``) are boolean arrays in :attr:`flags`.

:func:`load_recording` and :func:`save_recording` are the file entry points (path in, data out);
a dataset file of many recordings is :mod:`sdk.radar.dataset`'s.
"""

from __future__ import annotations

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

A111_MODES = ("iq", "envelope", "sparse", "power_bins")
A121_MODE = "sparse_iq"


@dataclass(frozen=True)
class Subsweep:
    """One A121 subsweep: where its points sit in a sweep and where they sit in range.

    Distances are ``(start_point + i * step_length) * base_step_length_m`` for point ``i``.
    """

    offset: int
    length: int
    start_point: int
    step_length: int
    profile: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"offset": self.offset, "length": self.length, "start_point": self.start_point,
                "step_length": self.step_length, "profile": self.profile}


@dataclass
class A121Entry:
    """What an A121 recording says about the entry a :class:`Recording` was read from."""

    session: int
    group: int
    sensor_id: int
    sessions: int  # how many sessions the file holds
    entries: list[tuple[int, int]]  # (group, sensor id) of every entry of this session
    subsweeps: list[Subsweep]
    ticks: np.ndarray  # int64 per frame
    ticks_per_second: int
    base_step_length_m: float
    sweeps_per_frame: int
    sweep_rate_hz: float | None  # configured; None: as fast as the sensor can
    frame_rate_hz: float | None  # configured; None: as fast as the host asks
    continuous_sweep_mode: bool
    max_sweep_rate_hz: float | None
    temperature: np.ndarray
    session_config: dict[str, Any]
    metadata: dict[str, Any]

    def point_distances_m(self, subsweep: int) -> np.ndarray:
        """Distance of every point of one subsweep, metres."""
        s = self.subsweeps[subsweep]
        return (s.start_point + np.arange(s.length) * s.step_length) * self.base_step_length_m


@dataclass
class Recording:
    """One radar recording (see the module docstring for the data layouts).

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
    generation: str = "a111"
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    a121: A121Entry | None = None

    @property
    def n_updates(self) -> int:
        """Number of updates (A111 sweeps for iq/envelope, frames for sparse and A121)."""
        return int(self.data.shape[0])

    @property
    def measured_update_rate_hz(self) -> float:
        """Median rate of ``sample_times``, 0 with fewer than two updates."""
        if len(self.sample_times) > 1:
            step = float(np.median(np.diff(self.sample_times)))
            return 1.0 / step if step > 0 else 0.0
        return 0.0

    @property
    def update_rate_hz(self) -> float:
        """Configured update (frame) rate, else the measured one, else 0."""
        if self.a121 is not None:
            return self.a121.frame_rate_hz or self.measured_update_rate_hz
        rate = self.sensor_config.get("update_rate")
        if isinstance(rate, (int, float)) and rate > 0:
            return float(rate)
        return self.measured_update_rate_hz

    @property
    def sweeps_per_update(self) -> int:
        """Sweeps in one update: 1 for A111 iq/envelope/power bins."""
        return int(self.data.shape[2]) if self.data.ndim == 4 else 1

    @property
    def sweep_rate_hz(self) -> float:
        """Sweeps per second within an update (sparse, A121), else the update rate; 0 if unknown."""
        if self.a121 is not None:
            if self.a121.sweep_rate_hz:
                return self.a121.sweep_rate_hz
            if self.a121.continuous_sweep_mode or self.a121.sweeps_per_frame == 1:
                return self.update_rate_hz * self.a121.sweeps_per_frame
            return 0.0
        if self.mode == "sparse" and self.session_info.get("sweep_rate"):
            return float(self.session_info["sweep_rate"])
        return self.update_rate_hz

    @property
    def times_s(self) -> np.ndarray:
        """Sample times relative to the first update."""
        return self.sample_times - self.sample_times[0] if len(self.sample_times) else self.sample_times

    @property
    def range_m(self) -> tuple[float, float]:
        """(first, last) distance in metres covered by the depths."""
        if self.a121 is not None:
            d = np.concatenate([self.a121.point_distances_m(i) for i in range(len(self.a121.subsweeps))])
            return float(d.min()), float(d.max())
        start = float(self.session_info.get("range_start_m", 0.0))
        return start, start + float(self.session_info.get("range_length_m", 0.0))

    def sensor_index(self, sensor: int | None) -> int:
        """Index on the sensor axis of sensor id ``sensor`` (None: the first one)."""
        if sensor is None:
            return 0
        ids = self.sensor_ids()
        if sensor not in ids:
            raise DataFileError(f"{self.source}: no sensor {sensor} (has sensor "
                                f"{', '.join(map(str, ids))})")
        return ids.index(sensor)

    def sensor_ids(self) -> list[int]:
        """Sensor ids along the data's sensor axis (Acconeer numbers sensors from 1)."""
        if self.a121 is not None:
            return [self.a121.sensor_id]
        ids = self.sensor_config.get("sensor")
        n = int(self.data.shape[1])
        if isinstance(ids, list) and len(ids) == n and all(isinstance(i, int) for i in ids):
            return list(ids)
        return list(range(1, n + 1))

    def stream_problem(self, bursts: bool = False) -> str | None:
        """Why these updates are not one complex sweep stream at a fixed rate, or None if they are.
        With ``bursts`` an A121 frame of several sweeps with gaps between frames is fine: the
        preprocessing then takes one frame per burst (window_sweeps = hop = sweeps per frame)."""
        if self.generation == "a111":
            if self.mode == "iq":
                return None
            if self.mode == "sparse":
                return ("A111 sparse data is real-valued (no phase) and comes in frames of "
                        f"{self.sweeps_per_update} sweeps at {self.sweep_rate_hz:.0f} Hz; the "
                        "range-Doppler frames need complex IQ sweeps")
            return (f"A111 {self.mode.replace('_', ' ')} data is a real amplitude (no phase); the "
                    "range-Doppler frames need complex IQ sweeps")
        entry = self.a121
        assert entry is not None
        if len(entry.subsweeps) > 1:
            return (f"{len(entry.subsweeps)} subsweeps (separate depth ranges, each with its own "
                    "step and profile); the range-Doppler frames need one evenly spaced depth axis")
        if entry.sweeps_per_frame > 1 and not entry.continuous_sweep_mode and not bursts:
            return (f"{entry.sweeps_per_frame} sweeps per frame with gaps between frames; the "
                    "range-Doppler frames need evenly spaced sweeps (1 sweep per frame, or "
                    "continuous sweep mode), or one frame per burst (window_sweeps = hop = "
                    f"{entry.sweeps_per_frame})")
        return None

    def iq_sweeps(self, sensor: int | None = None, bursts: bool = False) -> np.ndarray:
        """Complex sweeps (sweeps, depths) of one sensor (id; None: the first), evenly spaced in
        time (or in bursts, see :meth:`stream_problem`); recordings that are not such a stream
        raise a 'not supported' line saying why."""
        problem = self.stream_problem(bursts)
        if problem is not None:
            raise UnsupportedError(f"range-Doppler preprocessing of {self.source}: {problem}")
        data = self.data[:, self.sensor_index(sensor)]
        return data.reshape(-1, data.shape[-1]) if data.ndim == 3 else data

    def sweep_labels(self) -> np.ndarray | None:
        """Labels per sweep of :meth:`iq_sweeps` (an update's label for each of its sweeps)."""
        if self.labels is None:
            return None
        return np.repeat(self.labels, self.sweeps_per_update)


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
def load_recording(path: str | Path, sensor: int | None = None, session: int = 0,
                   group: int = 0) -> Recording:
    """Read any Acconeer recording: an A111 Record (.h5 or .npz, ours included) or one entry of
    an A121 H5Record. ``sensor`` is a sensor id (None: the first), ``session`` and ``group``
    choose the A121 session and group. Anything else is one DataFileError line saying what it is."""
    from sdk.radar import acconeer_a111, acconeer_a121

    path = Path(path)
    if path.suffix.lower() == ".npz":
        return acconeer_a111.load_npz(path, sensor)
    with reading_h5(path) as h5:
        if "tinyprune_dataset" in h5:
            raise DataFileError(f"{path}: is a dataset of many recordings; "
                                "use sdk.radar.dataset.load_dataset")
        if "generation" in h5:
            return acconeer_a121.read_h5(h5, str(path), sensor, session, group)
        if "mode" not in h5 and not {"data", "sensor_config_dump", "session_info"} & set(h5):
            raise DataFileError(f"{path}: {acconeer_a111.not_a_recording(h5)}")
        return acconeer_a111.read_record(h5, str(path), sensor)


def save_recording(path: str | Path, rec: Recording, overwrite: bool = False) -> None:
    """Write one recording in its generation's Acconeer layout: an A111 Record (.h5, or .npz
    as Acconeer's ``save_npz`` writes it) or an A121 record of its one entry (.h5); refuses to
    replace a file unless told to."""
    from sdk.radar import acconeer_a111, acconeer_a121

    path = Path(path)
    if path.exists() and not overwrite:
        raise DataFileError(f"{path}: exists (pass overwrite=True / --force to replace it)")
    if rec.generation == "a111":
        acconeer_a111.save(path, rec)
        return
    if path.suffix.lower() != ".h5":
        raise UnsupportedError(f"writing an A121 recording as {path.suffix or 'no suffix'} "
                               f"({path}); A121 records are HDF5 (.h5)")
    with atomic_path(path) as tmp, open_h5(tmp, "w") as h5:
        acconeer_a121.write_h5(h5, rec)
