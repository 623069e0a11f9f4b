"""The search loop of ``tinyprune nas``: Optuna asks for candidates, the board budget rejects
those that do not fit before any training, the sweep executor trains the rest (any backend,
one resumable store), and Optuna is told every result.

Optuna's sampler is seeded and told the results in the order it asked for them, so a rerun
of the same command asks for the same candidates: the finished ones come back from the store
(``results.jsonl``) and only the missing ones train. Architectures given to start from
(``enqueue``: a known design) are asked first, in order, then the sampler draws around them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdk.errors import TinypruneError
from sdk.nas.budget import Budget, check_budget
from sdk.nas.search import DIRECTIONS, arch_params, describe, pareto_front, suggest_arch
from sdk.nas.space import arch_graph
from sdk.sweep import Backend, ResultStore, run_sweep

# Candidates drawn per trained one before the search gives up finding ones that fit.
MAX_DRAWS_PER_TRIAL = 50
# The Optuna constraint that carries a rejected candidate's distance from the budget.
BUDGET_CONSTRAINT = "budget"


@dataclass
class SearchResult:
    """Trained candidates (records with the architecture and result), candidates rejected by
    the budget (architecture and reasons), and how many trainings ran now or were reused."""

    trained: list[dict]
    rejected: list[dict]
    ran: int
    reused: int

    def winner(self) -> dict | None:
        """The record of the most accurate trained candidate (None when none finished)."""
        done = [r for r in self.trained if r["status"] == "ok"]
        return max(done, key=lambda r: r["result"]["accuracy"], default=None)

    def rows(self) -> list[dict]:
        """One row per trained candidate that finished, with its Pareto flag."""
        rows = [{"arch": describe(r["config"]["arch"]), "key": r["key"], **r["result"]}
                for r in self.trained if r["status"] == "ok"]
        for row, front in zip(rows, pareto_front(rows)):
            row["pareto"] = front
        return rows


def run_search(common: dict, input_chw: tuple[int, int, int], classes: int, budget: Budget,
               trials: int, seed: int, store: ResultStore, backend: Backend, batch: int,
               trial_fn: Callable[[dict], dict], progress: bool = True,
               enqueue: Sequence[dict] = ()) -> SearchResult:
    """Train ``trials`` candidates that fit ``budget`` (``batch`` at a time); ``common`` is
    the configuration every trial shares (data, epochs, seed, board). The ``enqueue``
    architectures (:func:`sdk.nas.search.parse_arch`) are the first candidates asked, checked
    against the budget like any other."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # The same sampler whatever --trials, so a longer search starts as the shorter one did.
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(directions=list(DIRECTIONS), sampler=sampler)
    for arch in enqueue:
        study.enqueue_trial(arch_params(arch))
    trained: list[dict] = []
    rejected: list[dict] = []
    # Per architecture drawn: its objective values, or the state it ended in.
    known: dict[str, Any] = {}
    violations: dict[str, float] = {}  # rejected architectures: BudgetCheck.violation
    ran = reused = draws = 0
    while len(trained) < trials:
        asked: list[tuple[Any, dict]] = []
        while len(asked) < min(batch, trials - len(trained)):
            draws += 1
            if draws > MAX_DRAWS_PER_TRIAL * trials:
                raise TinypruneError(f"nas: {draws - 1} candidates drawn and only "
                                     f"{len(trained) + len(asked)} fit the {budget.board} "
                                     "budget; relax --frame-rate or pick a larger board")
            trial = study.ask()
            arch = suggest_arch(trial, input_chw, classes)
            key = describe(arch)
            if key in known:  # drawn before: Optuna hears its result again, nothing trains
                if key in violations:
                    trial.set_constraint(BUDGET_CONSTRAINT, violations[key])
                study.tell(trial, **_told(known[key]))
                continue
            check = check_budget(arch_graph(arch), budget)
            if not check.fits:
                # How far over the budget: TPE ranks rejected candidates by it and draws
                # near the ones that nearly fit (a tight budget rejects most of the space)
                violations[key] = max(check.violation, 1e-6)
                trial.set_constraint(BUDGET_CONSTRAINT, violations[key])
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                rejected.append({"arch": key, "reasons": check.reasons})
                known[key] = optuna.trial.TrialState.PRUNED
                continue
            known[key] = optuna.trial.TrialState.RUNNING  # asked in this batch
            asked.append((trial, {**common, "arch": arch}))
        sweep = run_sweep([c for _, c in asked], trial_fn, store, backend, progress=progress,
                          describe=lambda c: describe(c["arch"]))
        ran, reused = ran + sweep.ran, reused + sweep.reused
        for (trial, config), record in zip(asked, sweep.records):
            trained.append(record)
            if record["status"] == "ok":
                r = record["result"]
                known[describe(config["arch"])] = [r["accuracy"], r["weight_bytes"],
                                                   r["binary_ops"]]
            else:
                known[describe(config["arch"])] = optuna.trial.TrialState.FAIL
            study.tell(trial, **_told(known[describe(config["arch"])]))
    return SearchResult(trained, rejected, ran, reused)


def _told(outcome: Any) -> dict:
    """``study.tell`` arguments for objective values or a final state; a candidate asked
    twice in one batch is told it failed the second time (it trains once)."""
    import optuna

    if isinstance(outcome, list):
        return {"values": outcome}
    running = outcome == optuna.trial.TrialState.RUNNING
    return {"state": optuna.trial.TrialState.FAIL if running else outcome}


def write_reports(result: SearchResult, folder: Path, title: str) -> dict[str, Path]:
    """nas.csv (every trained candidate), nas.md (the table) and pareto.png."""
    import csv
    import io

    from host.plots import plot_pareto
    from sdk.atomic import write_bytes_atomic

    rows = result.rows()
    cols = ["arch", "accuracy", "val_accuracy", "weight_bytes", "activation_bytes",
            "predicted_count", "binary_ops", "fits", "pareto", "epochs_run", "seconds"]
    text = io.StringIO()
    writer = csv.DictWriter(text, cols, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    csv_path = write_bytes_atomic(folder / "nas.csv", text.getvalue().encode())
    lines = [f"# {title}", "", "| architecture | test accuracy | weight bytes | activation bytes "
             "| predicted count | binary ops | Pareto |", "|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: -r["accuracy"]):
        lines.append(f"| {r['arch']} | {r['accuracy']:.4f} | {r['weight_bytes']:,} | "
                     f"{r['activation_bytes']:,} | {r['predicted_count']:,} | "
                     f"{r['binary_ops']:,} | {'yes' if r['pareto'] else ''} |")
    md_path = write_bytes_atomic(folder / "nas.md", ("\n".join(lines) + "\n").encode())
    png = plot_pareto(rows, folder / "pareto.png", title)
    return {"csv": csv_path, "table": md_path, "plot": png}
