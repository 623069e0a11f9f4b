"""The engine links into loadable modules: position-independent, no writable static data.

MicroPython's native modules (py/dynruntime.mk, tools/mpy_ld.py of MicroPython 1.28) compile
with ``-fpic -fno-common`` and link the objects themselves: mpy_ld refuses a non-empty
``.data``, fixed relocations into ``.bss`` and any relocation kind it does not know. Here every
engine source (the portable C and the ARMv7E-M assembly) is compiled the way a native module
for the Cortex-M7 or M4 (``ARCH=armv7emdp``, ``armv7emsp``) compiles it, and with our firmware
flags plus ``-fpic``, and each object is checked with arm-none-eabi-readelf: no writable data at
all (the engine keeps no static state), only relocations mpy_ld handles.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from sdk.paths import ENGINE_DIR

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc not installed")

# dynruntime.mk for ARCH=armv7emdp (Cortex-M7) and armv7emsp (Cortex-M4), then ours
# (boards/qemu_m7) with -fpic added.
_DYNRUNTIME = ["-std=c99", "-Os", "-Wall", "-Werror", "-fpic", "-fno-common", "-U_FORTIFY_SOURCE"]
FLAGS = {
    "micropython-armv7emdp": ["-mthumb", "-mcpu=cortex-m7", "-mfpu=fpv5-d16",
                              "-mfloat-abi=hard", *_DYNRUNTIME],
    "micropython-armv7emsp": ["-mthumb", "-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16",
                              "-mfloat-abi=hard", *_DYNRUNTIME],
    "firmware-fpic": ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard",
                      "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-ffunction-sections",
                      "-fdata-sections", "-fpic", "-fno-common"],
}
# The ARM relocations mpy_ld handles in code and constants (do_relocation_text/_data).
MPY_LD_RELOCATIONS = {"R_ARM_ABS32", "R_ARM_REL32", "R_ARM_THM_CALL", "R_ARM_THM_JUMP24",
                      "R_ARM_BASE_PREL", "R_ARM_GOT_BREL"}
# Sections mpy_ld loads (the relocations of others, e.g. .ARM.exidx, are ignored).
LOADED = (".text", ".rodata", ".data.rel.ro", ".bss", ".data")

_SECTION = re.compile(r"^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)"
                      r"\s+[0-9a-f]+\s+(\S*)", re.MULTILINE)
_RELOC_SECTION = re.compile(r"^Relocation section '\.rela?(\S+)'")


def _sources():
    sources = sorted(ENGINE_DIR.glob("*.c")) + sorted((ENGINE_DIR / "arch" / "armv7em").glob("*.S"))
    assert len(sources) >= 20 and any(p.suffix == ".S" for p in sources)
    return sources


def _readelf(*args: str) -> str:
    return subprocess.run(["arm-none-eabi-readelf", "-W", *args], capture_output=True,
                          text=True, check=True).stdout


def _problems(obj) -> list[str]:
    """What mpy_ld would refuse in obj, or what breaks the no-static-state rule."""
    found = []
    for name, kind, size, flags in _SECTION.findall(_readelf("-S", str(obj))):
        if int(size, 16) and not name.startswith(".data.rel.ro") and (
                "W" in flags or name.startswith((".data", ".bss"))):
            found.append(f"writable section {name} ({kind}, {int(size, 16)} bytes)")
    for line in _readelf("-s", str(obj)).splitlines():
        if " COM " in f" {line} ".replace("\t", " "):
            found.append(f"common symbol: {line.split()[-1]}")
    section = None
    for line in _readelf("-r", str(obj)).splitlines():
        m = _RELOC_SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        fields = line.split()
        if section and section.startswith(LOADED) and len(fields) > 2 and \
                fields[2].startswith("R_ARM_") and fields[2] not in MPY_LD_RELOCATIONS:
            found.append(f"relocation {fields[2]} in {section} ({' '.join(fields[4:])})")
    return found


@pytest.mark.parametrize("flags", sorted(FLAGS))
def test_engine_objects_are_position_independent_without_writable_data(tmp_path, flags):
    problems = []
    for src in _sources():
        obj = tmp_path / f"{src.stem}.o"
        proc = subprocess.run(["arm-none-eabi-gcc", *FLAGS[flags], f"-I{ENGINE_DIR}", "-c",
                               str(src), "-o", str(obj)], capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 0, f"{src.name}: {proc.stderr}"
        problems += [f"{src.name}: {p}" for p in _problems(obj)]
    assert problems == []


def test_the_check_finds_static_state_and_absolute_addresses(tmp_path):
    # A counter in .bss, a table in .data and MOVW/MOVT absolute addresses (what gcc emits
    # for addresses with -mpure-code): all refused.
    src = tmp_path / "bad.c"
    src.write_text("static int calls;\nint table[2] = {1, 2};\n"
                   "int bump(void) { return ++calls + table[1]; }\n")
    obj = tmp_path / "bad.o"
    subprocess.run(["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m7", "-O2", "-mpure-code",
                    "-c", str(src), "-o", str(obj)], check=True)
    problems = " ".join(_problems(obj))
    assert "writable section .bss" in problems and "writable section .data" in problems
    assert "R_ARM_THM_MOVW_ABS_NC" in problems


def test_a_module_model_c_has_no_writable_static_state(tmp_path):
    # The MicroPython module's printer (sdk.codegen.c_module_model): the arena is run()'s
    # parameter, so model.c passes the same check as the engine.
    from int8_graphs import int8_residual_net
    from sdk.codegen.micropython_module import write_module_sources

    src = write_module_sources(int8_residual_net(2), tmp_path, "armv7emdp", "resnet")
    obj = tmp_path / "model.o"
    subprocess.run(["arm-none-eabi-gcc", *FLAGS["micropython-armv7emdp"], f"-I{src.folder}",
                    f"-I{ENGINE_DIR}", "-c", str(src.folder / "model.c"), "-o", str(obj)],
                   check=True)
    assert _problems(obj) == []
    assert "int32_t resnet_run(uint8_t *s_arena)" in (src.folder / "model.c").read_text()
