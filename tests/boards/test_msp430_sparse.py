"""The sparse int8 convolution chain on the MSP430FR6989 (portable C, mspdebug simulator):
bit-exact with the int8 reference executor on a seeded pruned case."""

from __future__ import annotations

import shutil

import pytest

from host.device_run import run_on_board
from int8_graphs import random_input
from sparse_graphs import sparse_case

pytestmark = [
    pytest.mark.msp430,
    pytest.mark.skipif(shutil.which("clang-14") is None or shutil.which("ld.lld-14") is None
                       or shutil.which("mspdebug") is None,
                       reason="clang-14 / ld.lld-14 / mspdebug not installed"),
]


def test_sparse_chain_on_msp430_is_bit_exact(tmp_path):
    graph = sparse_case("chain", 0, "int8")
    run = run_on_board(graph, "msp430fr6989", random_input(graph, 0), tmp_path)
    assert [s.kernel for s in run.build.steps] == ["tp_conv_chain_sparse_s8"]
    assert run.bit_exact, (run.output, run.reference)
