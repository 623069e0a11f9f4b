"""A wheel of the project builds firmware: the engine sources and board folders ship as package
data (sdk/_device, sdk/_boards), and sdk.paths finds them outside a source checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sdk.paths import BOARDS_DIR, DEVICE_DIR, ROOT

# A small int8 model: dense layers on the host board, run and compared by the installed copy.
SCRIPT = r"""
import sys
from pathlib import Path

import numpy as np

import sdk
import sdk.paths
from host.device_run import run_on_board
from sdk.compress.quantize import quantize_graph
from sdk.ir import Graph, Op, Tensor

site = Path(sdk.__file__).resolve().parents[1]
assert sdk.paths.ENGINE_DIR == site / "sdk" / "_device" / "engine", sdk.paths.ENGINE_DIR
assert sdk.paths.BOARDS_DIR == site / "sdk" / "_boards", sdk.paths.BOARDS_DIR
rng = np.random.default_rng(3)
g = Graph("wheel", inputs=["input"])
g.add_tensor(Tensor("input", (1, 8)))
x = "input"
for i, (n_in, n_out, act) in enumerate(((8, 12, "relu"), (12, 4, "none"))):
    g.add_tensor(Tensor(f"w{i}", (n_out, n_in),
                        data=rng.normal(scale=0.3, size=(n_out, n_in)).astype(np.float32)))
    g.add_tensor(Tensor(f"b{i}", (n_out,), data=rng.normal(scale=0.1, size=n_out).astype(np.float32)))
    g.add_op(Op(f"dense{i}", "Dense", [x, f"w{i}", f"b{i}"], [f"d{i}"], {"activation": act}))
    x = f"d{i}"
g.outputs = [x]
g.validate()
calib = rng.normal(size=(16, 8)).astype(np.float32)
q = quantize_graph(g, calib, progress=False)
x = rng.integers(-128, 128, size=(1, 8)).astype(np.int8)
run = run_on_board(q, "host", x, Path(sys.argv[1]))
assert run.bit_exact, (run.output, run.reference)
print("ok", [s.kernel for s in run.build.steps])
"""


def _site_packages_of_dependencies() -> str:
    """The folder numpy (and the other dependencies) is installed in."""
    return str(Path(np.__file__).resolve().parents[1])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_a_wheel_installed_elsewhere_builds_and_runs_a_model(tmp_path):
    # Built from a copy: pip builds in the source tree, and the checkout stays clean.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("sdk", "host", "device", "boards"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(wheels), str(source)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = wheels.glob("tinyprune-*.whl")
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = subprocess.run([str(python), "-c", code],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(_site_packages_of_dependencies() + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True)
    work = tmp_path / "outside"
    work.mkdir()
    run = subprocess.run([str(python), "-c", SCRIPT, str(work / "run")], cwd=work,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("ok ['tp_fully_connected_s8'"), run.stdout


def test_the_wheel_lists_every_package_and_ships_every_device_and_board_file():
    """pyproject.toml names the packages and package data: nothing on disk is left out."""
    import tomllib
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == set(find_packages(str(ROOT), include=["sdk*", "host*"])) | {
        "sdk._device", "sdk._boards"}
    assert config["package-dir"] == {"sdk._device": "device", "sdk._boards": "boards"}
    for folder, package in ((DEVICE_DIR, "sdk._device"), (BOARDS_DIR, "sdk._boards")):
        patterns = config["package-data"][package]
        for path in folder.rglob("*"):
            if path.is_file():
                assert any(path.match(p.removeprefix("**/")) for p in patterns), path
