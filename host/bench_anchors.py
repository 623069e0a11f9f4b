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

# The seed's float builds of the gesture CNN (anchors.md): their memory as the seed reports it
# (cycles per inference: host.demo.ANCHORS). X-CUBE-AI's flash figure is its weights alone.
FLOAT_ANCHORS = {
    "X-CUBE-AI 5.0 float": {"weights": "265.06 kB (weights alone)",
                            "ram": "84.74 kB RAM (all RAM)"},
    "Keras2C -O3": {"weights": "313.20 kB (flash)", "ram": "167.83 kB RAM"},
}


@dataclass(frozen=True)
class Target:
    """A target of issue 4: ``figure`` of ``model`` (a golden figure name, or
    ``instructions_per_mac``) at most ``limit``."""

    text: str
    model: str
    figure: str
    limit: float


INT8_TARGETS = (
    Target("gesture CNN: at most 1.05 instructions per MAC (aim 0.9)", GESTURE,
           "instructions_per_mac", 1.05),
    # X-CUBE-AI's 67,152 B of weights and biases, plus what per-channel requantization needs:
    # an int32 multiplier and an int8 shift per output channel (1,480 B), and 3 zero bytes
    # after the first conv's 9-value filters.
    Target("gesture CNN: weights at most 67,152 B + per-channel tables (1,480 B) + 3 B padding",
           GESTURE, "weights_bytes", 67_152 + 1_480 + 3),
    Target("gesture CNN: code at most 8 kB", GESTURE, "code_bytes", 8_192),
    Target("gesture CNN: arena at most 12 kB", GESTURE, "arena_bytes", 12_000),
    Target("KWS: at most 1.5 instructions per MAC", "kws_ref_model", "instructions_per_mac", 1.5),
    Target("KWS: arena at most 10 kB", "kws_ref_model", "arena_bytes", 10_000),
    Target("AD: arena at most 1 kB", "ad01_int8", "arena_bytes", 1_024),
)
