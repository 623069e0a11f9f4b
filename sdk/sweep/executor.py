"""Run a sweep's missing trials on a backend and store each result as it arrives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sdk.errors import TinypruneError
from sdk.sweep.store import ResultStore, trial_key

TrialFn = Callable[[dict], dict]
Outcome = tuple[dict, str, "dict | str"]  # (config, "ok" | "error", result or message)


def _guarded(fn: TrialFn, config: dict) -> Outcome:
    """Run one trial; a user-level error becomes its record, anything else propagates."""
    try:
        return config, "ok", fn(config)
    except TinypruneError as exc:
        return config, "error", str(exc)


class Backend(Protocol):
    """Where trials run: ``map`` yields one outcome per configuration, in any order."""

    def map(self, fn: TrialFn, configs: list[dict]) -> Iterator[Outcome]:
        """Run ``fn`` on every configuration."""
        ...


@dataclass(frozen=True)
class LocalBackend:
    """Trials in this process one after another (``workers`` 1), or on a process pool."""

    workers: int = 1

    def map(self, fn: TrialFn, configs: list[dict]) -> Iterator[Outcome]:
        """Run ``fn`` on every configuration."""
        if self.workers <= 1:
            for config in configs:
                yield _guarded(fn, config)
            return
        with ProcessPoolExecutor(self.workers) as pool:
            futures = [pool.submit(_guarded, fn, c) for c in configs]
            for future in as_completed(futures):
                yield future.result()


@dataclass
class SweepResult:
    """Every configuration's record, in the order given, and how many ran now."""

    records: list[dict]
    ran: int
    reused: int

    @property
    def failed(self) -> list[dict]:
        """Records of trials that ended in an error."""
        return [r for r in self.records if r["status"] != "ok"]


def run_sweep(configs: list[dict], fn: TrialFn, store: ResultStore,
              backend: Backend | None = None, progress: bool = True,
              describe: Callable[[dict], str] | None = None) -> SweepResult:
    """Run every configuration ``store`` does not hold on ``backend`` (local, one at a time
    by default), storing each outcome when it arrives; returns all records. Duplicate
    configurations run once."""
    backend = backend or LocalBackend()
    unique = list({trial_key(c): c for c in configs}.values())
    todo = [c for c in unique if trial_key(c) not in store]
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), disable=not progress)
    with bar:
        task = bar.add_task(f"sweep ({len(unique) - len(todo)} done before)", total=len(unique),
                            completed=len(unique) - len(todo))
        for config, status, payload in backend.map(fn, todo):
            store.add(config, status, payload)
            label = describe(config) if describe else trial_key(config)
            bar.update(task, advance=1, description=f"sweep: {label} {status}")
    records = [store.records[trial_key(c)] for c in configs]
    return SweepResult(records, len(todo), len(unique) - len(todo))
