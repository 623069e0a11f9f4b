"""``tinyprune prune``: one model in the IR, and a small seeded sweep on the emulated board
that writes its CSV and plots and resumes without redoing a trial."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from cli_helpers import assert_one_line_error, cli
from graphs import residual_net
from int8_graphs import int8_residual_net
from sdk.errors import TinypruneError
from sdk.frontends.tflite_export import export_tflite
from sdk.ir import load_model, save_model
from sdk.radar.dataset import synthesize

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None
                                or shutil.which("arm-none-eabi-gcc") is None,
                                reason="qemu-system-arm or arm-none-eabi-gcc not installed")


def test_prune_an_imported_int8_tflite_in_the_ir(tmp_path):
    export_tflite(int8_residual_net(seed=2), tmp_path / "r.tflite")
    proc = cli("prune", "r.tflite", "--method", "l1_filter", "--amount", "0.5", "--out", "p.tpm",
               "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["macs_after"] < doc["macs_before"] and doc["structure"] == "channels"
    graph = load_model(tmp_path / "p.tpm")
    assert graph.metadata["pruning"]["channels_removed_fraction"] == 0.5


def test_prune_weights_of_a_float_graph_keeps_masks(tmp_path):
    save_model(residual_net(seed=1), tmp_path / "f.tpm")
    proc = cli("prune", "f.tpm", "--method", "global_magnitude", "--amount", "0.7", "--out",
               "p.tpm", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    masked = [t for t in load_model(tmp_path / "p.tpm").tensors.values() if t.mask is not None]
    assert masked and all(not t.data[~t.mask].any() for t in masked)


@pytest.mark.parametrize("args, needles", [
    (("--method", "l1_filter", "--amount", "0.95"), ("every one of the 8 output channels",)),
    (("--method", "l1_filter", "--amount", "1"), ("--amount", "[0, 1)")),
    (("--method", "magnitude", "--amount", "-0.2"), ("--amount", "[0, 1)")),
    (("--method", "pruney", "--amount", "0.5"), ("--method", "l1_filter")),
    (("--method", "magnitude", "--amount", "0.5", "--retrain-epochs", "2"), ("not supported",)),
])
def test_prune_errors_are_one_line_and_write_nothing(tmp_path, args, needles):
    export_tflite(int8_residual_net(seed=2), tmp_path / "r.tflite")
    assert_one_line_error(cli("prune", "r.tflite", *args, "--out", "p.tpm", cwd=tmp_path),
                          *needles)
    assert not (tmp_path / "p.tpm").exists()


@pytest.mark.qemu
@pytest.mark.slow  # about 40 s: three trials trained, built and run in QEMU
@needs_qemu
def test_a_small_seeded_sweep_writes_csv_and_plots_and_resumes(tmp_path):
    synthesize(tmp_path / "g.h5", per_class=15, seed=0)  # three sessions: train, val, test
    args = ("prune", "sweep", "--data", "g.h5", "--methods", "magnitude,l1_filter",
            "--amounts", "0.5", "--seeds", "0", "--dense-epochs", "1", "--retrain-epochs", "1",
            "--device-frames", "1", "--out", "sw", "--json")
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["ran"], doc["reused"], doc["failed"]) == (3, 0, [])
    assert "ESTIMATE" in doc["energy_note"] and "DS11853" in doc["energy_note"]
    with open(tmp_path / "sw" / "sweep.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["method"] for r in rows) == ["l1_filter", "magnitude", "none"]
    by = {r["method"]: r for r in rows}
    assert all(r["bit_exact"] == "True" for r in rows)
    assert int(by["l1_filter"]["instructions"]) < int(by["none"]["instructions"])
    assert int(by["l1_filter"]["flash_bytes"]) < int(by["none"]["flash_bytes"])
    assert float(by["magnitude"]["sparsity"]) > 0.3
    assert (tmp_path / "sw" / "sweep.png").stat().st_size > 10_000
    again = json.loads(cli(*args, cwd=tmp_path).stdout)
    assert (again["ran"], again["reused"]) == (0, 3)


@pytest.mark.parametrize("text, expected", [
    ("0.5:0.98", [0.5, 0.62, 0.74, 0.86, 0.98]), ("0.5:0.9:3", [0.5, 0.7, 0.9]),
    ("0.25,0.5", [0.25, 0.5]), ("0.6:0.6:1", [0.6])])
def test_amount_ranges(text, expected):
    from host.cli_prune import parse_amounts

    assert parse_amounts(text) == pytest.approx(expected)


def test_energy_is_the_board_figures_times_time():
    from host.energy import energy_model
    from sdk.boards import load_board

    m7 = energy_model(load_board("qemu_m7"))
    assert m7.joules(216_000_000) == pytest.approx(3.3 * 0.1)  # one second at 216 MHz
    assert "ESTIMATE" in m7.note("qemu_m7") and "DS11853" in m7.note("qemu_m7")
    msp = energy_model(load_board("msp430fr6989"))
    assert msp.joules(16_000_000) == pytest.approx(3.0 * 0.0016)
    with pytest.raises(TinypruneError, match="not supported"):
        energy_model(load_board("host"))
