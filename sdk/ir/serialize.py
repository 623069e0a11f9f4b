"""Save and load models as one ``.tpm`` file.

A ``.tpm`` file is a zip archive (numpy ``.npz``, no pickles) holding ``graph.json`` (the
graph's structure, attributes, quantization parameters and metadata) and one array per
constant (``data/<tensor>`` and ``mask/<tensor>``). ``graph.json`` carries the format name and
``schema_version``; a file of a newer schema is refused rather than misread.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from sdk.atomic import write_bytes_atomic
from sdk.errors import ModelFileError, TinypruneError
from sdk.ir.graph import Graph, Op
from sdk.ir.tensor import DTYPES, QuantParams, Tensor

FORMAT = "tinyprune-model"
SCHEMA_VERSION = 1


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def save_model(graph: Graph, path: str | Path) -> Path:
    """Validate ``graph`` and write it to ``path``; the file is replaced atomically."""
    graph.validate()
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    tensors = []
    for t in graph.tensors.values():
        entry = {"name": t.name, "shape": list(t.shape), "dtype": t.dtype, "storage": t.storage,
                 "constant": t.is_constant, "has_mask": t.mask is not None,
                 "quant": t.quant.to_json() if t.quant else None, "meta": _jsonable(t.meta)}
        if t.data is not None:
            arrays[f"data/{t.name}"] = t.data
        if t.mask is not None:
            arrays[f"mask/{t.name}"] = np.asarray(t.mask, dtype=bool)
        tensors.append(entry)
    doc = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "name": graph.name,
        "inputs": graph.inputs,
        "outputs": graph.outputs,
        "metadata": _jsonable(graph.metadata),
        "tensors": tensors,
        "ops": [{"name": o.name, "type": o.type, "inputs": o.inputs, "outputs": o.outputs,
                 "attrs": _jsonable(o.attrs)} for o in graph.ops],
    }
    arrays["graph.json"] = np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    # numpy's stub types a **dict against the keyword-only allow_pickle: bool; the keys here are
    # all "data/...", "mask/..." or "graph.json".
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    return write_bytes_atomic(path, buf.getvalue())


def load_model(path: str | Path) -> Graph:
    """Read and validate a ``.tpm`` file. Any problem raises a one-line :class:`ModelFileError`."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a tinyprune model file (.tpm archive); is it truncated?")
    # zlib.error, NotImplementedError, RuntimeError: corrupt, unknown-method or encrypted members.
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError,
            RuntimeError) as exc:
        raise ModelFileError(f"{path}: not a tinyprune model file (.tpm): {exc}") from None
    if not isinstance(arrays.get("graph.json"), np.ndarray):
        raise ModelFileError(f"{path}: not a tinyprune model file: graph.json is missing or not an array")
    try:
        doc = json.loads(arrays["graph.json"].tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: graph.json is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{path}: graph.json: field 'format' must be {FORMAT!r}")
    version = doc.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
        raise ModelFileError(
            f"{path}: field 'schema_version' is {version!r}; this tinyprune reads 1..{SCHEMA_VERSION}"
        )
    try:
        graph = Graph(name=str(doc["name"]), inputs=list(doc["inputs"]),
                      outputs=list(doc["outputs"]), metadata=dict(doc.get("metadata", {})))
        for t in doc["tensors"]:
            name = t["name"]
            data = arrays.get(f"data/{name}") if t["constant"] else None
            if t["constant"] and data is None:
                raise ModelFileError(f"{path}: tensor {name!r}: constant data is missing")
            if data is not None and data.dtype != DTYPES[t["dtype"]]:
                raise ModelFileError(f"{path}: tensor {name!r}: stored data is {data.dtype}, "
                                     f"declared dtype {t['dtype']}")
            mask = arrays.get(f"mask/{name}") if t.get("has_mask") else None
            quant = QuantParams.from_json(t["quant"]) if t.get("quant") else None
            graph.add_tensor(Tensor(name, tuple(t["shape"]), t["dtype"], data, quant, mask,
                                    t.get("storage", "dense"), t.get("meta", {})))
        for o in doc["ops"]:
            graph.ops.append(Op(o["name"], o["type"], list(o["inputs"]), list(o["outputs"]),
                                dict(o.get("attrs", {}))))
        graph.validate()
    except ModelFileError:
        raise
    except TinypruneError as exc:
        raise ModelFileError(f"{path}: invalid graph: {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        raise ModelFileError(f"{path}: graph.json: bad or missing field: {exc}") from None
    return graph
