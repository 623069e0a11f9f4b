"""The sweep executor: independent trials, a results store keyed by each trial's full
configuration, resume without redoing finished trials, progress.

A sweep is a list of configurations (plain JSON dicts) and one trial function
``fn(config) -> dict`` (a module-level function, so a process pool or a cluster backend can
ship it). :func:`run_sweep` runs the configurations the store does not hold yet on a
:class:`Backend` and appends each result as it arrives, so an interrupted sweep resumes where
it stopped. The local backend runs trials one after another in this process, or on a pool of
worker processes; the Ray backend (:mod:`sdk.sweep.ray_backend`, the optional ``cluster``
extra) implements the same ``map`` on a local Ray instance or a cluster. Every backend runs a
trial on one torch thread, so its result does not depend on where it ran.
"""

from sdk.sweep.executor import BACKENDS, Backend, LocalBackend, SweepResult, make_backend, run_sweep
from sdk.sweep.store import ResultStore, trial_key

__all__ = ["BACKENDS", "Backend", "LocalBackend", "ResultStore", "SweepResult", "make_backend",
           "run_sweep", "trial_key"]
