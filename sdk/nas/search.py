"""The search over binary architectures: the space Optuna samples, the objectives, and the
Pareto front of the trained candidates.

Each candidate (:mod:`sdk.nas.space`) has 0-3 convolutions (channels, kernel size, a 2x2 max
pool or not; the first reads the int8 input and may have stride 2), 0-2 binary dense layers
and the int8 head. Every layer but the first is binary: int8 hidden layers are not in the
binary network's export yet (``precision`` is fixed to binary). The objectives are the test
accuracy (maximized; with ``accuracy at ber=R`` the mean test accuracy over seeded trials that
flip each packed weight bit with probability R, :mod:`sdk.bnn.bit_errors`), the packed weight
bytes and the binary operations (minimized).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from sdk.errors import TinypruneError
from sdk.nas.space import check_arch

SPACES = ("bnn",)
CHANNELS = (8, 16, 24, 32, 48, 64)
KERNELS = (1, 3, 5)
UNITS = (16, 32, 64, 128, 256)
OBJECTIVES = ("accuracy", "weight_bytes", "binary_ops")
DIRECTIONS: tuple[Literal["maximize", "minimize"], ...] = ("maximize", "minimize", "minimize")


def parse_objective(text: str) -> float | None:
    """The bit error rate of ``accuracy at ber=R`` (R in [0, 1)), or None for ``accuracy``;
    anything else is a one-line error."""
    text = text.strip()
    if text == "accuracy":
        return None
    match = re.fullmatch(r"accuracy at ber\s*=\s*([0-9.eE+-]+)", text)
    if match:
        try:
            rate = float(match.group(1))
        except ValueError:
            rate = -1.0
        if not 0.0 <= rate < 1.0:
            raise TinypruneError(f"--objective {text!r}: the bit error rate must be in [0, 1)")
        return rate
    raise TinypruneError(f"--objective {text!r}: expected 'accuracy' or 'accuracy at ber=R'")


def check_space(space: str) -> str:
    """``space`` if it is a known search space."""
    if space not in SPACES:
        raise TinypruneError(f"--space {space!r}: expected one of {', '.join(SPACES)}")
    return space


def suggest_arch(trial: Any, input_chw: tuple[int, int, int], classes: int) -> dict:
    """A candidate drawn by an Optuna ``trial`` (conditional parameters per layer)."""
    convs = []
    for i in range(trial.suggest_int("convs", 0, 3)):
        kernels = KERNELS[1:] if i == 0 else KERNELS
        convs.append([trial.suggest_categorical(f"conv{i}_channels", CHANNELS),
                      trial.suggest_categorical(f"conv{i}_kernel", kernels),
                      trial.suggest_int("conv0_stride", 1, 2) if i == 0 else 1,
                      trial.suggest_int(f"conv{i}_pool", 0, 1)])
    dense = [trial.suggest_categorical(f"dense{i}_units", UNITS)
             for i in range(trial.suggest_int("dense", 0, 2))]
    return {"input": list(input_chw), "convs": convs, "dense": dense, "classes": classes}


def arch_params(arch: dict) -> dict:
    """The Optuna parameters for which :func:`suggest_arch` draws ``arch`` (what
    ``study.enqueue_trial`` takes to start a search from a known design)."""
    params: dict[str, int] = {"convs": len(arch["convs"]), "dense": len(arch["dense"])}
    for i, (channels, kernel, stride, pool) in enumerate(arch["convs"]):
        params.update({f"conv{i}_channels": channels, f"conv{i}_kernel": kernel,
                       f"conv{i}_pool": pool})
        if i == 0:
            params["conv0_stride"] = stride
    params.update({f"dense{i}_units": units for i, units in enumerate(arch["dense"])})
    return params


_LAYER = re.compile(r"c(\d+)k(\d+)(?:s(\d+))?(p?)|d(\d+)|h(\d+)")


def parse_arch(text: str, input_chw: tuple[int, int, int], classes: int,
               what: str = "architecture") -> dict:
    """The architecture of a :func:`describe` text (``c16k3s2p-c32k3p-d64-h4``; the head
    ``-hN`` may be left out), checked to be in the space (at most 3 convolutions then 2 dense
    layers, their channels, kernels, strides and units) and to have ``classes`` outputs: a
    candidate the search can draw. Anything else is a one-line error naming ``what``."""
    def bad(why: str) -> TinypruneError:
        return TinypruneError(f"{what} {text!r}: {why} (e.g. c16k3s2p-c32k3p-d64-h4)")

    convs: list[list[int]] = []
    dense: list[int] = []
    parts = text.strip().split("-")
    for n, part in enumerate(parts):
        match = _LAYER.fullmatch(part)
        if match is None:
            raise bad(f"{part!r} is not a layer: cCkK[s2][p], dU or hN")
        channels, kernel, stride, pool, units, head = match.groups()
        if head is not None:
            if n != len(parts) - 1 or int(head) != classes:
                raise bad(f"the head {part!r} must come last with the data's {classes} classes")
        elif units is not None:
            if int(units) not in UNITS or len(dense) == 2:
                raise bad(f"dense layers: at most 2, of {', '.join(map(str, UNITS))} units")
            dense.append(int(units))
        else:
            first = not convs
            if (dense or len(convs) == 3 or int(channels) not in CHANNELS
                    or int(kernel) not in (KERNELS[1:] if first else KERNELS)
                    or int(stride or 1) not in ((1, 2) if first else (1,))):
                raise bad("convolutions: at most 3, before the dense layers, of "
                          f"{', '.join(map(str, CHANNELS))} channels, kernel 1, 3 or 5 (the "
                          "first 3 or 5), a stride of 2 on the first only")
            convs.append([int(channels), int(kernel), int(stride or 1), int(bool(pool))])
    return check_arch({"input": list(input_chw), "convs": convs, "dense": dense,
                       "classes": classes})


def pareto_front(rows: list[dict]) -> list[bool]:
    """For each row (with the OBJECTIVES), whether no other row is at least as good on every
    objective and better on one."""
    def better_or_equal(a: dict, b: dict) -> bool:
        return (a["accuracy"] >= b["accuracy"] and a["weight_bytes"] <= b["weight_bytes"]
                and a["binary_ops"] <= b["binary_ops"])

    def key(r: dict) -> tuple:
        return (r["accuracy"], -r["weight_bytes"], -r["binary_ops"])

    return [not any(better_or_equal(o, r) and key(o) != key(r) for o in rows) for r in rows]


def describe(arch: dict) -> str:
    """A short text of an architecture: ``c16k3s2p-c32k3p-d64-h4``."""
    parts = [f"c{c}k{k}" + (f"s{s}" if s > 1 else "") + ("p" if p else "")
             for c, k, s, p in arch["convs"]]
    parts += [f"d{u}" for u in arch["dense"]]
    return "-".join([*parts, f"h{arch['classes']}"])
