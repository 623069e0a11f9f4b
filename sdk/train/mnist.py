"""The shared MNIST digits and a quick train -> quantize -> compare run on them.

Only MNIST's *test* set is shared (``../shared/data/mnist/t10k-*-idx?-ubyte.gz``: 10,000
digits); there is no training set. :func:`mnist_splits` therefore splits those 10,000 digits
into train / validation / test by a fixed seed, and every accuracy reported from them is on
the held-out part of that split, not on the official MNIST test protocol.
"""

from __future__ import annotations

import gzip
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sdk.errors import DataFileError
from sdk.paths import SHARED_DIR

MNIST_DIR = SHARED_DIR / "data" / "mnist"
IMAGES = "t10k-images-idx3-ubyte.gz"
LABELS = "t10k-labels-idx1-ubyte.gz"
_MAGIC = {IMAGES: 2051, LABELS: 2049}  # idx: 0x0803 = unsigned byte, 3 dims; 0x0801: 1 dim


def _read_idx(path: Path) -> np.ndarray:
    """One gzipped idx file (big-endian header: magic, then one int32 per dimension)."""
    if not path.is_file():
        raise DataFileError(f"{path}: no such MNIST file")
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{path}: not a gzip file: {exc}") from None
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else -1
    if magic != _MAGIC[path.name]:
        raise DataFileError(f"{path}: idx magic number {magic}, expected {_MAGIC[path.name]}")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(dims)):
        raise DataFileError(f"{path}: {len(raw) - offset} data bytes for dimensions {dims}")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(dims)


def load_mnist(folder: str | Path = MNIST_DIR) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 shared digits: ``x`` float32 NCHW ``[N, 1, 28, 28]`` in [0, 1], ``y`` int64."""
    folder = Path(folder)
    images, labels = _read_idx(folder / IMAGES), _read_idx(folder / LABELS)
    if len(images) != len(labels):
        raise DataFileError(f"{folder}: {len(images)} images but {len(labels)} labels")
    return (images[:, None].astype(np.float32) / 255.0), labels.astype(np.int64)


@dataclass(frozen=True)
class Split:
    """A seeded split of the shared digits (all NCHW float32 in [0, 1])."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def mnist_splits(seed: int = 0, n_val: int = 1000, n_test: int = 2000,
                 folder: str | Path = MNIST_DIR) -> Split:
    """Shuffle the 10,000 digits with ``seed``; the last ``n_test`` are the test set, the
    ``n_val`` before them validation, the rest (7,000 by default) training."""
    x, y = load_mnist(folder)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = len(x) - n_val - n_test
    if n_train < 1:
        raise ValueError(f"n_val + n_test = {n_val + n_test} leaves no training digits")
    return Split((x[:n_train], y[:n_train]), (x[n_train:n_train + n_val],
                                              y[n_train:n_train + n_val]),
                 (x[n_train + n_val:], y[n_train + n_val:]))


@dataclass(frozen=True)
class MnistInt8Result:
    """Float and int8 accuracy of the zoo's ``mnist_cnn`` on the held-out test digits."""

    float_accuracy: float
    int8_accuracy: float
    train_samples: int
    test_samples: int
    calibration_samples: int
    epochs: int
    train_seconds: float

    @property
    def drop_points(self) -> float:
        """Float minus int8 accuracy, in percentage points."""
        return 100.0 * (self.float_accuracy - self.int8_accuracy)


def to_nhwc(x: np.ndarray) -> np.ndarray:
    """NCHW (PyTorch) samples as NHWC (the IR's layout)."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


def train_and_quantize_mnist(epochs: int = 3, seed: int = 0, n_calibration: int = 500,
                             max_train: int | None = None, progress: bool = True):
    """Train ``mnist_cnn`` on the seeded split, convert it, quantize it with PTQ and measure.

    Returns ``(result, float_graph, int8_graph)``. Training uses the split's first
    ``max_train`` training digits (all 7,000 when None), calibration the first
    ``n_calibration`` of them; accuracies are on the split's 2,000 test digits, float and
    int8 on the same samples.
    """
    import torch

    from sdk import zoo
    from sdk.compress.quantize import quantize_graph
    from sdk.compress.report import accuracy_before_after
    from sdk.frontends.pytorch import from_torch
    from sdk.train.loop import train_classifier

    split = mnist_splits(seed)
    entry = zoo.get("mnist_cnn")
    torch.manual_seed(seed)
    model = entry.factory()
    started = time.perf_counter()
    train = (split.train[0][:max_train], split.train[1][:max_train])
    train_classifier(model, train, split.val, epochs=epochs, lr=3e-3, batch_size=64,
                     seed=seed, progress=progress)
    seconds = time.perf_counter() - started
    graph = from_torch(model, entry.input_shape, "mnist_cnn")
    qgraph = quantize_graph(graph, to_nhwc(train[0][:n_calibration]), progress=progress)
    x_test, y_test = to_nhwc(split.test[0]), split.test[1]
    acc_f, acc_q = accuracy_before_after(graph, qgraph, x_test, y_test, progress=progress)
    return (MnistInt8Result(acc_f, acc_q, len(train[0]), len(x_test), n_calibration, epochs, seconds),
            graph, qgraph)
