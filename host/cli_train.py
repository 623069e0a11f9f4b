"""``tinyprune train``: train a zoo model on a gesture dataset (or, binary, on the shared MNIST
digits) and write the IR model."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from rich.table import Table

from host.cli_checks import (
    dataset_or_mnist,
    non_negative_int,
    out_file,
    positive_float,
    positive_int,
    probability,
)
from host.console import emit_json, err_console, human
from sdk.atomic import check_target
from sdk.errors import TinypruneError, UnsupportedError

_BINARY_STANDARDIZED = ("--binary with standardized frames (docs/radar.md, step 8): binary "
                        "networks take frames in [0, 1] at a fixed int8 scale")


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
    model: str = typer.Option(None, "--model", help="Zoo model to train [default: "
                              "gesture_cnn; with --binary bnn_gesture_msp430, or bnn_mnist for "
                              "--data mnist]."),
    data: str = typer.Option(..., "--data", help="Dataset file from `tinyprune data synth`, "
                             "or `mnist` (the shared digits; --binary only).",
                             callback=dataset_or_mnist),
    out: Path = typer.Option(..., "--out", help="Model file to write (.tpm).", callback=out_file),
    epochs: int = typer.Option(20, "--epochs", help="Epochs (the cosine schedule spans them; "
                               "early stopping on validation).", callback=positive_int),
    patience: int = typer.Option(8, "--patience", help="Stop after this many epochs without a "
                                 "better validation accuracy.", callback=positive_int),
    augment: bool | None = typer.Option(
        None, "--augment/--no-augment", help="Augment every training batch: gesture data "
        "Doppler-mirrors half of it (exactly the frames of I/Q-swapped sweeps; docs/radar.md; "
        "on by default), the MNIST digits move by up to 2 pixels (sdk.train.augment_digits; "
        "off by default, as the published MNIST figures were trained)."),
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
    binary: bool = typer.Option(
        False, "--binary", help="Train a binary network (sdk.bnn; docs/binary.md): int8 input, "
        "binary layers, thresholds folded from batch norm."),
    last: str = typer.Option("int8", "--last", help="With --binary: the last layer's output, "
                             "int8 (class scores, then softmax) or binary (+1/-1 per class)."),
    quantizer: str = typer.Option("ste_sign", "--quantizer", help="With --binary: the "
                                  "activations' sign, ste_sign or approx_sign (Bi-Real Net)."),
    float_twin: bool = typer.Option(
        False, "--float-twin", help="With --binary: also train the same layers in float (ReLU, "
        "float weights) with the same data, seed and epochs, and report its test accuracy."),
    loss: str = typer.Option("ce", "--loss", help="Training loss: ce (cross-entropy) or "
                             "hinge (margin maximization; docs/bit_errors.md)."),
    margin: float = typer.Option(None, "--margin", help="With --loss hinge: the margin b, in "
                                 "popcount units for --binary [128], else a fraction of half "
                                 "the logit range [0.5].", callback=positive_float),
    train_ber: float = typer.Option(None, "--train-ber", help="With --binary: flip each "
                                    "binary weight bit with this probability in every training "
                                    "forward (bit-error-aware training; docs/bit_errors.md).",
                                    callback=probability),
    lr: float = typer.Option(None, "--lr", help="Adam learning rate [default: 0.002; 0.005 "
                             "with --binary].", callback=positive_float),
    background_class: str = typer.Option(
        None, "--background-class", help="The class the gesture detector never fires for, or "
        "'none' [the dataset's background class, else a class named 'empty', else none]."),
    threshold: float = typer.Option(0.7, "--threshold", help="Detector: a frame counts when its "
                                    "class's probability is at least this."),
    consecutive: int = typer.Option(3, "--consecutive", help="Detector: frames of one class in "
                                    "a row that fire an event.", callback=positive_int),
    refractory_s: float = typer.Option(1.0, "--refractory-s", help="Detector: seconds after an "
                                       "event in which nothing fires."),
    standardize: bool = typer.Option(
        None, "--standardize/--no-standardize", help="Standardize each depth row (docs/radar.md, "
        "step 8) with the mean and standard deviation of the training split, "
        "stored with the model, or leave it out [as the dataset was packed]. Not for --binary, "
        "nor for boards with q15 preprocessing (msp430fr6989)."),
) -> None:
    """Train MODEL on the train split of DATA (sessions never shared between splits), keep
    the epoch with the best validation accuracy, and report test accuracy and the confusion
    matrix (also as PNGs beside the model)."""
    from host.plots import plot_confusion, plot_training
    from sdk.ir import save_model
    from sdk.train.losses import make_loss
    from sdk.train.zoo_fit import fit_zoo_model

    model = _check_binary_options(model, data, binary, last, quantizer, int8, c_preprocess)
    if standardize is not None and data == "mnist":
        raise TinypruneError("--standardize/--no-standardize apply to gesture datasets only")
    if standardize and binary:
        raise UnsupportedError(_BINARY_STANDARDIZED)
    loss_fn = make_loss(loss, margin, binary)
    if float_twin and not binary:
        raise TinypruneError("--float-twin applies to --binary only")
    if train_ber is not None and not binary:
        raise TinypruneError("--train-ber applies to --binary only")
    siblings = [out, out.with_suffix(".confusion.png"), out.with_suffix(".training.png")]
    if int8:
        siblings.append(out.with_name(out.stem + "_int8.tpm"))
    for path in siblings:
        check_target(path, force)
    con = human(json_out)
    train_set, val_set, test_set, classes, metadata, context = _load(
        data, seed, (background_class, threshold, consecutive, refractory_s), standardize)
    if binary and metadata.get("preprocess", {}).get("row_std"):
        raise UnsupportedError(f"{_BINARY_STANDARDIZED} ({data} is packed standardized); add "
                               "--no-standardize")
    augment_fn = _augment(data, augment)
    lr = lr or (5e-3 if binary else 2e-3)
    report = fit_zoo_model(
        model, train_set, val_set, test_set, classes, epochs=epochs,
        seed=seed, patience=patience, augment=augment_fn, schedule="cosine", lr=lr,
        metadata=metadata,
        model_options={"last": last, "quantizer": quantizer} if binary else None,
        context_frames=context, loss_fn=loss_fn, train_ber=train_ber)
    save_model(report.graph, out)
    twin = None
    if float_twin:
        from sdk.bnn.fit import float_twin_accuracy

        twin = float_twin_accuracy(model, train_set, val_set, test_set, classes, epochs, seed,
                                   lr, patience=patience, augment=augment_fn, schedule="cosine")
    confusion_png = plot_confusion(report.confusion, report.classes,
                                   out.with_suffix(".confusion.png"),
                                   f"{model}: test {'digits' if data == 'mnist' else 'frames'}")
    curve_png = plot_training(report.result.history, out.with_suffix(".training.png"), model)
    int8_report = _int8(report.graph, train_set[0], test_set, out, seed) if int8 else None
    c_check = None
    if c_preprocess:
        from sdk.radar.c_preprocess import compare_split
        from sdk.radar.preprocess import PreprocessConfig

        c_check = compare_split(report.module, data, "test",
                                config=PreprocessConfig.from_dict(metadata["preprocess"]))
    if json_out:
        emit_json({"model": str(out), "val_accuracy": report.val_accuracy,
                   "test_accuracy": report.test_accuracy, "confusion": report.confusion,
                   "classes": report.classes, "epochs_run": len(report.result.history),
                   "frames": report.graph.metadata["training"]["frames"],
                   **({"c_preprocess": c_check.to_dict()} if c_check is not None else {}),
                   **({"float_twin_test_accuracy": twin} if twin is not None else {}),
                   **(int8_report or {})})
        return
    con.print(confusion_table(report.confusion, report.classes, "test frames"))
    con.print(f"validation accuracy {report.val_accuracy:.4f}, test accuracy "
              f"{report.test_accuracy:.4f} ({len(test_set[1])} test "
              f"{'digits' if data == 'mnist' else 'frames from sessions never seen in training'})")
    if twin is not None:
        con.print(f"float twin (the same layers in float): test accuracy {twin:.4f}")
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


def _load(data: str, seed: int, detector: tuple,
          standardize: bool | None = None) -> tuple[tuple, tuple, tuple, list[str], dict, int]:
    """``(train, val, test, classes, metadata, context frames)``, each split ``(x, y)`` with
    frames ``[N, H, W]``, of a gesture dataset file or ``mnist`` (the shared digits split by
    ``seed``; sdk.train.mnist). ``detector``: the gesture detector's options (background
    class, threshold, consecutive frames, refractory seconds), stored in the metadata;
    ``standardize``: step 6 on (calibrated on the training split) or off, None as packed."""
    if data == "mnist":
        from sdk.train.mnist import MNIST_DIR, mnist_splits

        if not MNIST_DIR.is_dir():
            raise TinypruneError(f"--data mnist: the shared digits are not at {MNIST_DIR} "
                                 "(../shared beside the repository)")
        s = mnist_splits(seed)
        train, val, test = ((x[:, 0], y) for x, y in (s.train, s.val, s.test))
        return train, val, test, [str(d) for d in range(10)], {"dataset": "mnist"}, 1
    from sdk.radar.dataset import DataWarning, load_splits
    from sdk.radar.gestures import detector_for

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        splits = load_splits(data, standardize=standardize)
    for w in caught:
        err_console.print(f"warning: {w.message}")
    background, threshold, consecutive, refractory_s = detector
    found = detector_for(splits.classes, _background(background, splits), threshold,
                         consecutive, refractory_s)
    return ((splits.train.x, splits.train.y), (splits.val.x, splits.val.y),
            (splits.test.x, splits.test.y), splits.classes,
            {"preprocess": splits.preprocess.to_dict(), "dataset": str(data),
             "detector": found.to_dict()}, splits.preprocess.context_frames)


def _augment(data: str, option: bool | None):
    """The training batches' augmentation: the Doppler mirror on gesture data unless
    ``--no-augment``, the digits' random shifts on ``mnist`` only with ``--augment``."""
    if data == "mnist":
        from sdk.train.augment_digits import random_shift

        return random_shift if option else None
    from sdk.radar.augment import doppler_mirror

    return None if option is False else doppler_mirror


def _background(option: str | None, splits) -> str | None:
    """The detector's background class: the option ('none': no background), else the one the
    dataset was packed with, else a class named 'empty'."""
    if option is not None:
        return None if option.strip().lower() == "none" else option
    if splits.background is not None:
        return splits.background
    return "empty" if "empty" in splits.classes else None


def _check_binary_options(model: str | None, data: str, binary: bool, last: str,
                          quantizer: str, int8: bool, c_preprocess: bool) -> str:
    """The zoo model to train; one-line errors for options that do not go together."""
    from sdk import zoo
    from sdk.bnn.heads import HEAD_KINDS
    from sdk.bnn.quantizers import QUANTIZERS

    if not binary:
        if data == "mnist":
            raise UnsupportedError("--data mnist without --binary (train "
                                   "mnist_cnn with `tinyprune prune sweep --data mnist`)")
        if (last, quantizer) != ("int8", "ste_sign"):
            raise TinypruneError("--last and --quantizer apply to --binary only")
        model = model or "gesture_cnn"
        if model in zoo.names(binary=True):
            raise TinypruneError(f"--model {model}: a binary network; add --binary")
        return model
    if int8 or c_preprocess:
        raise UnsupportedError(f"{'--int8' if int8 else '--c-preprocess'} with "
                               "--binary (a binary network is already integer)")
    if last not in HEAD_KINDS:
        raise TinypruneError(f"--last {last}: expected {' or '.join(HEAD_KINDS)}")
    if quantizer not in QUANTIZERS:
        raise TinypruneError(f"--quantizer {quantizer}: expected {' or '.join(QUANTIZERS)}")
    model = model or ("bnn_mnist" if data == "mnist" else "bnn_gesture_msp430")
    if model not in zoo.names(binary=True):
        raise TinypruneError(f"--model {model}: not a binary zoo network; binary ones: "
                             f"{', '.join(zoo.names(binary=True))}")
    mnist_model = zoo.get(model).input_shape == zoo.get("bnn_mnist").input_shape
    if mnist_model != (data == "mnist"):
        takes = "MNIST digits" if mnist_model else "gesture frames"
        raise TinypruneError(f"--model {model} takes {takes}; --data {data} is "
                             f"{'mnist' if data == 'mnist' else 'a gesture dataset'}")
    return model


def _int8(graph, train_x, test: tuple, out: Path, seed: int) -> dict:
    """Quantize ``graph`` with training frames, save it beside ``out``, and score it on test."""
    import numpy as np

    from sdk.compress.quantize import calibration_frames, quantize_graph
    from sdk.compress.report import predict_int8
    from sdk.ir import save_model

    qgraph = quantize_graph(graph, calibration_frames(train_x, 256, seed), progress=False)
    qgraph.metadata.update(graph.metadata)
    path = save_model(qgraph, out.with_name(out.stem + "_int8.tpm"))
    scores = predict_int8(qgraph, test[0][..., None].astype(np.float32), progress=False)
    return {"int8_model": str(path),
            "int8_test_accuracy": float(np.mean(scores.argmax(axis=1) == test[1]))}
