"""Energy per inference, estimated from a board's description (never measured here).

``energy = supply_volts * active_amps * counts / at_clock_hz``: the datasheet's typical active
current at the board's clock, for the time the counted cycles take. board.json ``energy``
names the figures and their source; on qemu_m7 the counts are QEMU's instructions taken as
cycles. Every output that shows an energy says it is this estimate and from which figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdk.boards import Board
from sdk.errors import UnsupportedError


@dataclass(frozen=True)
class EnergyModel:
    """The figures an estimate uses."""

    supply_volts: float
    active_amps: float
    at_clock_hz: float
    counts: str
    source: str

    def joules(self, count: int) -> float:
        """Estimated energy of ``count`` cycles (or instructions taken as cycles)."""
        return self.supply_volts * self.active_amps * count / self.at_clock_hz

    def note(self, board: str) -> str:
        """One line saying it is an estimate and from which figures."""
        return (f"energy is an ESTIMATE for {board}, not a measurement: {self.supply_volts:g} V x "
                f"{self.active_amps * 1e3:g} mA x counts / {self.at_clock_hz / 1e6:g} MHz; counts: "
                f"{self.counts}; figures: {self.source}")


def energy_model(board: Board) -> EnergyModel:
    """The energy figures of ``board``; "not supported" for a board without them."""
    e = board.extra.get("energy")
    if not isinstance(e, dict):
        raise UnsupportedError(f"energy estimates on board {board.name} (its board.json has no "
                               "'energy' figures)")
    return EnergyModel(float(e["supply_volts"]), float(e["active_amps"]), float(e["at_clock_hz"]),
                       str(e["counts"]), str(e["source"]))
