"""The best existing figures ``tinyprune bench`` compares with (../shared/notes/anchors.md):
TFLite Micro + CMSIS-NN measured on the same emulator for the MLPerf Tiny models, X-CUBE-AI on a
real Cortex-M7 for the gesture CNN. Published measurements of other tools, not ours: they are
constants, not golden figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from host.bench_models import GESTURE


@dataclass(frozen=True)
class Anchor:
    """The best existing figure for a model (../shared/notes/anchors.md)."""

    tool: str
    count: int  # per inference
    unit: str  # "instructions" (same emulator) or "cycles" (a real Cortex-M7)
    per_mac: float
    memory_bytes: int  # TFLM: arena used; X-CUBE-AI: RAM
    weights_bytes: int | None = None


# TFLite Micro + CMSIS-NN, arm-none-eabi-gcc -O2, on QEMU mps2-an500 (anchors.md, 2026-11-22);
# X-CUBE-AI 5.0 int8 on a Cortex-M7 at 216 MHz (the seed's tables 5.4, A.2-A.4): cycles, its
# 67.15 kB are weights + biases (65,968 + 1,184 B), its 22.78 kB RAM.
ANCHORS = {
    "kws_ref_model": Anchor("TFLM+CMSIS-NN", 7_642_962, "instructions", 2.88, 22_812),
    "ad01_int8": Anchor("TFLM+CMSIS-NN", 583_125, "instructions", 2.21, 3_012),
    GESTURE: Anchor("X-CUBE-AI 5.0 int8", 19_439_494, "cycles", 2.13, 22_780, 67_152),
}
# The earlier name of the TFLM columns: (instructions, per MAC, arena bytes).
TFLM_CMSIS_NN = {k: (a.count, a.per_mac, a.memory_bytes) for k, a in ANCHORS.items()
                 if a.tool == "TFLM+CMSIS-NN"}
