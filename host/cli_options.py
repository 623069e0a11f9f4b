"""Command-line options that several commands share, spelled once."""

from __future__ import annotations

import typer

from sdk.boards import board_names
from sdk.sweep import Backend, make_backend

BOARD_OPT = typer.Option("qemu_m7", "--board", "-b",
                         help=f"Board from boards/: {', '.join(board_names())}.")

BACKEND_OPT = typer.Option("local", "--backend", help="Where trials run: local (processes on "
                           "this machine, --workers at once) or ray (a local Ray instance of "
                           "--workers CPUs, or the cluster at --address; needs the cluster "
                           "extra). Results go to the same resumable store either way.")
ADDRESS_OPT = typer.Option(None, "--address", help="With --backend ray: the cluster's head "
                           "node HOST:PORT (from `ray start --head`), or auto.")


def sweep_backend(backend: str, address: str | None, workers: int) -> Backend:
    """The executor backend of a sweep command's --backend, --address and --workers, checked
    (choice, Ray installed, address reachable) before the command writes anything."""
    return make_backend(backend, workers, address)
