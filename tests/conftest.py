"""Shared test set-up: the helper modules beside this file (graphs, int8_graphs, mlperf_tiny,
protocol_peer, tflite_builder, toy_gestures) import by name from every test folder.

Folders by layer: ``sdk/`` (Python library, numpy references), ``device/`` (the C engine, DSP
and protocol built for the host), ``boards/`` (firmware on QEMU, mspdebug, board builds) and
``system/`` (the CLI, the serial link, whole applications). ``pytest -m "not slow"`` is the
fast lane.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
