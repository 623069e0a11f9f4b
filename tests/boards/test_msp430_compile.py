"""The engine and a generated model compile warning-free for MSP430 (16-bit int)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from graphs import residual_net
from sdk.codegen import export_model
from sdk.paths import ENGINE_DIR

pytestmark = [pytest.mark.msp430,
              pytest.mark.skipif(shutil.which("clang-14") is None, reason="clang-14 not installed")]

FLAGS = ["clang-14", "--target=msp430", "-std=c99", "-Os", "-Wall", "-Wextra", "-Werror",
         "-ffunction-sections", "-fdata-sections", "-c"]


def test_every_engine_source_compiles_for_msp430(tmp_path):
    sources = sorted(ENGINE_DIR.glob("*.c"))
    assert len(sources) >= 7
    for src in sources:
        proc = subprocess.run([*FLAGS, f"-I{ENGINE_DIR}", str(src), "-o",
                               str(tmp_path / (src.stem + ".o"))], capture_output=True, text=True)
        assert proc.returncode == 0, f"{src.name}: {proc.stderr}"


def test_generated_model_compiles_for_msp430(tmp_path):
    export_model(residual_net(), tmp_path, prefix="m430")
    for define in ([], ["-DTP_NO_STATIC_ARENA", "-DTP_PROFILE_HOOK=hook"]):
        proc = subprocess.run([*FLAGS, *define, f"-I{tmp_path}", str(tmp_path / "model.c"),
                               "-o", str(tmp_path / "model.o")], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
