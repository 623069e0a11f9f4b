"""The pruning schedule TF-MOT users know: polynomial decay of the sparsity between two steps.

``sparsity(step) = final + (initial - final) * (1 - p) ** power`` with
``p = clip((step - begin_step) / (end_step - begin_step), 0, 1)``; masks are updated only at
steps ``begin_step, begin_step + frequency, ...`` up to ``end_step`` (TF-MOT's
``PolynomialDecay`` with its default power 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from sdk.errors import TinypruneError


def check_sparsity(value: float, what: str) -> float:
    """``value`` if it is a sparsity in [0, 1), else a one-line error naming ``what``."""
    if not isinstance(value, (int, float)) or not 0.0 <= float(value) < 1.0:
        raise TinypruneError(f"{what}: sparsity {value!r}; expected a fraction in [0, 1) "
                             "(1 would remove every weight)")
    return float(value)


@dataclass(frozen=True)
class PolynomialDecay:
    """Sparsity rising from ``initial_sparsity`` at ``begin_step`` to ``final_sparsity`` at
    ``end_step``, updated every ``frequency`` steps."""

    initial_sparsity: float
    final_sparsity: float
    begin_step: int
    end_step: int
    frequency: int = 100
    power: float = 3.0

    def __post_init__(self) -> None:
        check_sparsity(self.initial_sparsity, "initial_sparsity")
        check_sparsity(self.final_sparsity, "final_sparsity")
        if self.begin_step < 0 or self.end_step <= self.begin_step:
            raise TinypruneError(f"pruning schedule: begin_step {self.begin_step}, end_step "
                                 f"{self.end_step}; expected 0 <= begin_step < end_step")
        if self.frequency < 1:
            raise TinypruneError(f"pruning schedule: frequency {self.frequency}; expected >= 1")

    def sparsity(self, step: int) -> float:
        """The target sparsity at ``step`` (constant outside [begin_step, end_step])."""
        p = min(1.0, max(0.0, (step - self.begin_step) / (self.end_step - self.begin_step)))
        return self.final_sparsity + (self.initial_sparsity - self.final_sparsity) * (1.0 - p) ** self.power

    def should_prune(self, step: int) -> bool:
        """True at the steps where the masks are recomputed."""
        return (self.begin_step <= step <= self.end_step
                and (step - self.begin_step) % self.frequency == 0)

    def __call__(self, step: int) -> tuple[bool, float]:
        """``(should_prune(step), sparsity(step))``, as TF-MOT's schedules answer."""
        return self.should_prune(step), self.sparsity(step)
