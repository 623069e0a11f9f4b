"""Issue 17's acceptance chain on simulated A121-style data (bursts of 16 sweeps at 1 kHz over
6 depth points, tests/a121_style.py): pack, train (3 and 5 classes), int8, build, stream on a
board and compare with the host; the model's rate paces the firmware; model/recording
mismatches are one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from a121_style import FIVE, PATTERN, THREE, record_a121_gestures, write_a121_bursts
from rate_pacing import assert_paced_by_the_rate, rate_model_and_recording

from cli_helpers import assert_one_line_error, cli
from host.cli_stream import run_stream
from sdk.boards import load_board
from sdk.ir import load_model
from sdk.radar.dataset import load_dataset
from sdk.radar.describe import check_stream
from sdk.radar.preprocess import PreprocessConfig

pytestmark = pytest.mark.timeout(300)
HAVE_QEMU = shutil.which("qemu-system-arm") is not None and shutil.which("arm-none-eabi-gcc")


def _pack_and_train(tmp: Path, gestures: dict[str, str], model: str, context: int) -> Path:
    paths = record_a121_gestures(tmp / "rec", gestures)
    packed = cli("data", "pack", *map(str, paths), "--label-pattern", PATTERN,
                 "--context-frames", str(context), "--out", str(tmp / "ds.h5"), "--json", cwd=tmp)
    assert packed.returncode == 0, packed.stderr
    pre = json.loads(packed.stdout)["preprocess"]
    assert (pre["window_sweeps"], pre["hop"], pre["depth_bins"], pre["sweep_rate_hz"],
            pre["context_frames"]) == (16, 16, 6, 1000.0, context)
    assert pre["floor_db"] != 10.0 and pre["ceil_db"] != 70.0  # calibrated from the data
    trained = cli("train", "--model", model, "--data", str(tmp / "ds.h5"), "--out",
                  str(tmp / "m.tpm"), "--epochs", "2", "--int8", "--refractory-s", "0.1",
                  "--threshold", "0", "--consecutive", "1", "--json", "--c-preprocess", cwd=tmp)
    assert trained.returncode == 0, trained.stderr
    report = json.loads(trained.stdout.strip().splitlines()[-1])
    assert report["classes"] == sorted(gestures)
    # the C float preprocessing of the test inputs (calibrated scaling, step 6, the context)
    check = report["c_preprocess"]
    assert check["frames"] == report["frames"]["test"] > 0 and check["differing_frames"] == 0
    assert check["max_abs_frame_diff"] <= 1e-4 / min(pre["row_std"])
    assert "Traceback" not in trained.stderr
    return tmp / "m_int8.tpm"


@pytest.mark.parametrize("gestures,model,board,context", [
    (THREE, "gesture_cnn", "host", 1),
    pytest.param(FIVE, "gesture_tcn", "qemu_m7", 4, marks=pytest.mark.skipif(
        not HAVE_QEMU, reason="qemu-system-arm or arm-none-eabi-gcc missing (./setup.sh)")),
], ids=["3-class-cnn-host", "5-class-tcn-qemu"])
def test_pack_train_int8_run_chain(tmp_path: Path, gestures, model, board, context) -> None:
    int8_model = _pack_and_train(tmp_path, gestures, model, context)
    graph = load_model(int8_model)
    assert graph.tensors[graph.outputs[0]].size == len(gestures)
    assert tuple(graph.tensors[graph.inputs[0]].shape) == (1, context * 6, 16, 1)
    detector = graph.metadata["detector"]
    assert detector["refractory_s"] == 0.1 and detector["background"] == sorted(gestures).index("empty")
    # A raw A121 test recording (24 bursts) through the firmware: the same classes and events
    # as the host, one RESULT per sweep, a frame per burst once the context is full.
    rep = run_stream(str(int8_model), board, str(tmp_path / "rec" / "s2" / "swipe_0.h5"),
                     fast=True, out=tmp_path / "fw")
    assert rep["sweeps"] == 24 * 16 and rep["frames"] == 24 - context + 1
    assert rep["classes_equal"] and rep["events_equal"] and not rep["device_errors"]
    assert rep["frame_rate_hz"] == 62.5
    clock = load_board(board).clock_hz
    assert rep["deadline_budget"] == (int(clock / 62.5) if board != "host" else 0)
    if board == "qemu_m7":
        assert rep["deadline_misses"] == 0 and 0 < rep["max_work"] < rep["deadline_budget"]


def test_a_recording_at_another_rate_or_layout_is_one_line(tmp_path: Path) -> None:
    int8_model = _pack_and_train(tmp_path, THREE, "gesture_cnn", 1)
    # an 18 Hz A111-style recording against the 1 kHz model
    seed = cli("data", "synth-stream", "--out", str(tmp_path / "slow.h5"), "--seconds", "3",
               cwd=tmp_path)
    assert seed.returncode == 0, seed.stderr
    proc = cli("run", str(int8_model), "--board", "host", "--data", str(tmp_path / "slow.h5"),
               "--fast", cwd=tmp_path)
    assert_one_line_error(proc, "slow.h5: 18 sweeps/s", f"model {int8_model}",
                          "expects 1000 sweeps/s")
    # the same sweeps at 1 kHz with 3 depth points: too few for the model's 6 depth rows
    paths = record_a121_gestures(tmp_path / "few", {"swipe": "swipe"}, sessions=1, points=3)
    proc = cli("run", str(int8_model), "--board", "host", "--data", str(paths[0]), "--fast",
               cwd=tmp_path)
    assert_one_line_error(proc, "3 depths per sweep", "reduces sweeps to 6 depth rows")
    # bursts of 32 sweeps, and bursts of 16 at 30 frames/s, against one frame per burst of
    # 16 at 62.5 frames/s
    sweeps = (np.random.default_rng(0).normal(size=(24 * 16, 6))
              + 1j * np.random.default_rng(1).normal(size=(24 * 16, 6))) * 100
    for name, spf, fps, needles in (
            ("b32.h5", 32, None, ("b32.h5: bursts of 32 sweeps", f"model {int8_model}",
                                  "16-sweep frames every 16 sweep(s)")),
            ("f30.h5", 16, 30.0, ("f30.h5: 30 frames/s", f"model {int8_model}",
                                  "expects 62.5 frames/s"))):
        rec = write_a121_bursts(tmp_path / name, sweeps, spf, 1000.0, frame_rate_hz=fps)
        proc = cli("run", str(int8_model), "--board", "host", "--data", str(rec), "--fast",
                   cwd=tmp_path)
        assert_one_line_error(proc, *needles)
    # the packed dataset's own recordings feed the model
    config = PreprocessConfig.from_dict(load_model(int8_model).metadata["preprocess"])
    for rec in load_dataset(tmp_path / "ds.h5").recordings:
        check_stream(rec, config)
    assert np.isfinite(load_model(int8_model).metadata["preprocess"]["floor_db"])


@pytest.mark.skipif(not HAVE_QEMU, reason="qemu-system-arm or arm-none-eabi-gcc missing (./setup.sh)")
def test_a_60_hz_stream_is_judged_against_a_60_hz_budget(tmp_path: Path) -> None:
    """The seed's int8 CNN takes about 9.4 M instructions per frame on qemu_m7: inside the
    18 Hz budget (216 MHz / 18 = 12 M), over the 60 Hz one (3.6 M). The same model at 60 Hz
    must report every frame as a miss, and at 18 Hz none; latency and the refractory period
    are counted at the model's rate."""
    import torch

    from sdk.compress.quantize import quantize_graph
    from sdk.frontends.pytorch import from_torch
    from sdk.zoo import get

    torch.manual_seed(0)
    net = get("gesture_cnn").build(4, (30, 20)).eval()
    last = [m for m in net.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.bias[0] = 50.0  # every frame a confident swipe
    graph = from_torch(net, (1, 1, 30, 20), "cnn")
    calib = np.random.default_rng(0).uniform(0, 1, (8, 30, 20, 1)).astype(np.float32)
    qgraph = quantize_graph(graph, calib, progress=False)
    clock = load_board("qemu_m7").clock_hz
    for rate in (18.0, 60.0):
        model, rec = rate_model_and_recording(qgraph, tmp_path, rate, 26)
        rep = run_stream(str(model), "qemu_m7", str(rec), fast=True, out=tmp_path / f"fw{rate:g}")
        assert_paced_by_the_rate(rep, rate, clock, 7)
        frame_work = rep["profile"]["preprocess"] + rep["profile"]["inference"]
        assert 3_600_000 < frame_work < 12_000_000
        assert rep["deadline_misses"] == (0 if rate == 18.0 else rep["frames"])


def test_data_info_says_how_data_pack_takes_a_burst_recording(tmp_path: Path) -> None:
    """Bursts with gaps do not fit the seed's 20-sweep sliding window, but `data pack` takes
    them, one frame per burst at the record's own rates: `data info` says both."""
    paths = record_a121_gestures(tmp_path, {"swipe": "swipe"}, sessions=1)
    proc = cli("data", "info", str(paths[0]), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert not info["gesture"]["preprocessable"] and "gaps" in info["gesture"]["why_not"]
    pack = info["pack"]
    assert pack["preprocessable"] and "-> 24 frames of 6 x 16, one every 16" in pack["how"]
    assert {k: pack["preprocess"][k] for k in ("window_sweeps", "hop", "depth_bins",
                                               "sweep_rate_hz", "burst_rate_hz")} == {
        "window_sweeps": 16, "hop": 16, "depth_bins": 6, "sweep_rate_hz": 1000.0,
        "burst_rate_hz": 62.5}
    human = cli("data", "info", str(paths[0]), cwd=tmp_path)
    assert "gesture preprocessing (the seed's 30 x 20 frames at 18 Hz): not possible" in \
        human.stdout.replace("\n", " ")
    assert "data pack (its own rate and depths, a frame per burst): 384 complex sweeps" in \
        human.stdout.replace("\n", " ")
