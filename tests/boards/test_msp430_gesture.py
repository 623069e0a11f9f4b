"""The real-time gesture app on msp430fr6989 (docs/gestures.md, "On the MSP430"): built with
the binary gesture network, streamed sweep by sweep through one mspdebug session, classes
and events equal to the host's (q15 preprocessing built for the host, the same input table,
the reference executor, the detector), per-sweep MCLK cycles exact and repeatable, deadline
misses counted honestly; a model too large fails at build naming the region."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from host.cli_stream import run_stream, simulated_recording  # noqa: E402
from host.gesture_fw import build_gesture_firmware, q15_input_table, q15_model_input  # noqa: E402
from host.msp430_stream import Turn, sweep_cycles  # noqa: E402
from sdk.protocol.frame import Frame, encode_frame  # noqa: E402
from sdk.protocol.messages import GetStats, Sweep, pack_message  # noqa: E402
from sdk.radar.gestures import GestureConfig, quantize_input  # noqa: E402

MISSING = [t for t in ("clang-14", "ld.lld-14", "mspdebug") if shutil.which(t) is None]
needs_msp430 = pytest.mark.skipif(bool(MISSING), reason=f"{', '.join(MISSING)} not installed")
# Every frame of a non-background class fires (after one frame, with a short refractory
# period), so the untrained network's classes exercise the detector.
EAGER = GestureConfig(threshold=0, consecutive=1, refractory_s=0.1, background=3)


def _frame(msg, seq: int) -> bytes:
    return encode_frame(Frame(msg.TYPE, seq, pack_message(msg), 0))


def test_a_turn_counts_for_a_sweep_only_when_it_carried_that_sweep_alone():
    sweep = [Sweep(i, tuple(range(60))) for i in range(3)]
    turns = [Turn(_frame(sweep[0], 1), 100, 1100, b""),
             Turn(_frame(sweep[1], 2) + _frame(GetStats(0), 3), 1100, 1500, b""),
             Turn(_frame(sweep[2], 4), 1500, 1700, b""), Turn(b"", 1700, 1750, b"")]
    assert sweep_cycles(turns, 3) == [1000, None, 200]
    assert sweep_cycles(turns[:1], 2) == [1000, None]  # sweep 1 never arrived


def test_q15_input_table_quantizes_the_middle_of_each_run_of_128():
    scale, zp = 1.0 / 255.0, -128
    table = q15_input_table(scale, zp)
    mid = ((np.arange(256) + 0.5) * 128 / 32768).astype(np.float32)
    np.testing.assert_array_equal(table, quantize_input(mid, scale, zp))
    assert np.all(np.diff(table.astype(int)) >= 0) and table[0] == -128 and table[-1] == 127
    q15 = np.array([-5, 0, 127, 128, 32767])
    np.testing.assert_array_equal(q15_model_input(q15, table),
                                  table[[0, 0, 0, 1, 255]])


@pytest.fixture(scope="module")
def bnn_model(tmp_path_factory) -> Path:
    from sdk.bnn.export import export_binary
    from sdk.bnn.models import bnn_gesture_msp430
    from sdk.ir import save_model

    torch.manual_seed(3)
    model = bnn_gesture_msp430()
    for m in model.modules():  # running statistics away from 0/1: thresholds of all kinds
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                m.running_mean.uniform_(-4, 4)
                m.weight.uniform_(-1, 1)
    graph = export_binary(model, (1, 1, 30, 20), "bnn_gesture_msp430")
    return save_model(graph, tmp_path_factory.mktemp("bnn") / "bnn_gesture_msp430.tpm")


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    return simulated_recording(tmp_path_factory.mktemp("rec") / "swipe.h5", "swipe", seed=1)


@pytest.fixture(scope="module")
def streamed(bnn_model, recording):
    return [run_stream(str(bnn_model), "msp430fr6989", str(recording), gesture=EAGER)
            for _ in range(2)]


@pytest.mark.msp430
@needs_msp430
def test_stream_equals_the_host_classes_and_events(streamed):
    rep = streamed[0]
    assert rep["sweeps"] == rep["results"] == 24
    assert rep["frames"] == 5  # sweeps 19..23: the sliding window's first five frames
    assert rep["classes_equal"] and rep["events_equal"], rep
    assert rep["events"] == rep["host_events"] and rep["events"]  # the detector fired
    assert rep["crc_errors"] == rep["framing_errors"] == rep["sequence_gaps"] == 0
    assert rep["stack_intact"] and rep["board"] == "msp430fr6989"
    assert rep["counter_unit"] == "cycles" and rep["deadline_budget"] == 16_000_000 // 18


@pytest.mark.msp430
@needs_msp430
def test_per_sweep_cycles_are_exact_and_cover_the_firmware_s_work(streamed):
    first, second = streamed
    cycles = first["sweep_cycles"]
    assert None not in cycles and cycles == second["sweep_cycles"]  # to the cycle
    assert first["profile"] == second["profile"]
    outside = first["sweep_cycles_outside_work"]
    # Reception, protocol and loop cost the same order of cycles for every sweep; the
    # classified ones add preprocessing that completes a frame plus the inference.
    assert all(0 < o < 200_000 for o in outside)
    budget = first["deadline_budget"]
    assert first["sweep_deadline_misses"] == sum(c > budget for c in cycles)
    # The firmware judges preprocessing plus inference, the host the whole sweep.
    assert first["deadline_misses"] <= first["sweep_deadline_misses"]
    assert first["max_sweep_cycles"] == max(cycles) > first["max_work"]
    prof = first["profile"]
    assert prof["inference"] >= sum(s["count"] for s in prof["steps"])
    classified = [i for i, c in enumerate(cycles) if c > 300_000]
    assert classified == list(range(19, 24))


@pytest.mark.msp430
@needs_msp430
def test_a_model_too_large_fails_at_build_naming_the_region(tmp_path):
    from host.build import DoesNotFit
    from sdk.bnn.export import export_binary
    from sdk.bnn.models import Conv, binary_net
    from sdk.ir import save_model

    torch.manual_seed(0)
    graph = export_binary(binary_net((1, 30, 20), [Conv(16, stride=2)], [96], 4),
                          (1, 1, 30, 20), "too_large")
    model = save_model(graph, tmp_path / "too_large.tpm")
    with pytest.raises(DoesNotFit) as err:
        build_gesture_firmware(graph, model, "msp430fr6989", tmp_path / "fw")
    fram = next(o for o in err.value.overflows if o.region == "FRAM")
    assert fram.used_bytes > fram.limit_bytes == 48000
    assert f"region FRAM (flash, limit 48000 bytes) overflowed by {fram.over_bytes} bytes" \
        in str(err.value)


@pytest.mark.msp430
@needs_msp430
def test_an_arena_the_app_leaves_no_sram_for_goes_to_fram(tmp_path):
    """1,450 B of arena fit the board's SRAM budget for an arena (1,472 B) but not beside the
    gesture app's own SRAM: the build puts the arena in FRAM instead of failing."""
    from sdk.bnn.export import export_binary
    from sdk.bnn.models import Conv, binary_net
    from sdk.ir import save_model

    torch.manual_seed(0)
    graph = export_binary(binary_net((1, 30, 20), [Conv(24, stride=2), Conv(32, pool=True)], [],
                                     4), (1, 1, 30, 20), "mid")
    model = save_model(graph, tmp_path / "mid.tpm")
    build = build_gesture_firmware(graph, model, "msp430fr6989", tmp_path / "fw")
    assert build.plan.layout is not None and build.plan.layout.arena == "FRAM"
    assert build.plan.arena_bytes <= 1472 and build.size.ram_bytes <= 2048


@pytest.mark.msp430
@needs_msp430
def test_a_session_that_never_stops_is_killed_within_its_limit(tmp_path):
    from host.build import build_sources
    from host.mspdebug_session import MspdebugSession
    from sdk.boards import load_board
    from sdk.errors import TinypruneError, ToolchainError
    from sdk.paths import DEVICE_DIR

    src = tmp_path / "spin.c"
    src.write_text('#include "tp_board.h"\nint main(void)\n{\n    tp_board_init();\n'
                   '    for (;;) {\n    }\n}\n')
    board = load_board("msp430fr6989")
    elf, _map, _cmd = build_sources(board, [src, *[board.dir / s for s in board.sources]],
                                    tmp_path, [DEVICE_DIR / "app"], name="spin")
    with pytest.raises(TinypruneError, match="no symbol tp_no_such_function"):
        MspdebugSession(elf, ["tp_no_such_function"])
    session = MspdebugSession(elf, ["__stop"], timeout_s=1.0)
    with pytest.raises(ToolchainError, match="within 1 s; killed"):
        session.run()
    assert session.proc.poll() is not None  # the simulator is gone


def test_a_standardized_model_is_refused_by_the_q15_app(bnn_model):
    """The q15 -> int8 table reads frames in [0, 1): a model whose frames are standardized
    (signed), or whose frames the q15 transform cannot make, is refused before anything is
    built, not streamed with wrong inputs."""
    from host.gesture_fw import check_dsp
    from sdk.boards import load_board
    from sdk.errors import UnsupportedError
    from sdk.ir import load_model
    from sdk.radar.preprocess import PreprocessConfig

    graph = load_model(bnn_model)
    check_dsp(graph, load_board("msp430fr6989"))
    bins = PreprocessConfig().depth_bins
    graph.metadata["preprocess"] = PreprocessConfig(row_mean=(0.0,) * bins,
                                                    row_std=(1.0,) * bins).to_dict()
    with pytest.raises(UnsupportedError, match="standardized preprocessing"):
        check_dsp(graph, load_board("msp430fr6989"))
    check_dsp(graph, load_board("qemu_m7"))
    # frames of 16 sweeps (an A121 burst): the q15 transform is the 20-point FFT only
    graph.metadata["preprocess"] = PreprocessConfig(window_sweeps=16, hop=16).to_dict()
    with pytest.raises(UnsupportedError, match="frames have 16 sweeps in the q15 gesture app"):
        check_dsp(graph, load_board("msp430fr6989"))
    check_dsp(graph, load_board("qemu_m7"))


@pytest.mark.msp430
@needs_msp430
def test_info_reports_the_fram_and_sram_tinyprune_build_reports(bnn_model, tmp_path):
    """INFO's flash_used and ram_used (symbols of the board's linker script) equal the figures
    `tinyprune build --json` reports for the same firmware."""
    from cli_helpers import cli
    from host.gesture_stream import hello
    from host.link import Link
    from host.msp430_stream import start_msp430

    proc = cli("build", str(bnn_model), "--board", "msp430fr6989", "--app", "gesture", "--json",
               "--out", str(tmp_path / "fw"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    size = json.loads(proc.stdout)
    elf = tmp_path / size["elf"]
    with start_msp430(elf) as sim, Link(f"mspdebug:{elf.name}", port=sim) as link:
        info = hello(link)
    assert info.board == "msp430fr6989"
    assert (info.flash_used, info.ram_used) == (size["flash_bytes"], size["ram_bytes"])
    assert 0 < info.flash_used <= 48_000 and 0 < info.ram_used <= 2_048


@pytest.mark.msp430
@needs_msp430
def test_a_60_hz_stream_is_judged_against_a_60_hz_budget_on_the_msp430(tmp_path):
    """The q15 preprocessing alone takes about 293 k cycles per frame: inside the 18 Hz budget
    (16 MHz / 18 = 888,888), over the 60 Hz one (266,666). A small int8 model (always a
    confident swipe) at 60 Hz misses every frame and at 18 Hz none; its latency and refractory
    period are counted at the model's rate, in the firmware and in the report."""
    from rate_pacing import assert_paced_by_the_rate, rate_model_and_recording

    from sdk.compress.quantize import quantize_graph
    from sdk.frontends.pytorch import from_torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(600, 4)).eval()
    with torch.no_grad():
        net[1].bias[0] = 50.0
    calib = np.random.default_rng(0).uniform(0, 1, (8, 30, 20, 1)).astype(np.float32)
    qgraph = quantize_graph(from_torch(net, (1, 1, 30, 20), "dense"), calib, progress=False)
    for rate in (18.0, 60.0):
        model, rec = rate_model_and_recording(qgraph, tmp_path, rate, 26)
        rep = run_stream(str(model), "msp430fr6989", str(rec), out=tmp_path / f"fw{rate:g}")
        assert_paced_by_the_rate(rep, rate, 16_000_000, 7)
        config = (tmp_path / f"fw{rate:g}" / "gesture_config.h").read_text()
        assert f"#define TP_APP_G_REFRACTORY {round(0.1 * rate)}u" in config
        assert 266_666 < rep["max_work"] < 888_888
        assert rep["deadline_misses"] == (0 if rate == 18.0 else rep["frames"])
