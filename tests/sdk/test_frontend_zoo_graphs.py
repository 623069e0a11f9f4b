"""The PyTorch frontend turns the zoo's models into exactly the graphs it always has.

``zoo_graphs.json`` holds, for each float zoo model with seeded weights, the ``graph.json`` of its
``.tpm`` file (op names, types, inputs, outputs and attributes, tensor names, shapes and
order) and a SHA-256 of every constant array. A change to the frontend that alters any of
them fails here. Regenerate the file only for an intended change:
``.venv/bin/python tests/sdk/test_frontend_zoo_graphs.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from sdk.frontends.pytorch import from_torch  # noqa: E402
from sdk.ir import save_model  # noqa: E402
from sdk.zoo import get as zoo_get  # noqa: E402
from sdk.zoo import names  # noqa: E402

GOLDEN = Path(__file__).with_name("zoo_graphs.json")


def _seeded(name: str, seed: int = 0) -> nn.Module:
    """The zoo model with weights and BatchNorm statistics drawn from numpy's seeded PCG64
    (independent of torch's initializers), in eval mode."""
    model = zoo_get(name).factory()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.2))
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.from_numpy(rng.standard_normal(m.num_features)))
                m.running_var.copy_(torch.from_numpy(rng.uniform(0.25, 2.0, m.num_features)))
    return model.eval()


def zoo_graph_record(name: str, tmp_dir: Path) -> dict:
    """``graph.json`` of the converted model's ``.tpm`` and the digests of its arrays."""
    path = save_model(from_torch(_seeded(name), zoo_get(name).input_shape, name),
                      tmp_dir / f"{name}.tpm")
    with np.load(path, allow_pickle=False) as npz:
        doc = json.loads(npz["graph.json"].tobytes().decode())
        arrays = {k: f"{npz[k].dtype}{list(npz[k].shape)}:"
                  + hashlib.sha256(np.ascontiguousarray(npz[k]).tobytes()).hexdigest()
                  for k in sorted(npz.files) if k != "graph.json"}
    return {"graph": doc, "arrays": arrays}


@pytest.mark.parametrize("name", names(binary=False))
def test_zoo_model_converts_to_the_recorded_graph(name, tmp_path):
    want = json.loads(GOLDEN.read_text())[name]
    got = zoo_graph_record(name, tmp_path)
    assert got["graph"] == want["graph"]
    assert got["arrays"] == want["arrays"]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        records = {n: zoo_graph_record(n, Path(tmp)) for n in names(binary=False)}
    GOLDEN.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}", file=sys.stderr)
