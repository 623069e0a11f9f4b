"""A board's budget for a model, from its description, and the check every search candidate
passes before it is trained.

Three limits (boards/<board>/board.json and the fitted cost file):

* **weights**: the packed constants (``generate_model``'s ``weights_bytes``: bit-packed binary
  weights in the board's word, thresholds, the head's tables) against the region the board
  puts weights in (``memory.weights``: FRAM on the MSP430, flash on the Cortex-M7) less the
  firmware beside them (engine, app, runtime: the largest measured while fitting the cost
  model, ``firmware_bytes`` in sdk/kernels/binary_cost.json);
* **activations**: the arena and scratch of the smallest-memory plan against the arena
  region's ``arena_bytes`` (the MSP430's SRAM gives 1,472 of its 2,048 bytes; the rest is
  stack and statics);
* **time**: cycles (MSP430) or instructions (qemu_m7) per inference predicted by the fitted
  cost model (sdk.kernels.binary_cost), each step increased by its model's largest stated
  error so a candidate that only fits within the models' error is rejected, against the
  deadline ``clock / frame rate`` less what the caller reserves (preprocessing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sdk.boards import Board, load_board
from sdk.errors import TinypruneError
from sdk.ir import Graph
from sdk.kernels.binary_cost import COST_FILE, predict_steps


@dataclass(frozen=True)
class Budget:
    """What a model may use on ``board``: bytes of packed weights and of activations, and
    counter units per inference (None: no deadline)."""

    board: str
    weight_bytes: int
    activation_bytes: int
    count_limit: int | None
    counter_unit: str


def _firmware_bytes(board: str) -> int:
    if not COST_FILE.is_file():
        return 0
    return int(json.loads(COST_FILE.read_text()).get("firmware_bytes", {}).get(board, 0))


def board_budget(board: str | Board, frame_rate_hz: float | None = None,
                 reserve_units: int = 0) -> Budget:
    """The budget of ``board`` (a name or a loaded board); with ``frame_rate_hz`` a deadline
    of ``clock / rate - reserve_units`` counter units per inference."""
    b = load_board(board) if isinstance(board, str) else board
    if not b.flash_bytes or not b.ram_bytes:
        raise TinypruneError(f"board {b.name}: no memory limits in its board.json, so no budget "
                             "(pick a board with flash_bytes and ram_bytes)")
    memory = b.extra.get("memory", {})
    regions = memory.get("regions", {})
    weights_region = regions.get(memory.get("weights", ""), {})
    arena_region = regions.get(memory.get("arena", ""), {})
    weight_room = int(weights_region.get("bytes", b.flash_bytes)) - _firmware_bytes(b.name)
    activation_room = int(arena_region.get("arena_bytes", arena_region.get("bytes", b.ram_bytes)))
    limit = None
    if frame_rate_hz is not None:
        if not frame_rate_hz > 0:
            raise TinypruneError(f"frame rate {frame_rate_hz}: expected a rate > 0 Hz")
        limit = int(b.clock_hz / frame_rate_hz) - reserve_units
    return Budget(b.name, weight_room, activation_room, limit, b.counter_unit)


@dataclass(frozen=True)
class Usage:
    """One limit: what the model uses, what the board allows, in what unit."""

    what: str
    used: float
    limit: float | None
    unit: str

    @property
    def fits(self) -> bool:
        """True when there is no limit or the use is within it."""
        return self.limit is None or self.used <= self.limit

    def __str__(self) -> str:
        limit = "no limit" if self.limit is None else f"{self.limit:,.0f}"
        return f"{self.what} {self.used:,.0f} of {limit} {self.unit}"


@dataclass(frozen=True)
class BudgetCheck:
    """A model against a budget: every limit, the predicted count before the error margin,
    and the kernels the cost model does not cover."""

    usages: tuple[Usage, ...]
    predicted_count: float
    unmodelled: tuple[str, ...]

    @property
    def fits(self) -> bool:
        """True when every limit holds and every kernel's cost is modelled."""
        return all(u.fits for u in self.usages) and not self.unmodelled

    @property
    def reasons(self) -> list[str]:
        """Why the model does not fit (empty when it does)."""
        found = [f"{u} (over by {u.used - (u.limit or 0):,.0f})" for u in self.usages
                 if not u.fits]
        if self.unmodelled:
            found.append(f"no cost model for {', '.join(self.unmodelled)}")
        return found

    @property
    def violation(self) -> float:
        """How far the model is from fitting: the sum over exceeded limits of the relative
        overshoot (``used / limit - 1``), plus 1 when a kernel's cost is unknown; 0 when it
        fits. What the search tells its sampler about a rejected candidate."""
        over = sum(u.used / u.limit - 1 for u in self.usages
                   if not u.fits and u.limit is not None and u.limit > 0)
        return over + (1.0 if self.unmodelled else 0.0)

    def to_json(self) -> dict:
        """The check as a results-table entry."""
        return {"fits": self.fits, "reasons": self.reasons,
                "predicted_count": round(self.predicted_count),
                **{u.what.replace(" ", "_"): u.used for u in self.usages}}


def check_budget(graph: Graph, budget: Budget) -> BudgetCheck:
    """Lower ``graph`` for the budget's board (its packing word, its memory regions) and
    check packed weights, activations and the predicted count against ``budget``."""
    from sdk.codegen import c_library
    from sdk.codegen.generate import generate_model
    from sdk.codegen.memory_planner import MemoryLayout, choose_variants
    from sdk.kernels.bitpack import word_bits_for_arch
    from sdk.kernels.program import lower

    board = load_board(budget.board)
    arch = c_library.board_arch(board)
    word = word_bits_for_arch(arch)
    graph = replace(graph, metadata={**graph.metadata, "binary_word": word, "arch": arch})
    memory = board.extra.get("memory")
    layout = MemoryLayout.from_json(memory) if memory else None
    gen = generate_model(graph, layout=layout, prefer_speed=True)
    _, smallest = choose_variants(lower(graph), layout)
    ops = {op.name: op for op in graph.ops}
    estimate = predict_steps(board.name, [(graph, ops[s.name], s.kernel) for s in gen.steps],
                             word)
    usages = (Usage("weight bytes", gen.weights_bytes, budget.weight_bytes, "B"),
              Usage("activation bytes", smallest.arena_bytes + smallest.scratch_arena_bytes,
                    budget.activation_bytes, "B"),
              Usage(budget.counter_unit, estimate.bound, budget.count_limit, "per inference"))
    return BudgetCheck(usages, estimate.count, estimate.unmodelled)
