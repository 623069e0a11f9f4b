"""The run command's step table names the board's counter: instructions on QEMU, MCLK cycles
on the MSP430, nothing on the host board (no counter)."""

from __future__ import annotations

from rich.console import Console

from host.device_run import StepProfile
from host.reports import profile_table


def _render(unit: str) -> str:
    steps = [StepProfile("conv", "Conv2D", ["conv"], 100, None if unit == "none" else 1500),
             StepProfile("dense", "Dense", ["dense"], 50, None if unit == "none" else 500)]
    con = Console(width=200, record=True)
    con.print(profile_table(steps, "t", unit))
    return con.export_text()


def test_qemu_counts_instructions():
    text = _render("instructions")
    assert "instr/MAC" in text and "QEMU" in text and "cycles" not in text.split("\n")[1]
    assert "2,000" in text and "13.33" in text


def test_msp430_counts_cycles():
    text = _render("cycles")
    assert "cycles/MAC" in text and "MCLK" in text and "instr" not in text
    assert "2,000" in text and "13.33" in text


def test_host_board_shows_no_counter():
    text = _render("none")
    assert "no counter" in text
    assert "instr" not in text and "cycles" not in text and "share" not in text
    assert "150" in text  # MACs still shown
