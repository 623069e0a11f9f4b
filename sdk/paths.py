"""Where the repository's non-Python parts live (device C sources, board folders).

From a source checkout (or an editable install) they are the repository's ``device/`` and
``boards/`` folders beside ``sdk/``; an installed wheel carries the same folders as package
data, ``sdk/_device`` and ``sdk/_boards`` (pyproject.toml maps them), so building firmware
works from either.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PACKAGE = Path(__file__).resolve().parent
_IN_CHECKOUT = (ROOT / "device" / "engine" / "tp_engine.h").is_file()
DEVICE_DIR = ROOT / "device" if _IN_CHECKOUT else _PACKAGE / "_device"
ENGINE_DIR = DEVICE_DIR / "engine"
BOARDS_DIR = ROOT / "boards" if _IN_CHECKOUT else _PACKAGE / "_boards"
SHARED_DIR = ROOT.parent / "shared"
