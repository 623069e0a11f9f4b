"""device/dsp (C, float and q15) against the numpy reference preprocessing on the same sweeps."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sanitizers import SANITIZE
from sdk.errors import UnsupportedError
from sdk.paths import DEVICE_DIR, SHARED_DIR
from sdk.radar import preprocess as prep
from sdk.radar.c_preprocess import build_host_preprocessor, c_frames
from sdk.radar.dataset import load_dataset, synthesize
from sdk.radar.dsp_tables import render_header
from sdk.radar.simulator import SimConfig

DSP = DEVICE_DIR / "dsp"
OBSTACLE = SHARED_DIR / "data" / "acconeer_a111" / "obstacle_detection" / "input.h5"
WARN = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
ARM = ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
Q15_LSB_8BIT = 128  # one step of an 8-bit quantization of [0, 1], in q15 units

need_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


def _driver(tmp: Path, depths: int, q15: bool, direct: bool, sanitize: bool = False) -> Path:
    """device/dsp built for the host through the one stdio driver (device/dsp/host/
    tp_dsp_stdio.c), exactly as sdk.radar.c_preprocess builds it (plus ASan and UBSan in the
    sanitized lane)."""
    return build_host_preprocessor(tmp, depths, prep.PreprocessConfig(), q15=q15,
                                   direct_dft=direct, cflags=SANITIZE if sanitize else ())


def _run(exe: Path, sweeps: np.ndarray, q15: bool) -> np.ndarray:
    iq = np.stack([sweeps.real, sweeps.imag], axis=-1)
    data = iq.astype("<i2") if q15 else iq.astype("<f4")
    out = subprocess.run([str(exe)], input=data.tobytes(), capture_output=True, check=True, timeout=60).stdout
    return np.frombuffer(out, "<i2" if q15 else "<f4").reshape(-1, 30, 20)


def _random_sweeps(depths: int, rng: np.random.Generator) -> np.ndarray:
    """Noise plus a few moving and static reflectors, in raw A111 units (tens to hundreds)."""
    t = np.arange(60)[:, None]
    d = np.arange(depths)[None, :]
    x = rng.normal(0, 20, (60, depths)) + 1j * rng.normal(0, 20, (60, depths))
    for _ in range(4):
        centre, width = rng.uniform(0, depths), rng.uniform(2, 10)
        tone = rng.uniform(50, 600) * np.exp(1j * (rng.uniform(-np.pi, np.pi) * t + rng.uniform(0, 6)))
        x += tone * np.exp(-((d - centre) / width) ** 2)
    return x


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    out = {"random": _random_sweeps(120, rng)}
    path = tmp_path_factory.mktemp("dsp") / "g.h5"
    synthesize(path, per_class=2, seed=11, sim=SimConfig(recordings_per_session=1))
    out["simulated"] = np.concatenate([r.iq_sweeps() for r in load_dataset(path).recordings])
    return out


@need_gcc
@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitized"])
@pytest.mark.parametrize("direct", [False, True], ids=["pfa", "direct"])
def test_float_matches_numpy(tmp_path: Path, cases, direct: bool, sanitize: bool) -> None:
    exe = _driver(tmp_path, 120, q15=False, direct=direct, sanitize=sanitize)
    for name, sweeps in cases.items():
        ref = prep.frames(sweeps)
        got = _run(exe, sweeps, q15=False)
        assert got.shape == ref.shape and 0.05 < ref.mean() < 0.9, name
        # 1e-4 relative to the output's full scale [0, 1]
        assert np.abs(got - ref).max() <= 1e-4, name


@need_gcc
@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitized"])
@pytest.mark.parametrize("direct", [False, True], ids=["pfa", "direct"])
def test_q15_matches_numpy(tmp_path: Path, cases, direct: bool, sanitize: bool) -> None:
    exe = _driver(tmp_path, 120, q15=True, direct=direct, sanitize=sanitize)
    for name, sweeps in cases.items():
        sweeps = np.round(sweeps)  # the q15 path takes int16 I,Q as the sensor sends them
        ref = prep.frames(sweeps).astype(np.float64) * 32768
        err = np.abs(_run(exe, sweeps, q15=True) - ref)
        assert err.max() <= 2 * Q15_LSB_8BIT, name        # within 2 LSB after scaling to 8 bits
        assert np.median(err) <= 16, name                 # typically within a few q15 steps
        assert err[ref > 0.5 * 32768].max(initial=0) <= 16, name


@need_gcc
@pytest.mark.skipif(not OBSTACLE.is_file(), reason=f"shared A111 recording {OBSTACLE} not found")
def test_recorded_sweeps_float_and_q15(tmp_path: Path) -> None:
    from sdk.radar.recording import load_recording

    sweeps = load_recording(OBSTACLE).iq_sweeps()[:60]  # integer IQ, 827 depths, 0.1-0.5 m
    ref = prep.frames(sweeps)
    assert np.abs(_run(_driver(tmp_path, 827, False, False), sweeps, False) - ref).max() <= 1e-4
    err = np.abs(_run(_driver(tmp_path, 827, True, False), sweeps, True) - ref.astype(np.float64) * 32768)
    assert err.max() <= 2 * Q15_LSB_8BIT


def test_committed_tables_match_the_generator() -> None:
    committed = (DSP / "tp_dsp_tables.h").read_text()
    assert committed == render_header(prep.PreprocessConfig(), 120)
    # Another N takes the float direct DFT; the q15 path (4 x 5 FFT) refuses it at compile time.
    burst = render_header(prep.PreprocessConfig(window_sweeps=16, hop=16), 120)
    assert "#define TP_DSP_DIRECT_DFT" in burst and "#define TP_DSP_HOP 16" in burst
    assert "#error" in burst and "q15 preprocessing with window_sweeps=16" in burst
    with pytest.raises(UnsupportedError, match="window_sweeps=65"):
        render_header(prep.PreprocessConfig(window_sweeps=65), 120)


@pytest.mark.parametrize("compiler,flags", [
    ("arm-none-eabi-gcc", [*ARM, "-O2"]),
    ("clang-14", ["--target=msp430", "-Os"]),
], ids=["cortex-m7", "msp430"])
@pytest.mark.parametrize("direct", [False, True], ids=["pfa", "direct"])
def test_cross_compiles_warning_free(tmp_path: Path, compiler: str, flags: list[str], direct: bool) -> None:
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not installed")
    sources = ["tp_dsp_q15.c", "tp_dsp_f32.c"]
    for src in sources:
        subprocess.run([compiler, *flags, *WARN, *(["-DTP_DSP_DIRECT_DFT"] if direct else []),
                        "-I", str(DSP), "-c", str(DSP / src), "-o", str(tmp_path / (src + ".o"))],
                       check=True, capture_output=True, timeout=60)


@pytest.mark.qemu
def test_m7_frame_cost_fft_beats_direct_dft() -> None:
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    from host.bench_dsp import VARIANTS, measure_m7

    cost = {name: measure_m7(defines) for name, defines in VARIANTS.items()}
    assert cost["float, 4x5 FFT"] < cost["float, direct DFT"]
    assert cost["q15, 4x5 FFT"] < cost["q15, direct DFT"]
    assert all(1_000 < n < 12_000_000 for n in cost.values())  # under the 55 ms budget at 216 MHz


# The preprocessing configurations the A121-style tests use (tests/a121_style.py): a burst of
# 16 sweeps per frame over few depths, overlapping bursts, and the seed's window every 2 sweeps.
DATA_CONFIGS = {
    "burst16x6": (6, prep.PreprocessConfig(window_sweeps=16, hop=16, depth_bins=6,
                                           sweep_rate_hz=1000.0, floor_db=-20.0, ceil_db=40.0)),
    "burst16hop4x3": (12, prep.PreprocessConfig(window_sweeps=16, hop=4, depth_bins=3,
                                                sweep_rate_hz=1000.0)),
    "seed_hop2": (120, prep.PreprocessConfig(hop=2)),
}


@need_gcc
@pytest.mark.parametrize("name", list(DATA_CONFIGS))
def test_float_matches_numpy_for_data_configs(tmp_path: Path, name: str) -> None:
    depths, config = DATA_CONFIGS[name]
    sweeps = _random_sweeps(depths, np.random.default_rng(9))
    exe = build_host_preprocessor(tmp_path, depths, config, cflags=SANITIZE)
    iq = np.stack([sweeps.real, sweeps.imag], axis=-1).astype("<f4")
    out = subprocess.run([str(exe)], input=iq.tobytes(), capture_output=True, check=True,
                         timeout=60).stdout
    got = np.frombuffer(out, "<f4").reshape(-1, *config.frame_shape)
    ref = prep.frames(sweeps, config)
    assert got.shape == ref.shape and len(ref) == (60 - config.window_sweeps) // config.hop + 1
    assert 0.05 < ref.mean() < 0.95 and np.abs(got - ref).max() <= 1e-4


def _standardized(config: prep.PreprocessConfig, sweeps: np.ndarray) -> prep.PreprocessConfig:
    """``config`` with step 6 calibrated on half of ``sweeps`` (the other half is then new data,
    as a test split is)."""
    out = prep.calibrate_standardization([sweeps[: len(sweeps) // 2]], config)
    assert out.standardized and len(set(out.row_std)) > 1
    return out


@need_gcc
@pytest.mark.parametrize("name,q15", [("burst16x6", False), ("seed_hop2", False),
                                      ("seed_hop2", True)], ids=["burst16x6", "seed", "seed-q15"])
def test_standardized_c_matches_numpy(tmp_path: Path, name: str, q15: bool) -> None:
    """Step 6 (per-depth-row standardization) in both C paths: the difference, taken back to the
    [0, 1] scale of step 5 (times the row's std), stays within the unstandardized paths'
    tolerance (q15: plus one output step of the product's shift)."""
    depths, config = DATA_CONFIGS[name]
    sweeps = _random_sweeps(depths, np.random.default_rng(9))
    if q15:
        sweeps = np.round(sweeps)
    config = _standardized(config, sweeps)
    exe = build_host_preprocessor(tmp_path, depths, config, q15=q15, cflags=SANITIZE)
    got = c_frames(exe, sweeps, q15, config)
    ref = prep.frames(sweeps, config)
    assert got.shape == ref.shape and ref.min() < -0.5 and ref.max() > 0.5
    assert abs(float(ref[: len(ref) // 2].mean())) < 0.2  # centred on the calibration half
    back = np.abs(got - ref) * np.asarray(config.row_std)[:, None]
    bound = (2 * Q15_LSB_8BIT / 32768 + prep.STD_CLIP / 32768) if q15 else 1e-4
    assert back.max() <= bound
    # the clip of step 6 is the q15 path's full scale
    assert np.abs(got).max() <= prep.STD_CLIP and np.abs(ref).max() <= prep.STD_CLIP


@pytest.mark.parametrize("compiler,flags", [
    ("arm-none-eabi-gcc", [*ARM, "-O2"]),
    ("clang-14", ["--target=msp430", "-Os"]),
], ids=["cortex-m7", "msp430"])
def test_standardized_cross_compiles_warning_free(tmp_path: Path, compiler: str,
                                                  flags: list[str]) -> None:
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not installed")
    config = prep.PreprocessConfig(row_mean=(0.25,) * 30, row_std=(0.1,) * 30)
    header = tmp_path / "std_tables.h"
    header.write_text(render_header(config, 120))
    assert "#define TP_DSP_STANDARDIZE" in header.read_text()
    for src in ("tp_dsp_q15.c", "tp_dsp_f32.c"):
        subprocess.run([compiler, *flags, *WARN, f'-DTP_DSP_TABLES_HEADER="{header}"', "-I",
                        str(DSP), "-c", str(DSP / src), "-o", str(tmp_path / (src + ".o"))],
                       check=True, capture_output=True, timeout=60)
