"""Run a sweep's missing trials on a backend and store each result as it arrives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sdk.errors import TinypruneError
from sdk.sweep.store import ResultStore, trial_key

TrialFn = Callable[[dict], dict]
Outcome = tuple[dict, str, "dict | str"]  # (config, "ok" | "error", result or message)


def guarded_trial(fn: TrialFn, config: dict) -> Outcome:
    """Run one trial on one torch thread; a user-level error becomes its record, anything
    else propagates."""
    with one_torch_thread():
        try:
            return config, "ok", fn(config)
        except TinypruneError as exc:
            return config, "error", str(exc)


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Pin torch to one intra-op thread for the block (restored after it), so a trial's float
    reductions, and hence its result, do not depend on how many cores its machine has."""
    try:
        import torch
    except ImportError:  # a sweep without torch has no threads to pin
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
                yield guarded_trial(fn, config)
            return
        with ProcessPoolExecutor(self.workers) as pool:
            futures = [pool.submit(guarded_trial, fn, c) for c in configs]
            for future in as_completed(futures):
                yield future.result()


BACKENDS = ("local", "ray")


def make_backend(kind: str, workers: int = 1, address: str | None = None) -> Backend:
    """The backend a sweep command asked for: ``local`` (``workers`` processes) or ``ray``
    (a local Ray instance of ``workers`` CPUs, or the cluster at ``address``). Checks the
    choice, Ray's presence and the address before any trial or file."""
    if kind not in BACKENDS:
        raise TinypruneError(f"--backend {kind!r}: expected one of {', '.join(BACKENDS)}")
    if kind == "local":
        if address is not None:
            raise TinypruneError("--address: only with --backend ray")
        return LocalBackend(workers)
    from sdk.sweep.ray_backend import RayBackend

    return RayBackend(address, num_cpus=None if address else workers)


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
