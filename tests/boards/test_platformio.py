"""platformio.ini builds offline: the in-repo platform, the tool-scons shim, the custom test
runner; the official-platform environments still parse. Everything runs in a temporary
PlatformIO home and build folder, so nothing is downloaded and the checkout stays clean."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIO = shutil.which("pio", path=str(Path(sys.executable).parent)) or shutil.which("pio")

pytestmark = pytest.mark.skipif(PIO is None, reason="platformio not installed "
                                "(pip install platformio==6.2.0 scons==4.11.1)")


@pytest.fixture(scope="module")
def pio_env(tmp_path_factory) -> dict[str, str]:
    pytest.importorskip("SCons", reason="scons not installed (pip install scons==4.11.1)")
    tmp = tmp_path_factory.mktemp("pio")
    env = {**os.environ, "PLATFORMIO_CORE_DIR": str(tmp / "core"),
           "PLATFORMIO_WORKSPACE_DIR": str(tmp / "workspace"),
           "PLATFORMIO_BUILD_DIR": str(tmp / "build"),
           "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "no",
           "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "9999",
           "PYTHON": sys.executable}
    for _ in range(2):  # idempotent
        subprocess.run([str(ROOT / "scripts" / "pio_offline_setup.sh")], env=env, check=True,
                       capture_output=True, timeout=30)
    assert (tmp / "core" / "packages" / "tool-scons" / "scons.py").is_file()
    return env


def pio(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([PIO, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc


def test_project_config_lists_every_environment(pio_env):
    doc = json.loads(pio(pio_env, "project", "config", "--json-output").stdout)
    sections = dict(doc)
    envs = {name[4:] for name in sections if name.startswith("env:")}
    assert envs == {"host", "qemu_m7", "msp430_sim", "nucleo_f722ze", "msp430fr6989"}
    defaults = dict(sections["platformio"])["default_envs"]
    assert set(defaults) == {"host", "qemu_m7", "msp430_sim"}
    assert dict(sections["env:nucleo_f722ze"])["platform"] == "ststm32"
    assert dict(sections["env:msp430fr6989"])["platform"] == "timsp430"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_pio_run_and_test_host(pio_env):
    run = pio(pio_env, "run", "-e", "host")
    assert "examples_pio_model_model.o" in run.stdout and "[SUCCESS]" in run.stdout
    assert (Path(pio_env["PLATFORMIO_BUILD_DIR"]) / "host" / "program").is_file()
    test = pio(pio_env, "test", "-e", "host")
    assert "TEST file_round_trip PASS" in test.stdout
    assert "4 succeeded" in test.stdout


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                    reason="arm-none-eabi-gcc not installed")
def test_pio_run_qemu_m7(pio_env):
    pio(pio_env, "run", "-e", "qemu_m7")
    elf = Path(pio_env["PLATFORMIO_BUILD_DIR"]) / "qemu_m7" / "program.elf"
    assert elf.read_bytes()[:4] == b"\x7fELF"
    if shutil.which("qemu-system-arm"):
        assert "4 succeeded" in pio(pio_env, "test", "-e", "qemu_m7").stdout


@pytest.mark.msp430
@pytest.mark.skipif(shutil.which("clang-14") is None or shutil.which("mspdebug") is None,
                    reason="clang-14 or mspdebug not installed")
def test_pio_msp430_sim(pio_env):
    pio(pio_env, "run", "-e", "msp430_sim")
    assert "4 succeeded" in pio(pio_env, "test", "-e", "msp430_sim").stdout


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                    reason="arm-none-eabi-gcc not installed")
def test_pio_builds_an_int8_model_with_the_assembly_of_each_arch(pio_env, tmp_path):
    """engine_sources.txt of an int8 model lists the arch/armv7em and arch/msp430 .S files: the
    builder assembles each arch's (with the board's flags) for its boards only and leaves them
    out on host."""
    from int8_graphs import int8_residual_net
    from sdk.codegen.export import engine_files, write_generated
    from sdk.codegen.generate import generate_model

    model = tmp_path / "model"
    gen = generate_model(int8_residual_net())
    write_generated(gen, model)
    names = [p.relative_to(ROOT).as_posix() for p in engine_files(gen)
             if p.suffix in (".c", ".S")]
    assert "device/engine/arch/armv7em/tp_s8_fc4.S" in names
    (model / "engine_sources.txt").write_text("\n".join(names) + "\n")
    envs = "".join(f"[env:{board}]\nplatform = symlink://${{PROJECT_DIR}}/platforms/tinyprune\n"
                   f"test_framework = custom\ncustom_tp_board = {board}\n"
                   f"custom_tp_model = {model}\ncustom_tp_app = device/app/run_main.c\n"
                   for board in ("qemu_m7", "host", "msp430fr6989"))
    conf = tmp_path / "platformio.ini"
    conf.write_text("[platformio]\nsrc_dir = examples/pio/src\n" + envs)
    pio(pio_env, "run", "-c", str(conf))
    build = Path(pio_env["PLATFORMIO_BUILD_DIR"])
    fc4 = build / "qemu_m7" / "tp" / "device_engine_arch_armv7em_tp_s8_fc4.o"
    symbols = subprocess.run(["arm-none-eabi-nm", str(fc4)], capture_output=True, text=True,
                             check=True).stdout
    assert " T tp_s8_fc4" in symbols
    assert not list((build / "host" / "tp").glob("*arch_*"))
    dot = build / "msp430fr6989" / "tp" / "device_engine_arch_msp430_tp_msp430_dot_s8.o"
    symbols = subprocess.run(["llvm-nm-14", str(dot)], capture_output=True, text=True,
                             check=True).stdout
    assert " T tp_msp430_dot_s8" in symbols
    assert not list((build / "msp430fr6989" / "tp").glob("*arch_armv7em*"))
