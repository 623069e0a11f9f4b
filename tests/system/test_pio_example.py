"""The committed PlatformIO example model (examples/pio/model/) is what its script generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pio_example_model.py"
COMMITTED = ROOT / "examples" / "pio" / "model"


def test_the_committed_pio_example_is_up_to_date(tmp_path):
    spec = importlib.util.spec_from_file_location("pio_example_model", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.write_example(tmp_path)
    generated = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in COMMITTED.iterdir()}
    assert set(generated) == {"model.c", "model.h", "steps.json", "engine_sources.txt"}
    stale = sorted(name for name in generated.keys() | committed.keys()
                   if generated.get(name) != committed.get(name))
    assert not stale, (f"examples/pio/model is stale ({', '.join(stale)} differ from what the "
                       "generator writes); regenerate it with "
                       "`.venv/bin/python scripts/pio_example_model.py` and commit the result")
