"""The sweep executor: independent trials, a results store keyed by each trial's full
configuration, resume without redoing finished trials, progress.

A sweep is a list of configurations (plain JSON dicts) and one trial function
``fn(config) -> dict`` (a module-level function, so a process pool or a cluster backend can
ship it). :func:`run_sweep` runs the configurations the store does not hold yet on a
:class:`Backend` and appends each result as it arrives, so an interrupted sweep resumes where
it stopped. The local backend runs trials one after another in this process, or on a pool of
worker processes; a cluster backend (Ray) implements the same ``map``.
"""

from sdk.sweep.executor import Backend, LocalBackend, SweepResult, run_sweep
from sdk.sweep.store import ResultStore, trial_key

__all__ = ["Backend", "LocalBackend", "ResultStore", "SweepResult", "run_sweep", "trial_key"]
