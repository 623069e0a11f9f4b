"""``tinyprune train``: train a zoo model on a gesture dataset and write the IR model."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from rich.table import Table

from host.cli_checks import existing_file, non_negative_int, out_file, positive_int
from host.console import emit_json, err_console, human
from sdk.atomic import check_target


def confusion_table(matrix, classes: list[str], title: str) -> Table:
    """Rows: true class; columns: predicted class."""
    table = Table(title=title)
    table.add_column("true \\ predicted")
    for name in classes:
        table.add_column(name, justify="right")
    for name, row in zip(classes, matrix):
        table.add_row(name, *(str(int(n)) for n in row))
    return table


def train(
    model: str = typer.Option("gesture_cnn", "--model", help="Zoo model to train."),
    data: Path = typer.Option(..., "--data", help="Dataset file from `tinyprune data synth`.",
                              callback=existing_file),
    out: Path = typer.Option(..., "--out", help="Model file to write (.tpm).", callback=out_file),
    epochs: int = typer.Option(20, "--epochs", help="Epochs (the cosine schedule spans them; "
                               "early stopping on validation).", callback=positive_int),
    patience: int = typer.Option(8, "--patience", help="Stop after this many epochs without a "
                                 "better validation accuracy.", callback=positive_int),
    augment: bool = typer.Option(True, "--augment/--no-augment", help="Doppler-mirror half of "
                                 "every training batch (exactly the frames of I/Q-swapped "
                                 "sweeps; docs/radar.md)."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, shuffling and dropout.",
                             callback=non_negative_int),
    force: bool = typer.Option(False, "--force", help="Replace an existing model file."),
    json_out: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout."),
    c_preprocess: bool = typer.Option(
        False, "--c-preprocess", help="Also preprocess the test recordings with the C "
        "implementation (device/dsp float, built with the host's gcc) and compare the predicted "
        "class frame for frame."),
    int8: bool = typer.Option(
        False, "--int8", help="Also quantize the trained model to int8 (256 training frames "
        "for calibration), write it beside OUT as *_int8.tpm and report its test accuracy."),
    background_class: str = typer.Option(
        None, "--background-class", help="The class the gesture detector never fires for, or "
        "'none' [the dataset's background class, else a class named 'empty', else none]."),
    threshold: float = typer.Option(0.7, "--threshold", help="Detector: a frame counts when its "
                                    "class's probability is at least this."),
    consecutive: int = typer.Option(3, "--consecutive", help="Detector: frames of one class in "
                                    "a row that fire an event.", callback=positive_int),
    refractory_s: float = typer.Option(1.0, "--refractory-s", help="Detector: seconds after an "
                                       "event in which nothing fires."),
) -> None:
    """Train MODEL on the train split of DATA (sessions never shared between splits), keep
    the epoch with the best validation accuracy, and report test accuracy and the confusion
    matrix (also as PNGs beside the model)."""
    from host.plots import plot_confusion, plot_training
    from sdk.ir import save_model
    from sdk.radar.augment import doppler_mirror
    from sdk.radar.dataset import DataWarning, load_splits
    from sdk.radar.gestures import detector_for
    from sdk.train.zoo_fit import fit_zoo_model

    siblings = [out, out.with_suffix(".confusion.png"), out.with_suffix(".training.png")]
    if int8:
        siblings.append(out.with_name(out.stem + "_int8.tpm"))
    for path in siblings:
        check_target(path, force)
    con = human(json_out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        splits = load_splits(data)
    for w in caught:
        err_console.print(f"warning: {w.message}")
    detector = detector_for(splits.classes, _background(background_class, splits),
                            threshold, consecutive, refractory_s)
    report = fit_zoo_model(
        model, (splits.train.x, splits.train.y), (splits.val.x, splits.val.y),
        (splits.test.x, splits.test.y), splits.classes, epochs=epochs, seed=seed,
        patience=patience, augment=doppler_mirror if augment else None, schedule="cosine",
        metadata={"preprocess": splits.preprocess.to_dict(), "dataset": str(data),
                  "detector": detector.to_dict()},
        context_frames=splits.preprocess.context_frames)
    save_model(report.graph, out)
    confusion_png = plot_confusion(report.confusion, report.classes,
                                   out.with_suffix(".confusion.png"),
                                   f"{model}: test frames")
    curve_png = plot_training(report.result.history, out.with_suffix(".training.png"), model)
    int8_report = _int8(report.graph, splits, out, seed) if int8 else None
    c_check = None
    if c_preprocess:
        from sdk.radar.c_preprocess import compare_split

        c_check = compare_split(report.module, data, "test")
    if json_out:
        emit_json({"model": str(out), "val_accuracy": report.val_accuracy,
                   "test_accuracy": report.test_accuracy, "confusion": report.confusion,
                   "classes": report.classes, "epochs_run": len(report.result.history),
                   "frames": report.graph.metadata["training"]["frames"],
                   **({"c_preprocess": c_check.to_dict()} if c_check is not None else {}),
                   **(int8_report or {})})
        return
    con.print(confusion_table(report.confusion, report.classes, "test frames"))
    con.print(f"validation accuracy {report.val_accuracy:.4f}, test accuracy "
              f"{report.test_accuracy:.4f} ({len(splits.test.y)} test frames from sessions "
              f"never seen in training)")
    if int8_report is not None:
        con.print(f"int8 ({int8_report['int8_model']}): test accuracy "
                  f"{int8_report['int8_test_accuracy']:.4f}, float "
                  f"{report.test_accuracy:.4f}")
    if c_check is not None:
        con.print(f"C preprocessing ({c_check.path}): test accuracy {c_check.accuracy_c:.4f} "
                  f"(numpy {c_check.accuracy_numpy:.4f}); {c_check.differing} of "
                  f"{c_check.frames} test frames predicted differently; largest input "
                  f"difference {c_check.max_abs_diff:.2e}")
    con.print(f"wrote {out}, {confusion_png}, {curve_png}")


def _background(option: str | None, splits) -> str | None:
    """The detector's background class: the option ('none': no background), else the one the
    dataset was packed with, else a class named 'empty'."""
    if option is not None:
        return None if option.strip().lower() == "none" else option
    if splits.background is not None:
        return splits.background
    return "empty" if "empty" in splits.classes else None


def _int8(graph, splits, out: Path, seed: int) -> dict:
    """Quantize ``graph`` with training frames, save it beside ``out``, and score it on test."""
    import numpy as np

    from sdk.compress.quantize import calibration_frames, quantize_graph
    from sdk.compress.report import predict_int8
    from sdk.ir import save_model

    qgraph = quantize_graph(graph, calibration_frames(splits.train.x, 256, seed), progress=False)
    qgraph.metadata.update(graph.metadata)
    path = save_model(qgraph, out.with_name(out.stem + "_int8.tpm"))
    scores = predict_int8(qgraph, splits.test.x[..., None].astype(np.float32), progress=False)
    return {"int8_model": str(path),
            "int8_test_accuracy": float(np.mean(scores.argmax(axis=1) == splits.test.y))}
