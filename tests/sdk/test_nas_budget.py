"""The board budget a search candidate is checked against before training: limits taken from
the board description and the fitted cost file, and candidates that do not fit rejected with
the limit they break."""

from __future__ import annotations

import json

import pytest

from sdk.boards import load_board
from sdk.errors import TinypruneError
from sdk.kernels.binary_cost import COST_FILE
from sdk.nas.budget import board_budget, check_budget
from sdk.nas.space import arch_graph

SMALL = {"input": [1, 16, 12], "convs": [[8, 3, 2, 1]], "dense": [16], "classes": 4}


def test_the_budget_comes_from_the_board_description():
    firmware = json.loads(COST_FILE.read_text())["firmware_bytes"]["msp430fr6989"]
    assert 0 < firmware < 48_000
    budget = board_budget("msp430fr6989", frame_rate_hz=18.0, reserve_units=381_000)
    assert budget.weight_bytes == 48_000 - firmware  # FRAM, less the firmware beside it
    assert budget.activation_bytes == 1_472  # the SRAM's arena_bytes
    assert budget.count_limit == 16_000_000 // 18 - 381_000
    m7 = board_budget(load_board("qemu_m7"))
    assert (m7.activation_bytes, m7.count_limit, m7.counter_unit) == (262_144, None,
                                                                      "instructions")
    with pytest.raises(TinypruneError, match="no memory limits"):
        board_budget("host")
    with pytest.raises(TinypruneError, match="frame rate"):
        board_budget("msp430fr6989", frame_rate_hz=0.0)


def test_a_small_candidate_fits_the_msp430():
    check = check_budget(arch_graph(SMALL), board_budget("msp430fr6989", frame_rate_hz=18.0))
    assert check.fits, check.reasons
    assert check.predicted_count > 0 and check.unmodelled == ()


SLOW = {"input": [1, 30, 20], "convs": [[16, 3, 2, 0], [24, 3, 1, 1], [24, 3, 1, 1]],
        "dense": [], "classes": 4}


@pytest.mark.parametrize("arch, rate, limit", [
    # 784 x 512 binary weights: 50 kB of packed bits
    ({"input": [1, 28, 28], "convs": [], "dense": [512], "classes": 10}, None, "weight"),
    # a 28 x 28 x 48 binary activation is 4.7 kB, beside its input
    ({"input": [1, 28, 28], "convs": [[48, 3, 1, 0], [8, 3, 1, 1]], "dense": [],
      "classes": 4}, None, "activation"),
    # about 1.3 M cycles: 12 frames a second at 16 MHz, not 18
    (SLOW, 18.0, "cycles"),
])
def test_candidates_that_do_not_fit_are_rejected_naming_the_limit(arch, rate, limit):
    check = check_budget(arch_graph(arch), board_budget("msp430fr6989", frame_rate_hz=rate))
    assert not check.fits
    assert [r.split(" ")[0] for r in check.reasons] == [limit], check.reasons
    assert "over by" in check.reasons[0]
    # the violation the search tells its sampler: the relative overshoot of that limit
    over = next(u for u in check.usages if not u.fits)
    assert check.violation == pytest.approx(over.used / over.limit - 1) and check.violation > 0


def test_a_candidate_that_fits_violates_nothing():
    check = check_budget(arch_graph(SMALL), board_budget("msp430fr6989", frame_rate_hz=18.0))
    assert check.fits and check.violation == 0.0


def test_the_slow_candidate_fits_without_a_deadline_or_on_the_m7():
    assert check_budget(arch_graph(SLOW), board_budget("msp430fr6989")).fits
    assert check_budget(arch_graph(SLOW), board_budget("qemu_m7", frame_rate_hz=18.0)).fits

