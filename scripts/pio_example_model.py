"""Regenerate examples/pio/model/: the small model the PlatformIO environments compile.

    .venv/bin/python scripts/pio_example_model.py

A seeded two-layer dense network (8 -> 16 relu -> 4), exported with the same code generator
as `tinyprune build`; engine_sources.txt lists the engine sources it needs on every
architecture (sdk.codegen.c_library; files under device/engine/arch/<arch>/ are compiled only
for boards of that arch), for the builder in platforms/tinyprune. The output is checked in, so
`pio run` needs no Python step.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sdk.codegen.export import engine_files, write_generated  # noqa: E402
from sdk.codegen.generate import generate_model  # noqa: E402
from sdk.ir import Graph, Op, Tensor  # noqa: E402


def example_graph() -> Graph:
    """The example: dense 8 -> 16 (relu) -> 4, weights from a fixed seed."""
    rng = np.random.default_rng(18)
    g = Graph("pio_example", inputs=["input"])
    g.add_tensor(Tensor("input", (1, 8)))
    x = "input"
    for i, (n_in, n_out, act) in enumerate(((8, 16, "relu"), (16, 4, "none"))):
        w, b, out = f"w{i}", f"b{i}", f"dense{i}_out"
        g.add_tensor(Tensor(w, (n_out, n_in), data=rng.normal(scale=0.3, size=(n_out, n_in))
                            .astype(np.float32)))
        g.add_tensor(Tensor(b, (n_out,), data=rng.normal(scale=0.1, size=n_out)
                            .astype(np.float32)))
        g.add_op(Op(f"dense{i}", "Dense", [x, w, b], [out], {"activation": act}))
        x = out
    g.outputs = [x]
    g.validate()
    return g


def write_example(out: Path) -> None:
    """Write the example's model.c, model.h, steps.json and engine_sources.txt into ``out``."""
    gen = generate_model(example_graph())
    write_generated(gen, out)
    names = [p.relative_to(ROOT).as_posix() for p in engine_files(gen)
             if p.suffix in (".c", ".S")]
    (out / "engine_sources.txt").write_text("\n".join(names) + "\n")


def main() -> None:
    out = ROOT / "examples" / "pio" / "model"
    write_example(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
