"""Where the repository's non-Python parts live (device C sources, board folders)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVICE_DIR = ROOT / "device"
ENGINE_DIR = DEVICE_DIR / "engine"
BOARDS_DIR = ROOT / "boards"
SHARED_DIR = ROOT.parent / "shared"
