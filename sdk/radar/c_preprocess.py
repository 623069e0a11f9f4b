"""The device preprocessing (device/dsp, C) run on the host, to check a model frame for frame.

The preprocessing has one definition and two implementations (numpy, C): a model trained on
numpy-preprocessed frames must give the same predicted class for every test frame when the
frames come from the C implementation instead.
This module builds ``device/dsp`` natively with the host's gcc (``device/dsp/host/tp_dsp_stdio.c``:
sweeps on stdin, frames on stdout), preprocesses the recordings of one split of a dataset file
with it, and compares a model's predictions on both versions of the frames.

The float path (``tp_dsp_f32_push``, the Cortex-M7's) takes the recordings' float I,Q as they
are; the q15 path (the MSP430's) takes them rounded to int16, as the sensor sends them.
Command: ``tinyprune train ... --c-preprocess`` (or :func:`compare_split`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdk.errors import BuildError, ToolchainError
from sdk.paths import DEVICE_DIR
from sdk.radar import preprocess as prep
from sdk.radar.dataset import (
    DEFAULT_FRACTIONS,
    dataset_parts,
    input_labels,
    load_dataset,
    recording_sessions,
)
from sdk.radar.dsp_tables import write_header

DSP_DIR = DEVICE_DIR / "dsp"
STDIO_DRIVER = DSP_DIR / "host" / "tp_dsp_stdio.c"
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class FrameComparison:
    """Predictions of one model on the same frames preprocessed by numpy and by C.

    ``differing`` counts frames whose predicted class differs; ``max_abs_diff`` is the largest
    difference of any input pixel (frames are in [0, 1], or standardized).
    """

    frames: int
    differing: int
    accuracy_numpy: float
    accuracy_c: float
    max_abs_diff: float
    path: str

    def to_dict(self) -> dict:
        """JSON-able form (``tinyprune train --json``)."""
        return {"path": self.path, "frames": self.frames, "differing_frames": self.differing,
                "test_accuracy_numpy": self.accuracy_numpy, "test_accuracy_c": self.accuracy_c,
                "max_abs_frame_diff": self.max_abs_diff}


def build_host_preprocessor(out_dir: str | Path, depths_in: int,
                            config: prep.PreprocessConfig = prep.PreprocessConfig(),
                            q15: bool = False, direct_dft: bool = False,
                            cflags: Sequence[str] = ()) -> Path:
    """Compile device/dsp for the host (gcc) for sweeps of ``depths_in`` depths; returns the
    executable. Tables come from :func:`sdk.radar.dsp_tables.write_header` for ``config``;
    ``cflags`` are added to the compiler's (the tests' sanitizer flags)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise ToolchainError("gcc not found; the host build of device/dsp needs it "
                             "(sudo apt-get install -y gcc)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"tp_dsp_{depths_in}_{'q15' if q15 else 'f32'}{'_direct' if direct_dft else ''}"
    header = write_header(out / f"{name}_tables.h", config, depths_in)
    exe = out / name
    cmd = [gcc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", *cflags,
           *(["-DTP_DSP_Q15"] if q15 else []), *(["-DTP_DSP_DIRECT_DFT"] if direct_dft else []),
           f'-DTP_DSP_TABLES_HEADER="{header.resolve()}"', "-I", str(DSP_DIR), str(STDIO_DRIVER),
           str(DSP_DIR / ("tp_dsp_q15.c" if q15 else "tp_dsp_f32.c")), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no output"])[0]
        raise BuildError(f"device/dsp does not build for the host: {first}")
    return exe


def c_frames(exe: str | Path, sweeps: np.ndarray, q15: bool = False,
             config: prep.PreprocessConfig = prep.PreprocessConfig()) -> np.ndarray:
    """Frames ((T - N) // hop + 1, bins, N) float32 of complex ``sweeps`` (T, depths) by the host build
    ``exe``: q15 output divided by 32768, times ``STD_CLIP`` where the config standardizes
    (its q15 full scale)."""
    sweeps = np.asarray(sweeps)
    iq = np.stack([sweeps.real, sweeps.imag], axis=-1)
    data = (np.clip(np.round(iq), -32768, 32767).astype("<i2") if q15 else iq.astype("<f4"))
    proc = subprocess.run([str(exe)], input=data.tobytes(), capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise ToolchainError(f"{exe}: exit status {proc.returncode}")
    out = np.frombuffer(proc.stdout, "<i2" if q15 else "<f4").reshape(-1, *config.frame_shape)
    if not q15:
        return out.astype(np.float32)
    full = prep.STD_CLIP if config.standardized else 1.0
    return out.astype(np.float32) * np.float32(full / 32768.0)


def split_frames(path: str | Path, split: str = "test", use_c: bool = True, q15: bool = False,
                 fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
                 seed: int | None = None, work_dir: str | Path | None = None,
                 config: prep.PreprocessConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs and labels of one split of a dataset file, preprocessed by C (``use_c``) or
    by numpy with ``config`` (default: the dataset's; a model's own where `train` changed it),
    in the order and with the labels and time context of
    :func:`sdk.radar.dataset.load_splits`."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    ds = load_dataset(path)
    config = config or ds.preprocess
    labels = [input_labels(rec, config) for rec in ds.recordings]
    wanted = set(dataset_parts(ds, labels, fractions, seed)[split].tolist())
    xs, ys = [], []
    with tempfile.TemporaryDirectory() as tmp:
        build_dir = Path(work_dir) if work_dir is not None else Path(tmp)
        exes: dict[int, Path] = {}
        for rec, session, y in zip(ds.recordings, recording_sessions(ds), labels):
            if int(session) not in wanted:
                continue
            sweeps = rec.iq_sweeps()
            if use_c:
                depths = sweeps.shape[1]
                if depths not in exes:
                    exes[depths] = build_host_preprocessor(build_dir, depths, config, q15)
                x = prep.with_context(c_frames(exes[depths], sweeps, q15, config), config)
            else:
                x = prep.model_inputs(sweeps, config)
            xs.append(x[y >= 0])
            ys.append(y[y >= 0])
    empty = np.zeros((0, *config.input_shape), np.float32)
    return (np.concatenate(xs) if xs else empty,
            np.concatenate(ys) if ys else np.zeros(0, np.int64))


def compare_split(module, path: str | Path, split: str = "test", q15: bool = False,
                  seed: int | None = None,
                  config: prep.PreprocessConfig | None = None) -> FrameComparison:
    """Predicted classes of the PyTorch ``module`` on one split preprocessed (with ``config``,
    default the dataset's) by numpy and by the C implementation (float, or q15 with ``q15``),
    frame for frame."""
    from sdk.train.zoo_fit import nchw, predict

    x_ref, y = split_frames(path, split, use_c=False, seed=seed, config=config)
    x_c, y_c = split_frames(path, split, use_c=True, q15=q15, seed=seed, config=config)
    if x_ref.shape != x_c.shape or not np.array_equal(y, y_c):
        raise ToolchainError(f"{path}: C frames {x_c.shape} do not line up with numpy's {x_ref.shape}")
    if len(y) == 0:
        return FrameComparison(0, 0, 0.0, 0.0, 0.0, "q15" if q15 else "float")
    p_ref, p_c = predict(module, nchw(x_ref)), predict(module, nchw(x_c))
    return FrameComparison(len(y), int(np.sum(p_ref != p_c)), float(np.mean(p_ref == y)),
                           float(np.mean(p_c == y)), float(np.abs(x_ref - x_c).max()),
                           "q15" if q15 else "float")
