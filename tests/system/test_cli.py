"""The CLI as a user meets it: figures, --json, and one-line errors with exit code 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, cli
from graphs import residual_net
from sdk.ir import save_model


@pytest.fixture()
def model_file(tmp_path) -> Path:
    return save_model(residual_net(seed=1), tmp_path / "net.tpm")


def test_inspect_json_totals(model_file, tmp_path):
    proc = cli("inspect", str(model_file), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["params"] == sum(r["params"] for r in doc["layers"])
    assert doc["macs"] == sum(r["macs"] for r in doc["layers"]) > 0


def test_corrupt_model_file(tmp_path):
    bad = tmp_path / "broken.tpm"
    bad.write_bytes(b"PK\x03\x04 this is not a model")
    assert_one_line_error(cli("inspect", str(bad), cwd=tmp_path), "broken.tpm")
    assert bad.read_bytes() == b"PK\x03\x04 this is not a model"  # nothing the user had is touched


def test_missing_model_file(tmp_path):
    assert_one_line_error(cli("build", "nope.tpm", cwd=tmp_path), "nope.tpm")


def test_unknown_board(model_file, tmp_path):
    assert_one_line_error(cli("build", str(model_file), "--board", "pdp11", cwd=tmp_path),
                          "pdp11", "qemu_m7")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_input_of_the_wrong_shape(model_file, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((3, 3), np.float32))
    assert_one_line_error(cli("run", str(model_file), "--board", "host", "--input", "x.npy",
                              cwd=tmp_path), "x.npy", "[1, 12, 10, 3]")


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None
                    or shutil.which("arm-none-eabi-gcc") is None,
                    reason="qemu-system-arm or arm-none-eabi-gcc not installed")
def test_run_json_on_qemu(model_file, tmp_path):
    x = np.random.default_rng(2).normal(size=(12, 10, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    proc = cli("run", str(model_file), "--input", "x.npy", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["max_rel_diff"] <= 1e-5
    assert doc["instructions"] == sum(layer["instructions"] for layer in doc["layers"])
    assert all(layer["instructions"] > 0 for layer in doc["layers"])
    assert doc["flash_bytes"] <= doc["flash_limit_bytes"]
    assert np.asarray(doc["output"]).shape == (1, 5)


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None
                    or shutil.which("arm-none-eabi-gcc") is None,
                    reason="qemu-system-arm or arm-none-eabi-gcc not installed")
def test_demo_json_small(tmp_path):
    """The README's demo, shrunk: its figures are consistent and device agrees with host."""
    proc = cli("demo", "--per-class", "12", "--epochs", "1", "--out", "d", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert doc["max_rel_diff"] <= 1e-5
    assert doc["bit_exact"] is True
    assert doc["host_int8_accuracy"] == doc["device_accuracy"]
    assert doc["instructions"] == sum(layer["instructions"] for layer in doc["layers"])
    assert doc["float_instructions"] == sum(layer["instructions"] for layer in doc["float_layers"])
    assert doc["weights_bytes"] < doc["float"]["weights_bytes"]
    assert (tmp_path / "d" / "confusion.png").stat().st_size > 0
    assert (tmp_path / "d" / "profile.png").stat().st_size > 0
    pruned = doc["pruned"]  # half the channels: smaller and faster, still bit-exact
    assert pruned["bit_exact"] is True
    assert pruned["instructions"] < doc["instructions"] / 2
    assert pruned["weights_bytes"] < doc["weights_bytes"] / 2
    stream = doc["stream"]
    assert stream["classes_equal"] and stream["events_equal"]
    assert stream["crc_errors"] == 0 and stream["sequence_gaps"] == 0


@pytest.mark.slow
def test_train_int8_reports_both_accuracies(tmp_path):
    pytest.importorskip("torch")
    assert cli("data", "synth", "--per-class", "12", "--out", "g.h5", cwd=tmp_path).returncode == 0
    proc = cli("train", "--data", "g.h5", "--out", "m.tpm", "--epochs", "1", "--int8", "--json",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert 0.0 <= doc["int8_test_accuracy"] <= 1.0
    assert (tmp_path / "m_int8.tpm").is_file() and (tmp_path / "m.confusion.png").is_file()
    # a second run must not overwrite the user's model without --force
    again = cli("train", "--data", "g.h5", "--out", "m.tpm", "--epochs", "1", cwd=tmp_path)
    assert_one_line_error(again, "m.tpm", "--force")


def _commands(group, path=()):
    """Every (command path, click command) of the CLI, subcommand groups included."""
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def test_every_board_option_lists_every_board():
    import typer.main

    from host.cli import app

    boards = sorted(p.parent.name for p in (Path(__file__).parents[2] / "boards")
                    .glob("*/board.json"))
    assert {"host", "msp430fr6989", "nucleo_f722ze", "qemu_m7"} <= set(boards)
    with_board = {path: p for path, cmd in _commands(typer.main.get_command(app))
                  for p in cmd.params if "--board" in getattr(p, "opts", ())}
    assert {("build",), ("run",), ("profile",)} <= set(with_board)
    for path, param in with_board.items():
        assert all(b in param.help for b in boards), (path, param.help)



def test_default_output_folders_need_no_build_folder(tmp_path, monkeypatch):
    """A fresh clone has no build/: a command's default output folder is created, not refused
    (the README's demo command), while a folder the user names must have an existing parent."""
    import click

    from host.cli_checks import out_folder
    from sdk.errors import TinypruneError

    monkeypatch.chdir(tmp_path)
    param = click.Option(["--out"], default="build/demo")
    assert out_folder(None, param, "build/demo") == "build/demo"  # type: ignore[arg-type]
    with pytest.raises(TinypruneError, match="folder elsewhere does not exist"):
        out_folder(None, param, "elsewhere/demo")  # type: ignore[arg-type]
