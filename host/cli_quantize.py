"""``tinyprune quantize`` (post-training int8 quantization) and ``tinyprune convert`` (.tflite)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import typer
from rich.console import JustifyMethod
from rich.table import Table

from host.cli_checks import out_file, percentile_range
from host.console import emit_json, human
from sdk.atomic import check_target
from sdk.errors import DataFileError, TinypruneError

JSON_OPT = typer.Option(False, "--json", help="Print exactly one JSON object on stdout.")
FORCE_OPT = typer.Option(False, "--force", help="Overwrite OUT if it exists.")


def load_calibration(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(x, y)`` from a .npy of inputs or a .npz with ``x`` and optional ``y`` labels."""
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"{path}: no such calibration file")
    try:
        data = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path}: not a .npy or .npz file: {exc}") from None
    if isinstance(data, np.ndarray):
        x, y = data, None
    else:
        with data:
            if "x" not in data.files:
                raise DataFileError(f"{path}: field 'x' (the inputs) is missing; found "
                                    f"{', '.join(data.files) or 'nothing'}")
            x, y = data["x"], data["y"] if "y" in data.files else None
    if not np.issubdtype(x.dtype, np.number) or x.dtype.kind == "c":
        raise DataFileError(f"{path}: inputs must be real numbers, got {x.dtype}")
    if y is not None:
        if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
            raise DataFileError(f"{path}: field 'y' must hold {len(x)} integer labels, got "
                                f"{y.dtype} of shape {list(y.shape)}")
    with np.errstate(over="ignore"):
        x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise DataFileError(f"{path}: {int(np.count_nonzero(~np.isfinite(x)))} non-finite input "
                            "values (NaN or infinity, or beyond float32); expected finite samples")
    return x, y


def check_labels(path: str, y: np.ndarray, classes: int) -> None:
    """Refuse labels outside the model's ``classes`` output units."""
    if len(y) and (y.min() < 0 or y.max() >= classes):
        bad = int(y[(y < 0) | (y >= classes)][0])
        raise DataFileError(f"{path}: field 'y' holds label {bad}; the model has classes "
                            f"0..{classes - 1}")


def _check_out(out: str, force: bool, suffixes: tuple[str, ...]) -> Path:
    p = Path(out)
    if p.suffix.lower() not in suffixes:
        raise TinypruneError(f"--out {out}: the file name must end in {' or '.join(suffixes)}")
    return check_target(p, force)


def _write(graph, out: Path) -> None:
    if out.suffix.lower() == ".tflite":
        from sdk.frontends.tflite_export import export_tflite

        export_tflite(graph, out)
    else:
        from sdk.ir import save_model

        save_model(graph, out)


def _table(rows, title: str) -> Table:
    table = Table(title=title)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("layer", "left"), ("op", "left"), ("scale", "right"), ("zero pt", "right"),
        ("weight scales", "right"), ("SQNR dB", "right"), ("max |err|", "right"))
    for col, just in columns:
        table.add_column(col, justify=just)
    for r in rows:
        weights = ("" if r.weight_scale_min is None
                   else f"{r.weight_scale_min:.2g}-{r.weight_scale_max:.2g}")
        table.add_row(r.name, r.op, f"{r.scale:.4g}", str(r.zero_point), weights,
                      "exact" if not np.isfinite(r.sqnr_db) else f"{r.sqnr_db:.1f}",
                      f"{r.max_abs_error:.3g}")
    return table


def quantize(
    model: str = typer.Argument(..., help="Float model file (.tpm or .tflite)."),
    calib: str = typer.Option(..., "--calib", help="Calibration inputs: .npy [N, H, W, C] "
                              "float32, or .npz with 'x' and optional integer labels 'y'."),
    out: str = typer.Option(..., "--out", help="Output: .tpm (tinyprune) or .tflite.",
                             callback=out_file),
    percentile: float | None = typer.Option(
        None, "--percentile", help="Activation ranges from this percentile (e.g. 99.99) of "
        "the calibration values instead of min/max.", callback=percentile_range),
    force: bool = FORCE_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Quantize MODEL to int8 (per-channel weights, per-tensor activations) with calibration
    data; print per-layer scales and error against float, and the accuracy before and after
    when labels are given."""
    from host.models import load_model_arg
    from sdk.compress.batched import check_samples
    from sdk.compress.quantize import quantize_graph
    from sdk.compress.report import accuracy_before_after, layer_report

    out_path = _check_out(out, force, (".tpm", ".tflite"))
    graph = load_model_arg(model)
    x, y = load_calibration(calib)
    check_samples(graph, x, calib)
    if y is not None:
        check_labels(calib, y, graph.tensors[graph.outputs[0]].size)
    qgraph = quantize_graph(graph, x, percentile=percentile)
    rows = layer_report(graph, qgraph, x)
    acc_f = acc_q = None
    if y is not None:
        acc_f, acc_q = accuracy_before_after(graph, qgraph, x, y)
    _write(qgraph, out_path)
    if json_out:
        inp = qgraph.tensors[qgraph.inputs[0]].qparams()
        emit_json({"model": model, "out": str(out_path), "calibration_samples": len(x),
                   "input_scale": float(inp.scale[0]), "input_zero_point": int(inp.zero_point[0]),
                   "float_accuracy": acc_f, "int8_accuracy": acc_q,
                   "layers": [r.to_json() for r in rows]})
        return
    con = human(False)
    con.print(_table(rows, f"{graph.name}: int8 vs float on {len(x)} calibration samples"))
    if acc_f is not None and acc_q is not None:
        con.print(f"accuracy on the {len(x)} labelled samples: float {acc_f:.4f}, int8 "
                  f"{acc_q:.4f} ({100 * (acc_q - acc_f):+.2f} points)")
    con.print(f"wrote {out_path}")


def convert(
    model: str = typer.Argument(..., help="Model file (.tpm or .tflite)."),
    out: str = typer.Option(..., "--out", help="Output .tflite file.", callback=out_file),
    force: bool = FORCE_OPT,
) -> None:
    """Write MODEL as a .tflite flatbuffer (runs on TFLite Micro and LiteRT)."""
    from host.models import load_model_arg

    out_path = _check_out(out, force, (".tflite",))
    _write(load_model_arg(model), out_path)
    human(False).print(f"wrote {out_path}")
