"""The int8 MSP430 path (device/engine/arch/msp430: dot products on the hardware multiplier
with int16 weights on the stack or int8 weights, the 16-bit gather, the multiplier's fast
requantization and store) in mspdebug, bit-exact with the int8 reference: convolutions with
odd window sizes (the dot product's remainders), padding, stride, pooled and unpooled tiles,
chunked windows, row rings; dense row-major and 4x4-interleaved; and the MNIST CNN through
`tinyprune run`, arena moved to FRAM by the planner."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from graphs import GraphBuilder
from int8_graphs import quantize_randomly, random_input

pytestmark = [
    pytest.mark.msp430,
    pytest.mark.skipif(any(shutil.which(t) is None for t in ("clang-14", "ld.lld-14", "mspdebug")),
                       reason="clang-14, ld.lld-14 or mspdebug not installed"),
]


def _conv_net(seed: int, c_in: int, c_out: int, kernel: tuple[int, int], stride: tuple[int, int],
              padding: str, pool: bool, units: int):
    b = GraphBuilder(f"msp430_s8_{seed}", (1, 9, 7, c_in), seed=seed)
    x = b.conv("input", c_out, kernel=kernel, stride=stride, padding=padding, activation="relu")
    if pool:
        x = b.pool(x, "MaxPool2D")
    x = b.conv(x, 5, kernel=(3, 3), activation="relu")
    return quantize_randomly(b.finish(b.dense(b.flatten(x), units)), seed)


@pytest.mark.parametrize("seed, c_in, c_out, kernel, stride, padding, pool, units", [
    (1, 1, 8, (3, 3), (1, 1), "same", True, 8),     # 9-value windows, pooled, interleaved dense
    (2, 3, 7, (2, 3), (1, 1), "valid", False, 5),   # 18 values, odd channels, row-major dense
    (3, 5, 4, (3, 2), (2, 1), "same", False, 12),   # 30 values, stride, padding
    (4, 8, 6, (3, 3), (1, 1), "same", True, 3),     # 72 values
    (5, 16, 3, (3, 3), (1, 1), "same", False, 4),   # 144: the longest with int16 weights
    (6, 20, 3, (3, 3), (1, 1), [0, 2, 1, 0], True, 4),  # 180: int8 weights; explicit padding
    (7, 2, 5, (1, 5), (1, 2), "same", False, 6),    # rows of 5 pixels, stride 2
])
def test_int8_kernels_bit_exact(seed, c_in, c_out, kernel, stride, padding, pool, units, tmp_path):
    from host.device_run import run_on_board

    graph = _conv_net(seed, c_in, c_out, kernel, stride, padding, pool, units)
    x = random_input(graph, seed)
    run = run_on_board(graph, "msp430fr6989", x, tmp_path)
    assert run.bit_exact, (run.output, run.reference)
    assert np.unique(run.reference).size > 1


def _fram_only_board():
    """msp430fr6989 with the arena and scratch in FRAM and no overflow region: the build then
    plans the smallest memory (im2col chunks of one window row) instead of the fastest."""
    from sdk.boards import load_board

    board = load_board("msp430fr6989")
    memory = {**board.extra["memory"], "arena": "FRAM", "scratch": "FRAM", "overflow": None}
    return dataclasses.replace(board, extra={**board.extra, "memory": memory})


@pytest.mark.parametrize("seed, chain", [(8, False), (9, True)])
def test_chunked_windows_and_row_rings_bit_exact(seed, chain, tmp_path):
    """Windows split into rows (partial sums between chunks) and a two-convolution chain whose
    first layer's rows live in a ring (the gather's ring rows), with and without padding."""
    from host.device_run import run_on_board

    b = GraphBuilder(f"msp430_chunks_{seed}", (1, 10, 8, 8), seed=seed)
    x = b.conv("input", 6, kernel=(3, 3), activation="relu")
    if chain:
        x = b.conv(x, 4, kernel=(3, 3), padding="valid", activation="relu")
    x = b.pool(x, "MaxPool2D")
    graph = quantize_randomly(b.finish(b.dense(b.flatten(x), 5)), seed)
    x = random_input(graph, seed)
    run = run_on_board(graph, _fram_only_board(), x, tmp_path)
    model_c = (tmp_path / "build" / "model.c").read_text()
    assert re.search(r"tp_conv_params_s8 \w+ = \{.*, 1\};", model_c), "no chunked window"
    if chain:
        assert re.search(r"tp_conv_chain_params_s8 \w+ = \{\{&\w+, &\w+\}, 2,", model_c)
    assert run.bit_exact, (run.output, run.reference)
    assert np.unique(run.reference).size > 1


_REQUANT_CHECK = r"""
#include "tp_requant.h"
#include "arch/msp430/tp_msp430_s8.h"
static uint32_t s = 12345;
static uint32_t rnd32(void) { s = s * 1103515245u + 12345u; return s; }
static int32_t clamp8(int32_t v) { return v < -128 ? -128 : v > 127 ? 127 : v; }
int main(void) {
    int32_t i, bad = 0;
    for (i = 0; i < 3000; i++) {
        const uint32_t r1 = rnd32(), r2 = rnd32(), r3 = rnd32();
        int32_t x = (int32_t)((r1 << 16) ^ r2) >> (2 + (r3 & 31) % 28);
        int32_t m = (int32_t)((1uL << 30) | (((r2 << 16) ^ r1) & 0x3FFFFFFFuL));
        const int16_t e = (int16_t)(1 + (r3 >> 8) % 31);
        int32_t ref, got;
        if (i < 4) {
            x = (i & 1) ? (1L << 30) - 1 : -(1L << 30) + 1;
            m = (i & 2) ? 0x7FFFFFFFL : (1L << 30);
        }
        ref = tp_requant_fast(x, m, e, (int32_t)1 << (e - 1));
        got = tp_msp430_requant_fast(x, m, e);
        bad += ref >= -16384 && ref <= 16384 && got != ref;
        bad += clamp8(got - 128) != clamp8(ref - 128) || clamp8(got + 127) != clamp8(ref + 127);
    }
    return bad > 100 ? 100 : (int)bad;
}
"""


def test_multiplier_requantization_matches_the_portable_one(tmp_path):
    """tp_msp430_requant_fast against tp_requant_fast on 3,000 random accumulators,
    multipliers and shifts (and the extremes): equal where the result is small, the same byte
    after any int8 clamp elsewhere."""
    from host.build import build_sources
    from host.mspdebug import run_mspdebug
    from sdk.boards import load_board
    from sdk.paths import DEVICE_DIR, ENGINE_DIR

    board = load_board("msp430fr6989")
    src = tmp_path / "requant_check.c"
    src.write_text(_REQUANT_CHECK)
    routine = ENGINE_DIR / "arch" / "msp430" / "tp_msp430_requant_fast.S"
    elf, _map, _cmd = build_sources(board, [src, routine,
                                            *[board.dir / s for s in board.sources]],
                                    tmp_path, [ENGINE_DIR, DEVICE_DIR / "app"])
    assert run_mspdebug(elf, {}, timeout_s=120).exit_code == 0


@pytest.mark.slow
def test_mnist_cnn_run_reports_cycles(tmp_path):
    pytest.importorskip("torch")
    from host.bench_models import mnist_cnn_int8
    from sdk.ir import save_model

    graph, x, _source = mnist_cnn_int8()
    save_model(graph, tmp_path / "mnist.tpm")
    np.save(tmp_path / "x.npy", x)
    proc = subprocess.run([sys.executable, "-m", "host", "run", "mnist.tpm", "--board",
                           "msp430fr6989", "--input", "x.npy"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "largest relative difference, device vs host: 0" in proc.stdout
    assert "cycles/MAC" in proc.stdout and "instr/MAC" not in proc.stdout
    assert "cycles per inference:" in proc.stdout and "per MAC:" in proc.stdout
