"""The q15 preprocessing (device/dsp/tp_dsp_q15.c, host gcc build) step by step: the depth mean
without a division and the log scaling with table-driven normalization against their plain
definitions, the generator's overflow proof, and the accuracy docs/radar.md reports. Frames
are compared with numpy at the documented tolerance in tests/device/test_radar_dsp.py and with the
MSP430 build in tests/boards/test_radar_dsp_msp430.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sdk.errors import UnsupportedError
from sdk.paths import DEVICE_DIR, ROOT
from sdk.radar import dsp_tables
from sdk.radar import preprocess as prep
from sdk.radar.c_preprocess import build_host_preprocessor, c_frames
from sdk.radar.dataset import load_dataset, synthesize
from sdk.radar.dsp_tables import render_header, write_header
from sdk.radar.simulator import SimConfig

DSP = DEVICE_DIR / "dsp"
UNITS = ROOT / "tests" / "c" / "dsp_q15_units.c"

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


def _units(tmp: Path, depths: int, config: prep.PreprocessConfig = prep.PreprocessConfig()
           ) -> tuple[Path, str]:
    header = write_header(tmp / f"tables_{depths}.h", config, depths)
    exe = tmp / f"units_{depths}"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                    f'-DTP_DSP_TABLES_HEADER="{header.resolve()}"', "-I", str(DSP), str(UNITS),
                    "-o", str(exe)], check=True, capture_output=True, timeout=60)
    return exe, header.read_text()


def _ask(exe: Path, lines: list[str]) -> list[int]:
    out = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True, timeout=60).stdout
    return [int(v) for v in out.split()]


def _mean_ring(values: np.ndarray) -> int:
    """round(mean * 4) with halves away from zero, saturated to int16 (docs/radar.md)."""
    total, count = int(values.sum()) * 4, len(values)
    q = (abs(total) + count // 2) // count
    return int(np.clip(q if total >= 0 else -q, -32768, 32767))


# 30 depths: groups of 1, 120: of 4 (both exact), 240: of 8 (a rounding shift), 827: of 27 and
# 28 (restoring division).
@pytest.mark.parametrize("depths", [30, 120, 240, 827])
def test_depth_mean_is_the_rounded_saturated_mean(tmp_path: Path, depths: int) -> None:
    exe, header = _units(tmp_path, depths)
    assert ("TP_DSP_COUNT_LOG2" in header) == (depths in (30, 120, 240))
    counts = sorted(set(np.diff(prep.depth_edges(depths, 30)).tolist()))
    rng = np.random.default_rng(depths)
    cases = []
    for count in counts:
        for kind in range(6):
            for _ in range(300):
                if kind == 0:
                    v = rng.integers(-32768, 32768, count)
                elif kind == 1:      # full scale: saturates
                    v = rng.choice([-32768, 32767], count)
                elif kind == 2:      # small: rounding ties
                    v = rng.integers(-3, 4, count)
                elif kind == 3:      # near the ring's limit of +-8191.75 raw units
                    v = rng.integers(8185, 8198, count) * rng.choice([-1, 1])
                elif kind == 4:
                    v = np.full(count, rng.integers(-32768, 32768))
                else:
                    v = rng.integers(-600, 600, count)
                cases.append(v.astype(np.int64))
    got = _ask(exe, [f"m {len(v)} " + " ".join(map(str, v)) for v in cases])
    want = [_mean_ring(v) for v in cases]
    assert got == want


def _scale_reference(re_: int, im: int, header: str) -> int:
    """The log scaling as defined (docs/radar.md): shift |re|, |im| right until both are below
    2^15, log2 of the power from its leading bit and the interpolated 32-segment table, then
    clip(floor((log2 - OFFSET) * GAIN / 4096), 0, 32767)."""
    def value(name: str) -> int:
        return int(re.search(rf"#define {name} (-?\d+)", header).group(1))

    table = [int(v) for v in re.search(r"tp_dsp_log2_q12\[33\] = \{([^}]*)\}", header).group(1).split(",")]
    ar, ai, shifted = abs(re_), abs(im), 0
    while (ar | ai) >= 1 << 15:
        ar, ai, shifted = ar >> 1, ai >> 1, shifted + 1
    power = ar * ar + ai * ai
    if power == 0:
        return 0
    e = power.bit_length() - 1
    t = (power << (30 - e)) >> 17                 # the 13 bits below the leading one
    index, frac = (t >> 8) & 31, t & 0xFF
    log2 = ((e + 2 * shifted) << 12) + table[index] + (((table[index + 1] - table[index]) * frac) >> 8)
    d = log2 - value("TP_DSP_OFFSET_Q12")
    return int(min(max((d * value("TP_DSP_GAIN_LOG2")) // 4096, 0), 32767))


# the default, and other fixed scalings (other offsets and gains, both ends of the table)
@pytest.mark.parametrize("floor_db,ceil_db", [(10.0, 70.0), (0.0, 70.0), (20.0, 60.0), (10.0, 35.0)])
def test_log_scaling_matches_its_definition(tmp_path: Path, floor_db: float, ceil_db: float) -> None:
    exe, header = _units(tmp_path, 120, prep.PreprocessConfig(floor_db=floor_db, ceil_db=ceil_db))
    rng = np.random.default_rng(7)
    cases = [(0, 0), (1, -1), (2**31 - 1, 0), (0, -(2**31 - 1)), (-(2**31 - 1), 2**31 - 1)]
    for bits in range(1, 32):                     # every magnitude, both early exits included
        for _ in range(400):
            m = 1 << bits
            cases.append((int(rng.integers(-m, m)), int(rng.integers(-m, m))))
            cases.append((int(rng.integers(-m, m)), int(rng.integers(-(m >> 10) - 1, (m >> 10) + 1))))
    got = _ask(exe, [f"s {a} {b}" for a, b in cases])
    want = [_scale_reference(a, b, header) for a, b in cases]
    assert got == want
    assert 0 < sum(0 < g < 32767 for g in got) < len(got)  # all three regions reached


@pytest.mark.parametrize("direct", [False, True], ids=["pfa", "direct"])
def test_frames_stay_as_accurate_as_measured(tmp_path: Path, direct: bool) -> None:
    """docs/radar.md's figures with a margin (tests/device/test_radar_dsp.py keeps the wider earlier
    tolerance): on these sweeps max 9 (pfa) / 17 (direct) q15 steps, median about 1, at most
    2.7 for outputs above 0.5."""
    synthesize(tmp_path / "g.h5", per_class=2, seed=11, sim=SimConfig(recordings_per_session=1))
    sweeps = np.round(np.concatenate([r.iq_sweeps() for r in load_dataset(tmp_path / "g.h5").recordings]))
    exe = build_host_preprocessor(tmp_path, 120, q15=True, direct_dft=direct)
    got = c_frames(exe, sweeps, q15=True).astype(np.float64) * 32768
    ref = prep.frames(sweeps).astype(np.float64) * 32768
    err = np.abs(got - ref)
    assert err.max() <= 64 and np.median(err) <= 2
    assert err[ref > 0.5 * 32768].max() <= 4


def _q15_part(header: str) -> str:
    return header[header.index("#ifdef TP_DSP_TABLES_Q15"):header.index("#endif /* TP_DSP_TABLES_Q15 */")]


def test_generator_proves_the_q15_sums_fit_int32(monkeypatch) -> None:
    assert "#error" not in render_header(prep.PreprocessConfig(), 120)
    # Q15 constants without the shift would let a five-point sum overflow for a full-scale ring.
    monkeypatch.setattr(dsp_tables, "Q15_FFT_COEF_BITS", 15)
    assert "could overflow int32" in _q15_part(render_header(prep.PreprocessConfig(), 120))
    in_map = [(5 * n1 + 4 * n2) % 20 for n1 in range(4) for n2 in range(5)]
    with pytest.raises(UnsupportedError, match="could overflow int32"):
        dsp_tables._q15_tables(prep.PreprocessConfig(), prep.window_table(20), np.full(30, 4), in_map)


@pytest.mark.parametrize("floor_db,ceil_db,message", [(10.0, 30.0, "at least 24 dB"),
                                                      (-20.0, 70.0, "too low")])
def test_log_scalings_the_q15_path_cannot_do_stop_only_q15_builds(
        tmp_path: Path, floor_db: float, ceil_db: float, message: str) -> None:
    config = prep.PreprocessConfig(floor_db=floor_db, ceil_db=ceil_db)
    header = write_header(tmp_path / "t.h", config, 120)
    assert '#error "not supported: q15 log scaling' in _q15_part(header.read_text())
    assert message in header.read_text()
    for src, ok in (("tp_dsp_f32.c", True), ("tp_dsp_q15.c", False)):
        proc = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-c",
                               f'-DTP_DSP_TABLES_HEADER="{header}"', "-I", str(DSP), str(DSP / src),
                               "-o", str(tmp_path / "o.o")], capture_output=True, text=True, timeout=60)
        assert (proc.returncode == 0) == ok, proc.stderr
        assert ok or message in proc.stderr
