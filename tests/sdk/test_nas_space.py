"""Architectures as the search writes them (``c16k3s2p-c32k3p-d64-h4``): parsed back into the
space (what `tinyprune nas --enqueue` starts from), drawn exactly by Optuna from their
parameters, and anything outside the space refused in one line."""

from __future__ import annotations

import importlib.util

import pytest

from sdk.errors import TinypruneError
from sdk.nas.search import arch_params, describe, parse_arch, suggest_arch

INPUT = (1, 30, 20)


@pytest.mark.parametrize("text", ["c16k3s2p-c32k3p-d64-h4", "c8k5-c24k1p-c64k3-d16-d256-h4",
                                  "d128", "c48k3s2", "h4"])
def test_a_described_architecture_parses_back_and_is_drawn_from_its_parameters(text):
    arch = parse_arch(text, INPUT, 4)
    assert describe(arch) == (text if text.endswith("-h4") or text == "h4" else f"{text}-h4")
    assert arch["input"] == list(INPUT) and arch["classes"] == 4
    if importlib.util.find_spec("optuna") is None:
        pytest.skip("Optuna is not installed (the `nas` extra)")
    from optuna.trial import FixedTrial

    assert suggest_arch(FixedTrial(arch_params(arch)), INPUT, 4) == arch


@pytest.mark.parametrize("text, needle", [
    ("c16k3s2p-c32k3s2p", "stride of 2 on the first only"),
    ("c20k3", "channels"), ("c16k1", "the first 3 or 5"), ("d64-c16k3", "before the dense"),
    ("c8k3-c8k3-c8k3-c8k3", "at most 3"), ("d64-d64-d64", "at most 2"), ("d100", "units"),
    ("c16k3-h10", "4 classes"), ("h4-d64", "come last"), ("c16x3", "not a layer"),
    ("c16k3--d64", "not a layer"),
])
def test_an_architecture_outside_the_space_is_a_one_line_error(text, needle):
    with pytest.raises(TinypruneError) as err:
        parse_arch(text, INPUT, 4, "--enqueue")
    message = str(err.value)
    assert "\n" not in message and needle in message, message
    assert message.startswith("--enqueue") or "architecture" in message


def test_an_architecture_that_leaves_no_pixel_of_the_input_is_refused():
    with pytest.raises(TinypruneError, match="leaves a 0x0x8 output"):
        parse_arch("c8k3s2p-c8k3p", (1, 4, 4), 4)
