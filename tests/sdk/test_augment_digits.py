"""The digits' random shifts (sdk.train.augment_digits): seeded, shape-keeping, whole-pixel
moves within the stated range that keep a centred digit's every pixel."""

from __future__ import annotations

import pytest
import torch

from sdk.train.augment_digits import MAX_SHIFT, random_shift


def _digits(n: int = 64, size: int = 12, seed: int = 3) -> torch.Tensor:
    """Random ink in the centre of each image, an empty border of MAX_SHIFT + 1 pixels."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, size, size)
    inner = size - 2 * (MAX_SHIFT + 1)
    ink = torch.rand(n, 1, inner, inner, generator=g)
    x[:, :, MAX_SHIFT + 1:-(MAX_SHIFT + 1), MAX_SHIFT + 1:-(MAX_SHIFT + 1)] = ink
    return x


def _offset(image: torch.Tensor, shifted: torch.Tensor, reach: int) -> tuple[int, int] | None:
    """The (down, right) move that turns ``image`` into ``shifted``, if one within ``reach``."""
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if torch.equal(torch.roll(image, (dy, dx), dims=(-2, -1)), shifted):
                return dy, dx
    return None


def test_same_generator_same_shifts_other_seed_other_shifts():
    x = _digits()
    a = random_shift(x, torch.Generator().manual_seed(7))
    b = random_shift(x, torch.Generator().manual_seed(7))
    c = random_shift(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert torch.equal(x, _digits())  # the batch itself is left as it was


def test_every_digit_moves_whole_pixels_within_range_and_keeps_its_pixels():
    x = _digits()
    out = random_shift(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    moves = [_offset(x[i], out[i], MAX_SHIFT) for i in range(len(x))]
    assert all(m is not None for m in moves)  # a pure translation, by at most MAX_SHIFT
    assert len(set(moves)) > 10  # each digit draws its own offset: not one for the batch
    assert max(max(abs(dy), abs(dx)) for dy, dx in moves) == MAX_SHIFT  # type: ignore[misc]
    # the border is empty, so nothing is cut off: the same pixel values, only elsewhere
    assert torch.equal(out.flatten(1).sort(dim=1).values, x.flatten(1).sort(dim=1).values)


def test_pixels_past_the_edge_are_lost_and_zeros_come_in():
    x = torch.ones(200, 2, 6, 6)
    out = random_shift(x, torch.Generator().manual_seed(1), max_shift=1)
    lost = 36 - out[:, 0].flatten(1).sum(dim=1)
    # a move by (dy, dx) leaves (6 - |dy|) x (6 - |dx|) ones: 36, 30 or 25
    assert set(lost.tolist()) == {0.0, 6.0, 11.0}
    assert torch.equal(out[:, 0], out[:, 1])  # channels of one image move together


def test_no_shift_and_bad_range():
    x = _digits(4)
    assert torch.equal(random_shift(x, torch.Generator().manual_seed(0), max_shift=0), x)
    with pytest.raises(ValueError, match="max_shift"):
        random_shift(x, torch.Generator(), max_shift=-1)


def test_the_digit_task_shifts_only_when_asked():
    from sdk.errors import TinypruneError
    from sdk.prune.task import load_task
    from sdk.train.mnist import MNIST_DIR

    with pytest.raises(TinypruneError, match="'random_shift' on g.h5: expected random_shift "
                                             "on mnist"):
        load_task("g.h5", digit_augment="random_shift")  # refused before the file is read
    with pytest.raises(TinypruneError, match="'flip' on mnist"):
        load_task("mnist", digit_augment="flip")
    if not MNIST_DIR.is_dir():
        pytest.skip(f"the shared MNIST digits are not at {MNIST_DIR} (../shared)")
    assert load_task("mnist", "bnn_mnist").augment is None  # as the published figures trained
    assert load_task("mnist", "bnn_mnist", digit_augment="random_shift").augment is random_shift


def test_train_shifts_digits_only_with_augment_and_mirrors_gestures_by_default():
    from host.cli_train import _augment
    from sdk.radar.augment import doppler_mirror

    assert _augment("mnist", None) is None and _augment("mnist", False) is None
    assert _augment("mnist", True) is random_shift
    assert _augment("g.h5", None) is doppler_mirror and _augment("g.h5", True) is doppler_mirror
    assert _augment("g.h5", False) is None
