"""Gesture events from frame classes: thresholds and debouncing (docs/gestures.md).

The numpy twin of ``device/app/tp_gesture.c``: step for step the same integer logic, so the
device and the host produce the same events from the same frame classes and scores. Also the
integer forms of a model's output that the device reports (``RESULT.scores``) and feeds to the
detector (probability x 256), and the input quantization of an int8 model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sdk.errors import DataFileError
from sdk.radar.preprocess import PreprocessConfig

NONE = 0xFF
I16_MIN, I16_MAX = -32768, 32767


@dataclass(frozen=True)
class GestureConfig:
    """Detector parameters, stored with the model (metadata ``detector``).

    A frame counts toward a gesture when its class is not ``background`` (a class index, or
    NONE when every class is a gesture) and that class's probability x 256 is at least
    ``threshold``; ``consecutive`` such frames of one class in a row fire an event; for
    ``refractory_s`` seconds after an event nothing fires (:meth:`refractory_frames` at the
    model's frame rate).
    """

    threshold: int = 179  # 0.7 of 256
    consecutive: int = 3
    refractory_s: float = 1.0
    background: int = 3  # "empty" in the gesture classes; NONE for no background class

    def refractory_frames(self, frame_rate_hz: float) -> int:
        """The refractory period in frames at ``frame_rate_hz`` (rounded to the nearest)."""
        return int(round(self.refractory_s * frame_rate_hz))

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, source: str = "detector") -> GestureConfig:
        """Build from :meth:`to_dict` output; a bad key or value names ``source``."""
        try:
            cfg = cls(threshold=int(data["threshold"]), consecutive=int(data["consecutive"]),
                      refractory_s=float(data["refractory_s"]), background=int(data["background"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFileError(f"{source}: expected threshold, consecutive, refractory_s and "
                                f"background ({exc})") from None
        if not (0 <= cfg.threshold <= 256 and 1 <= cfg.consecutive <= 255
                and 0.0 <= cfg.refractory_s <= 3600.0 and 0 <= cfg.background <= NONE):
            raise DataFileError(f"{source}: {cfg.to_dict()} out of range (threshold 0..256, "
                                "consecutive 1..255, refractory_s 0..3600, background a class "
                                "or 255)")
        return cfg


def detector_for(classes: list[str], background: str | None = None, threshold: float = 0.7,
                 consecutive: int = 3, refractory_s: float = 1.0) -> GestureConfig:
    """A detector for ``classes``: ``background`` names the class that is no gesture (None:
    every class is one); ``threshold`` is a probability."""
    if background is not None and background not in classes:
        raise DataFileError(f"--background-class {background!r}: not one of the classes "
                            f"{', '.join(classes)}")
    if not 0.0 <= threshold <= 1.0:
        raise DataFileError(f"--threshold {threshold}: expected a probability in [0, 1]")
    if not 0.0 <= refractory_s <= 3600.0:
        raise DataFileError(f"--refractory-s {refractory_s}: expected 0..3600 seconds")
    if not 1 <= consecutive <= 255:
        raise DataFileError(f"--consecutive {consecutive}: expected 1..255 frames")
    return GestureConfig(int(round(threshold * 256)), consecutive, float(refractory_s),
                         classes.index(background) if background is not None else NONE)


def model_detector(metadata: dict, n_classes: int) -> GestureConfig:
    """The detector a model carries (metadata ``detector``); a model without one gets the
    seed's (background class 3 when it has 4 classes, else none)."""
    if "detector" in metadata:
        return GestureConfig.from_dict(metadata["detector"], "model metadata 'detector'")
    return GestureConfig(background=3 if n_classes == 4 else NONE)


def model_preprocess(metadata: dict) -> PreprocessConfig:
    """The preprocessing a model was trained with (metadata ``preprocess``; the seed's if none)."""
    if "preprocess" not in metadata:
        return PreprocessConfig()
    return PreprocessConfig.from_dict(metadata["preprocess"], "model metadata 'preprocess'")


def detect_events(classes: np.ndarray, p256: np.ndarray, config: GestureConfig = GestureConfig(),
                  frame_rate_hz: float = 18.0) -> np.ndarray:
    """Events per frame (class index or NONE) for frame ``classes`` (NONE: no frame) and the
    probability x 256 of each frame's class at ``frame_rate_hz``; the rules of tp_gesture.c."""
    classes = np.asarray(classes, dtype=np.int64)
    p256 = np.asarray(p256, dtype=np.int64)
    consecutive = max(1, int(config.consecutive))
    refractory = config.refractory_frames(frame_rate_hz)
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
        candidate, run, quiet_left = NONE, 0, refractory
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
    one non-background label (-1, unlabeled, is none); its first event of that class within
    the run or the ``slack`` sweeps after it detects it (the window lags the motion by up to a
    frame)."""
    events = np.asarray(events, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    segments: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            if labels[start] != background and labels[start] >= 0:
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
