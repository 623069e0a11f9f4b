"""Gesture events from frame classes: thresholds and debouncing (docs/gestures.md).

The numpy twin of ``device/app/tp_gesture.c``: step for step the same integer logic, so the
device and the host produce the same events from the same frame classes and scores. Also the
integer forms of a model's output that the device reports (``RESULT.scores``) and feeds to the
detector (probability x 256), and the input quantization of an int8 model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

NONE = 0xFF
I16_MIN, I16_MAX = -32768, 32767


@dataclass(frozen=True)
class GestureConfig:
    """Detector parameters.

    A frame counts toward a gesture when its class is not ``background`` and that class's
    probability x 256 is at least ``threshold``; ``consecutive`` such frames of one class in a
    row fire an event; the ``refractory`` sweeps after an event fire nothing.
    """

    threshold: int = 179  # 0.7 of 256
    consecutive: int = 3
    refractory: int = 18  # one second at 18 Hz
    background: int = 3  # "empty" in the gesture classes; NONE for no background class

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)


def detect_events(classes: np.ndarray, p256: np.ndarray,
                  config: GestureConfig = GestureConfig()) -> np.ndarray:
    """Events per sweep (class index or NONE) for frame ``classes`` (NONE while the window
    fills) and the probability x 256 of each frame's class; the rules of tp_gesture.c."""
    classes = np.asarray(classes, dtype=np.int64)
    p256 = np.asarray(p256, dtype=np.int64)
    consecutive = max(1, int(config.consecutive))
    events = np.full(len(classes), NONE, dtype=np.int64)
    candidate, run, quiet_left = NONE, 0, 0
    for i, (cls, p) in enumerate(zip(classes.tolist(), p256.tolist())):
        if quiet_left > 0:  # 1. refractory
            quiet_left -= 1
            candidate, run = NONE, 0
            continue
        if cls == NONE or cls == config.background or p < config.threshold:  # 2. not confident
            candidate, run = NONE, 0
            continue
        if cls == candidate:  # 3. debounce
            run += 1
        else:
            candidate, run = cls, 1
        if run < consecutive:
            continue
        events[i] = cls  # 4. fire
        candidate, run, quiet_left = NONE, 0, int(config.refractory)
    return events


def _round_half_away(x: np.ndarray) -> np.ndarray:
    """float32 rounding as the device does it: (int)(|x| + 0.5) with x's sign."""
    x = np.asarray(x, dtype=np.float32)
    return (np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))).astype(np.int64)


def float_scores(output: np.ndarray) -> np.ndarray:
    """RESULT scores of a float output: x 256, rounded half away from zero, saturated to i16."""
    scaled = np.asarray(output, dtype=np.float32) * np.float32(256.0)
    return np.clip(_round_half_away(scaled), I16_MIN, I16_MAX)


def p256_multiplier(scale: float) -> int:
    """Q16 multiplier turning (q - zero_point) of an int8 output into probability x 256."""
    return int(round(float(scale) * 256.0 * 65536.0))


def int8_p256(q: np.ndarray, zero_point: int, multiplier: int) -> np.ndarray:
    """Probability x 256 of int8 outputs ``q``: ((q - zp) * multiplier) >> 16, as on the device
    (an arithmetic shift, i.e. floor)."""
    d = np.asarray(q, dtype=np.int64) - int(zero_point)
    return np.clip((d * int(multiplier)) >> 16, I16_MIN, I16_MAX)


def frame_class(scores: np.ndarray) -> np.ndarray:
    """Argmax over the last axis, the first index on ties (as the device loops)."""
    return np.argmax(np.asarray(scores), axis=-1)


def quantize_input(frame: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """An int8 model's input from a float frame in [0, 1], as the device computes it:
    float32 division, rounded half away from zero, plus the zero point, saturated."""
    x = np.asarray(frame, dtype=np.float32) / np.float32(scale)
    return np.clip(_round_half_away(x) + int(zero_point), -128, 127).astype(np.int8)


@dataclass(frozen=True)
class EventScore:
    """How events compare with labeled gesture segments."""

    gestures: int  # labeled segments of a non-background class
    detected: int  # segments with an event of their class inside (or ``slack`` sweeps after)
    false_triggers: int  # events matching no such segment
    latencies: tuple[int, ...]  # sweeps from a detected segment's start to its first event


def score_events(events: np.ndarray, labels: np.ndarray, background: int = 3,
                 slack: int = 20) -> EventScore:
    """Compare per-sweep ``events`` with per-sweep ``labels``: a segment is a maximal run of
    one non-background label; its first event of that class within the run or the ``slack``
    sweeps after it detects it (the window lags the motion by up to a frame)."""
    events = np.asarray(events, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    segments: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            if labels[start] != background:
                segments.append((start, i, int(labels[start])))
            start = i
    used: set[int] = set()
    latencies = []
    for begin, end, cls in segments:
        stop = min(len(events), end + slack)
        hits = [i for i in range(begin, stop) if events[i] == cls and i not in used]
        if hits:
            used.add(hits[0])
            latencies.append(hits[0] - begin)
    fired = [i for i in range(len(events)) if events[i] != NONE]
    return EventScore(len(segments), len(latencies), len([i for i in fired if i not in used]),
                      tuple(latencies))
