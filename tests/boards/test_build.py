"""build_firmware: error paths (missing compiler, compile error, flash overflow) and qemu_m7."""

from __future__ import annotations

import dataclasses
import re
import shutil

import numpy as np
import pytest

import host.build
from graphs import GraphBuilder, residual_net
from host.build import build_firmware
from host.run_files import read_marks, read_outputs, write_inputs
from host.size_report import linker_regions, measuring_script
from sdk.boards import load_board
from sdk.errors import BuildError, ToolchainError
from sdk.reference import run_float

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc not installed")


def test_missing_compiler_names_the_tool_and_doctor(tmp_path, monkeypatch):
    monkeypatch.setattr(host.build.shutil, "which", lambda name: None)
    with pytest.raises(ToolchainError, match="arm-none-eabi-gcc.*tinyprune doctor"):
        build_firmware(residual_net(), "qemu_m7", tmp_path)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_compile_error_reports_the_first_error_line(tmp_path):
    board = dataclasses.replace(load_board("host"), cflags=("-DTP_OK=)",))
    with pytest.raises(BuildError, match=r"build for board host failed: .*error") as err:
        build_firmware(residual_net(), board, tmp_path)
    assert "\n" not in str(err.value)


@needs_arm
def test_flash_overflow_names_region_limit_and_overshoot(tmp_path):
    b = GraphBuilder("too_big", (1, 400), seed=0)
    g = b.finish(b.dense("input", 360))  # 576 kB of weights > 512 kB flash
    with pytest.raises(BuildError, match=r"region FLASH \(flash, limit 524288 bytes\) "
                                         r"overflowed by \d+ bytes"):
        build_firmware(g, "qemu_m7", tmp_path)


def overshoots(message: str) -> dict[str, tuple[int, int, int]]:
    """region -> (limit, overshoot, use) of every region a "does not fit" message names."""
    found = re.findall(r"region (\w+) \((?:flash|RAM), limit (\d+) bytes\) overflowed by "
                       r"(\d+) bytes \(uses (\d+) bytes\)", message)
    return {name: (int(limit), int(over), int(used)) for name, limit, over, used in found}


def test_measuring_script_moves_every_region_apart_and_enlarges_it():
    script = load_board("msp430fr6989").dir.joinpath("linker.ld").read_text()
    assert [(r.name, r.origin, r.length) for r in linker_regions(script)] == \
        [("RAM", 0x1C00, 2048), ("FRAM", 0x4400, 48000), ("RESETVEC", 0xFFFE, 2)]
    moved = linker_regions(measuring_script(script))
    assert [r.name for r in moved] == ["RAM", "FRAM", "RESETVEC"]
    assert all(r.origin == (i + 1) * r.length and r.length >= 1 << 28 for i, r in enumerate(moved))
    arm = load_board("nucleo_f722ze").dir.joinpath("linker.ld").read_text()
    assert [(r.name, r.origin, r.length) for r in linker_regions(arm)] == \
        [("FLASH", 0x08000000, 512 * 1024), ("RAM", 0x20000000, 256 * 1024)]


@needs_arm
@pytest.mark.parametrize("board", ["qemu_m7", "nucleo_f722ze"])
def test_every_overflowed_region_is_reported_with_its_true_overshoot(tmp_path, board):
    b = GraphBuilder("too_big", (1, 70000), seed=0)
    g = b.finish(b.dense("input", 3))  # 840 kB of weights, a 280 kB arena
    with pytest.raises(BuildError) as err:
        build_firmware(g, board, tmp_path)
    found = overshoots(str(err.value))
    assert set(found) == {"FLASH", "RAM"} and "\n" not in str(err.value)
    weights, arena = 4 * (70000 * 3 + 3), 4 * (70000 + 3)
    flash_limit, flash_over, flash_used = found["FLASH"]
    ram_limit, ram_over, ram_used = found["RAM"]
    assert (flash_limit, ram_limit) == (524288, 262144)
    assert flash_used - flash_limit == flash_over and ram_used - ram_limit == ram_over
    # Weights plus a few kB of code; arena plus the 8 kB stack and a few small statics.
    assert weights < flash_used < weights + 8192
    assert arena + 8192 < ram_used < arena + 8192 + 4096


@needs_arm
@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm missing")
def test_residual_net_runs_on_qemu_m7(tmp_path):
    from host.qemu import run_qemu, step_instructions

    g = residual_net(seed=7)
    build = build_firmware(g, "qemu_m7", tmp_path)
    assert build.size is not None and build.size.flash_bytes < build.board.flash_bytes
    x = np.random.default_rng(7).normal(size=g.tensors["input"].shape).astype(np.float32)
    write_inputs(g, tmp_path, [x])
    result = run_qemu(build.elf, tmp_path)
    assert result.exit_code == 0
    got = read_outputs(g, tmp_path)[0]
    want = run_float(g, x)[g.outputs[0]]
    assert np.max(np.abs(got - want)) <= 1e-5 * np.max(np.abs(want))
    steps = step_instructions(read_marks(tmp_path))
    assert len(steps) == len(build.steps)
    # Convolutions cost more than their multiply-accumulates; elementwise steps are cheap.
    by_name = dict(zip((s.name for s in build.steps), steps))
    conv = build.steps[0]
    assert by_name[conv.name] > conv.macs
    assert all(n > 0 for n in steps)
