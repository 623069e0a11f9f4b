"""sdk.codegen.c_library: the engine files each public kernel needs, per architecture."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from sdk.boards import board_names, load_board
from sdk.codegen import c_library
from sdk.errors import UnsupportedError
from sdk.paths import ENGINE_DIR

# Every public kernel: the prototypes of the public headers (buffer-size twins included).
PUBLIC = sorted(set(re.findall(r"^(?:tp_status|int32_t)\s+(tp_\w+)\s*\(",
                               (ENGINE_DIR / "tp_engine.h").read_text()
                               + (ENGINE_DIR / "tp_engine_s8.h").read_text(), re.MULTILINE)))
COMPILERS = {"host": ["gcc"],
             "armv7em": ["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb",
                         "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"],
             # with the board's multiplier header: the MSP430 fast path and its routines
             "msp430": ["clang-14", "--target=msp430",
                        '-DTP_DSP_HWMULT_HEADER="msp430fr6989_board.h"',
                        f"-I{load_board('msp430fr6989').dir}"]}
NM = {"host": "nm", "armv7em": "arm-none-eabi-nm", "msp430": "llvm-nm-14"}


def _names(paths):
    return [c_library.relative(p).as_posix() for p in paths]


def test_public_kernels_are_found():
    assert len(PUBLIC) >= 20 and "tp_conv_chain_s8_get_buffer_size" in PUBLIC


def test_a_kernel_brings_its_helpers_and_the_assembly_of_its_arch():
    want = ["tp_conv_chain_s8.c", "tp_conv_tiles_s8.c"]
    assert _names(c_library.sources_for(["tp_conv_chain_s8"], "host")) == want
    assert _names(c_library.sources_for(["tp_conv_chain_s8"], "msp430")) == want + [
        "arch/msp430/tp_msp430_dot_tile_s16.S",
        # called by tp_msp430_store_fast_s8.S, not by C
        "arch/msp430/tp_msp430_requant_fast.S",
        "arch/msp430/tp_msp430_store_fast_s8.S", "arch/msp430/tp_msp430_widen_rows_s8.S",
        "arch/msp430/tp_msp430_widen_s8.S"]
    assert _names(c_library.sources_for(["tp_conv_chain_s8"], "armv7em")) == want + [
        "arch/armv7em/tp_s8_conv_tile.S", "arch/armv7em/tp_s8_widen.S"]
    assert _names(c_library.sources_for(["tp_softmax_f32", "tp_add_f32"], "armv7em")) == [
        "tp_add_f32.c", "tp_softmax_f32.c"]
    headers = _names(c_library.headers_for(["tp_conv_chain_s8"], "armv7em"))
    assert headers == ["arch/armv7em/tp_armv7em_acle.h", "arch/armv7em/tp_armv7em_s8.h",
                       "arch/armv7em/tp_conv_gather_s8.h", "tp_conv_stream_s8.h",
                       "tp_conv_tiles_s8.h", "tp_engine.h", "tp_engine_s8.h", "tp_requant.h"]
    assert _names(c_library.headers_for(["tp_conv_chain_s8"], "msp430")) == [
        "arch/msp430/tp_msp430_conv_tile_s8.h", "arch/msp430/tp_msp430_s8.h",
        "tp_conv_stream_s8.h", "tp_conv_tiles_s8.h", "tp_engine.h", "tp_engine_s8.h",
        "tp_requant.h"]
    assert "arch/msp430/tp_msp430_s8.h" not in _names(
        c_library.headers_for(["tp_conv_chain_s8"], "host"))


def test_an_export_ships_every_architecture():
    files = _names(c_library.files_to_ship(["tp_fully_connected_s8"]))
    assert files == ["arch/armv7em/tp_armv7em_acle.h", "arch/armv7em/tp_armv7em_s8.h",
                     "arch/msp430/tp_msp430_s8.h", "tp_engine.h", "tp_engine_s8.h",
                     "tp_fully_connected_s8.c", "tp_requant.h", "arch/armv7em/tp_s8_fc4.S",
                     "arch/msp430/tp_msp430_dot_s8.S", "arch/msp430/tp_msp430_dot_s8_quads.S",
                     "arch/msp430/tp_msp430_requant_fast.S"]


def test_unknown_kernels_arches_and_boards_are_refused():
    with pytest.raises(UnsupportedError, match="tp_transmogrify_s8"):
        c_library.sources_for(["tp_transmogrify_s8"], "host")
    with pytest.raises(UnsupportedError, match="riscv"):
        c_library.sources_for(["tp_add_s8"], "riscv")


def test_every_board_names_its_arch():
    arches = {name: c_library.board_arch(load_board(name)) for name in board_names()}
    assert arches == {"host": "host", "host_asan": "host", "msp430fr6989": "msp430",
                      "nucleo_f722ze": "armv7em", "qemu_m7": "armv7em"}


@pytest.mark.parametrize("arch", sorted(COMPILERS))
def test_each_kernel_links_from_its_files_alone(tmp_path, arch):
    """Compile each public kernel's files for the arch: every engine symbol they use is defined
    by one of them (no file missing from the list)."""
    if shutil.which(COMPILERS[arch][0]) is None or shutil.which(NM[arch]) is None:
        pytest.skip(f"{COMPILERS[arch][0]} not installed")
    objects = {}
    for src in c_library.sources_for(PUBLIC, arch):
        obj = tmp_path / (src.stem + ".o")
        subprocess.run([*COMPILERS[arch], "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                        f"-I{ENGINE_DIR}", "-c", str(src), "-o", str(obj)], check=True)
        out = subprocess.run([NM[arch], str(obj)], capture_output=True, text=True,
                             check=True).stdout
        objects[src] = ({f[-1] for f in map(str.split, out.splitlines()) if f[-2] == "U"},
                        {f[-1] for f in map(str.split, out.splitlines()) if f[-2] == "T"})
    for name in PUBLIC:
        files = c_library.sources_for([name], arch)
        defined = set().union(*(objects[f][1] for f in files))
        needed = set().union(*(objects[f][0] for f in files))
        assert name in defined
        assert {s for s in needed if s.startswith("tp_")} <= defined, name
