"""``tinyprune doctor``: which external tools are present, their versions, how to get the rest."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
from dataclasses import dataclass

from sdk.errors import ToolchainError

APT_HINT = "sudo apt-get install -y --no-install-recommends {pkg}  (or ./setup.sh)"


@dataclass
class Tool:
    """An external program or Python package tinyprune uses."""

    name: str
    purpose: str
    package: str
    version_args: tuple[str, ...] = ("--version",)
    python: bool = False


TOOLS = (
    Tool("arm-none-eabi-gcc", "Cortex-M7 cross-compiler", "gcc-arm-none-eabi"),
    Tool("qemu-system-arm", "emulated Cortex-M7 board (mps2-an500)", "qemu-system-arm"),
    Tool("clang-14", "MSP430 compiler", "clang-14"),
    Tool("ld.lld-14", "MSP430 linker", "lld-14"),
    Tool("llvm-size-14", "MSP430 size reports", "llvm-14"),
    Tool("mspdebug", "MSP430 simulator", "mspdebug", ("--version",)),
    Tool("gcc", "host build for tests", "gcc"),
    Tool("torch", "training and the PyTorch frontend", "'.[train]'", python=True),
    Tool("torch-pruning", "channel pruning of PyTorch models", "'.[prune]'", python=True),
    Tool("tflite-micro", "int8 reference interpreter", "'.[interop]'", python=True),
    Tool("ai-edge-litert", "LiteRT interpreter", "'.[interop]'", python=True),
)


def require(name: str) -> str:
    """The path of the external program ``name``; a one-line :class:`ToolchainError` saying how
    to install it when it is missing."""
    path = shutil.which(name)
    if path is None:
        package = next((t.package for t in TOOLS if t.name == name), name)
        raise ToolchainError(f"{name} not found; install it with: {APT_HINT.format(pkg=package)}")
    return path


def check(tool: Tool) -> tuple[bool, str]:
    """Return (present, version or install hint)."""
    if tool.python:
        try:
            return True, importlib.metadata.version(tool.name)
        except importlib.metadata.PackageNotFoundError:
            return False, f".venv/bin/pip install -e {tool.package}"
    path = shutil.which(tool.name)
    if path is None:
        return False, APT_HINT.format(pkg=tool.package)
    try:
        proc = subprocess.run([path, *tool.version_args], capture_output=True, text=True,
                              timeout=10)
        text = (proc.stdout or proc.stderr).strip().splitlines()
        return True, text[0] if text else "(no version printed)"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"found at {path} but does not run: {exc}"
