"""Re-measure the dense and sparse kernels on qemu_m7 and rewrite sdk/kernels/sparse_cost.json
(the cost models the code generator picks sparse or dense weights with). About 4 minutes.
The measured cases are kept in WORK_DIR/cases.json when a work folder is given.

    .venv/bin/python scripts/fit_sparse_cost.py [WORK_DIR]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from rich.progress import Progress

from host.sparse_cost_fit import cases, fit, write


def main() -> None:
    """Measure, fit, write, and print each model's error."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp)
        with Progress() as bar:
            task = bar.add_task("measuring", total=None)
            found = cases(work, progress=lambda what: bar.update(task, description=what))
        data = fit(found)
        path = write(data)
        if len(sys.argv) > 1:
            (work / "cases.json").write_text(json.dumps([c.to_json() for c in found], indent=1))
    for m in data["models"]:
        print(f"{m['op']:7} {m['dtype']:8} {m['storage']:10} max error "
              f"{100 * m['max_rel_error']:.1f} % over {m['cases']} runs: {m['coefficients']}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
