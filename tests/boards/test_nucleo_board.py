"""The nucleo_f722ze board: a model builds, fits the real limits, and the image is laid out
the way the STM32F722ZE boots it (vector table at 0x08000000, reset handler in it)."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

from graphs import residual_net
from host.build import build_firmware
from host.device_run import run_on_board
from host.elf import read_sections
from host.mspdebug import elf_symbols
from sdk.boards import load_board
from sdk.errors import UnsupportedError

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc not installed")

FLASH = 0x08000000
RAM_END = 0x20000000 + 256 * 1024


def test_board_description():
    b = load_board("nucleo_f722ze")
    assert (b.flash_bytes, b.ram_bytes, b.clock_hz) == (512 * 1024, 256 * 1024, 216_000_000)
    assert b.counter_unit == "cycles" and b.runner is None


def test_model_builds_within_limits_and_boots_from_flash(tmp_path):
    build = build_firmware(residual_net(seed=3), "nucleo_f722ze", tmp_path)
    size = build.size
    assert 0 < size.flash_bytes <= 512 * 1024 and 0 < size.ram_bytes <= 256 * 1024
    assert size.stack_bytes == 8 * 1024
    assert size.rodata_bytes >= build.weights_bytes

    syms = elf_symbols(build.elf)
    sections = {s.name: s for s in read_sections(build.elf)}
    assert sections[".isr_vector"].addr == FLASH == syms["tp_vectors"]
    assert sections[".isr_vector"].size == (16 + 104) * 4
    # Word 0: initial SP = top of the stack reserve; word 1: Reset_Handler with the Thumb bit.
    raw = build.elf.read_bytes()
    offset = _file_offset(raw, FLASH)
    sp, reset = struct.unpack_from("<II", raw, offset)
    assert 0x20000000 < sp <= RAM_END
    assert reset == syms["Reset_Handler"] | 1
    assert FLASH <= syms["Reset_Handler"] < FLASH + 512 * 1024
    # (pacing and raw UART functions are dropped by --gc-sections when the app does not use them)
    for name in ("tp_clock_init", "tp_board_init", "main"):
        assert FLASH <= syms[name] < FLASH + 512 * 1024, name


def _file_offset(raw: bytes, addr: int) -> int:
    """File offset of a virtual address, from the ELF program headers."""
    phoff, = struct.unpack_from("<I", raw, 0x1C)
    phentsize, phnum = struct.unpack_from("<HH", raw, 0x2A)
    for i in range(phnum):
        _t, off, vaddr, _p, filesz, _m, _f, _a = struct.unpack_from(
            "<8I", raw, phoff + i * phentsize)
        if vaddr <= addr < vaddr + filesz:
            return off + addr - vaddr
    raise AssertionError(f"{addr:#x} not in any loaded segment")


def test_it_is_not_run_here(tmp_path):
    import numpy as np

    g = residual_net()
    with pytest.raises(UnsupportedError, match="flash it yourself"):
        run_on_board(g, "nucleo_f722ze", np.zeros(g.tensors["input"].shape, np.float32),
                     tmp_path)


def test_gesture_firmware_builds_for_the_nucleo(tmp_path):
    """The product firmware (real-time gesture loop, int8 gesture CNN) fits the real board."""
    import json
    import subprocess
    import sys

    from graphs import gesture_graph
    from sdk.compress.quantize import quantize_graph
    from sdk.ir import save_model

    graph = gesture_graph(seed=1)
    calib = np.random.default_rng(0).random((8, *graph.tensors["input"].shape[1:]), np.float32)
    model = save_model(quantize_graph(graph, calib, progress=False), tmp_path / "g8.tpm")
    proc = subprocess.run([sys.executable, "-m", "host", "build", str(model), "--board",
                           "nucleo_f722ze", "--app", "gesture", "--out", str(tmp_path / "fw"),
                           "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert 0 < doc["flash_bytes"] <= 512 * 1024 and 0 < doc["ram_bytes"] <= 256 * 1024
    assert doc["arena_bytes"] <= 12_000 and doc["weights_bytes"] < 70_000
