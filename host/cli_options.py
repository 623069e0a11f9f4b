"""Command-line options that several commands share, spelled once."""

from __future__ import annotations

import typer

from sdk.boards import board_names

BOARD_OPT = typer.Option("qemu_m7", "--board", "-b",
                         help=f"Board from boards/: {', '.join(board_names())}.")
