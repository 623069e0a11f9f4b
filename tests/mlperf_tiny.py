"""The shared MLPerf Tiny int8 models and their sample inputs, for tests (skip when absent)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sdk.paths import SHARED_DIR

MODELS_DIR = SHARED_DIR / "models" / "mlperf_tiny"
KWS = "kws_ref_model.tflite"
AD = "ad01_int8.tflite"


def model_path(name: str) -> Path:
    """Path of a shared model; skips the test when ../shared is not there (a user's clone)."""
    path = MODELS_DIR / name
    if not path.is_file():
        pytest.skip(f"{path} not found: the MLPerf Tiny models live in ../shared, which only "
                    "the development checkout has")
    return path


def kws_sample() -> np.ndarray:
    """The int8 spectrogram of inputs/kws_input_data.cc (the C array ``g_kws_inputs``), NHWC."""
    text = (model_path(KWS).parent / "inputs" / "kws_input_data.cc").read_text()
    body = text[text.index("{", text.index("g_kws_inputs")):]
    values = np.array([int(v) for v in re.findall(r"-?\d+", body)], dtype=np.int8)
    return values.reshape(-1, 1, 49, 10, 1)[0]


def ad_windows() -> np.ndarray:
    """inputs/normal_id_01_00000000_hist_librosa.bin: little-endian float32 log-mel features,
    40 windows of 5 frames x 128 mel bands, one model input (640 values) per row."""
    raw = model_path(AD).parent / "inputs" / "normal_id_01_00000000_hist_librosa.bin"
    return np.fromfile(raw, dtype="<f4").reshape(-1, 640)
