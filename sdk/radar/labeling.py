"""Labels for one's own recordings: from file names, from intervals in a side file, or from
motion segments found against a background recording.

Every function returns per-sweep labels as class *names* (``None`` for "no label here"); the
packer (:mod:`sdk.radar.pack`) maps names to class indices and fills unlabeled sweeps with the
background class, if there is one.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdk.errors import DataFileError

# Motion segmentation, in sweeps at 18 Hz: the slow-time mean a sweep is compared with spans
# 19 sweeps (1.06 s), the statistic is smoothed over 5 (0.28 s), runs closer than 9 (0.5 s)
# merge and runs shorter than 3 are dropped. The statistic of a sweep is the mean of its top
# 5 % depths' deviation from that local mean, each depth in units of the background recording's
# median deviation there; a sweep moves when it exceeds 1.1 x the background's 99th percentile.
# Tuned on simulated continuous recordings against a background of the same scene: 46 of 55
# gestures found, no segment without a gesture (tests/sdk/test_radar_pack.py).
LOCAL_MEAN_SWEEPS = 19
SMOOTH_SWEEPS = 5
MERGE_GAP_SWEEPS = 9
MIN_SEGMENT_SWEEPS = 3
TOP_DEPTHS = 0.05
THRESHOLD_FACTOR = 1.1


def name_fields(path: Path, pattern: str) -> dict[str, str]:
    """The named groups ``label`` (and ``session``, if the pattern has one) that ``pattern``
    finds in the file's path; a path it does not match is one line naming both."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise DataFileError(f"--label-pattern {pattern!r}: not a regular expression ({exc})") from None
    if "label" not in regex.groupindex:
        raise DataFileError(f"--label-pattern {pattern!r}: needs a named group (?P<label>...)")
    m = regex.search(path.as_posix())
    if m is None or not m.group("label"):
        raise DataFileError(f"{path}: the file name does not match --label-pattern {pattern!r}")
    return {k: v for k, v in m.groupdict().items() if v}


@dataclass(frozen=True)
class Interval:
    """Sweeps of recording ``file`` with ``start_s <= t < end_s`` (from its first sweep) are ``label``."""

    file: str
    start_s: float
    end_s: float
    label: str


def read_intervals(path: Path) -> list[Interval]:
    """A CSV side file with the header ``file,start_s,end_s,label`` (``file``: the recording's
    name or path as given on the command line)."""
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFileError(f"{path}: not a readable CSV file ({exc})") from None
    out = []
    for line, row in enumerate(rows, start=2):
        try:
            item = Interval(row["file"].strip(), float(row["start_s"]), float(row["end_s"]),
                            row["label"].strip())
        except (KeyError, TypeError, ValueError, AttributeError):
            raise DataFileError(f"{path}: line {line}: expected file,start_s,end_s,label with "
                                "numbers for the times") from None
        if not (np.isfinite(item.start_s) and np.isfinite(item.end_s)
                and 0 <= item.start_s < item.end_s) or not item.label or not item.file:
            raise DataFileError(f"{path}: line {line}: needs a file, a label and "
                                "0 <= start_s < end_s")
        out.append(item)
    if not out:
        raise DataFileError(f"{path}: no interval; expected lines file,start_s,end_s,label")
    return out


def interval_labels(times_s: np.ndarray, source: Path, intervals: list[Interval]) -> list[str | None]:
    """Per-sweep names for one recording from the intervals that name it."""
    labels: list[str | None] = [None] * len(times_s)
    for item in intervals:
        if item.file not in (source.name, source.as_posix(), str(source)):
            continue
        for i in np.flatnonzero((times_s >= item.start_s) & (times_s < item.end_s)):
            labels[int(i)] = item.label
    return labels


def _moving_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Centred mean over ``n`` samples along axis 0, edges repeated."""
    padded = np.pad(x, [(n // 2, n - 1 - n // 2)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    c = np.cumsum(np.concatenate([np.zeros((1, *x.shape[1:]), padded.dtype), padded]), axis=0)
    return (c[n:] - c[:-n]) / n


def _deviation(sweeps: np.ndarray) -> np.ndarray:
    return np.abs(sweeps - _moving_mean(sweeps, LOCAL_MEAN_SWEEPS))


def motion_statistic(sweeps: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Per sweep: the mean of its most changing depths (see the constants above)."""
    z = _deviation(sweeps) / level
    k = max(1, int(TOP_DEPTHS * z.shape[1]))
    return _moving_mean(np.sort(z, axis=1)[:, -k:].mean(axis=1), SMOOTH_SWEEPS)


def motion_segments(sweeps: np.ndarray, background: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) sweep ranges where something moves more than anything in the background
    recording (same sensor and settings, same place, nobody there)."""
    if sweeps.shape[1] != background.shape[1]:
        raise DataFileError(f"the background recording has {background.shape[1]} depths, the "
                            f"recording {sweeps.shape[1]}; record both with the same settings")
    level = np.median(_deviation(background), axis=0) + 1e-9
    threshold = THRESHOLD_FACTOR * float(np.percentile(motion_statistic(background, level), 99))
    moving = motion_statistic(sweeps, level) > threshold
    segments: list[list[int]] = []
    for i in np.flatnonzero(moving):
        if segments and i - segments[-1][1] <= MERGE_GAP_SWEEPS:
            segments[-1][1] = int(i) + 1
        else:
            segments.append([int(i), int(i) + 1])
    return [(a, b) for a, b in segments if b - a >= MIN_SEGMENT_SWEEPS]


def segment_labels(n: int, segments: list[tuple[int, int]], label: str) -> list[str | None]:
    """Per-sweep names: ``label`` inside the segments, nothing elsewhere."""
    labels: list[str | None] = [None] * n
    for a, b in segments:
        labels[a:b] = [label] * (b - a)
    return labels
