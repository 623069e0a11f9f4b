"""A small temporal convolution network over a sequence of radar frames, for microcontrollers.

Input: ``context_frames`` (K) range-Doppler frames of ``bins`` x ``N`` stacked along the rows,
oldest first (:func:`sdk.radar.preprocess.with_context`), NCHW ``[N, 1, K * bins, N]``.

1. Per frame, a 1 x 3 convolution along Doppler only (never across two frames' rows), then a
   convolution with a kernel and stride of one whole frame: a frame embedding of ``embed``
   numbers, computed with the same weights for every frame -> ``[embed, K, 1]``.
2. Two 3 x 1 "same" convolutions along time (ReLU): what changes from frame to frame, the
   order that separates a hand coming in from a hand leaving.
3. Flatten, Dense (one output per class), Softmax.

Every layer is a plain Conv2D, Dense or Softmax, kernels the engine has for float and int8;
at 6 depths x 16 Doppler bins x 8 frames it is about 9 k parameters and 0.3 M MACs.
"""

from __future__ import annotations

from torch import nn

from sdk.errors import ShapeError
from sdk.zoo.classifier import SoftmaxClassifier

CLASS_NAMES = ("swipe", "press", "pick", "empty")
INPUT_SHAPE = (1, 1, 8 * 6, 16)
CONTEXT_FRAMES = 8


class GestureTCN(SoftmaxClassifier):
    """Doppler conv 1x3; frame embedding; two temporal convs 3x1; Dense; Softmax."""

    def __init__(self, num_classes: int = len(CLASS_NAMES),
                 input_hw: tuple[int, int] = INPUT_SHAPE[2:],
                 context_frames: int = CONTEXT_FRAMES, channels: int = 8, embed: int = 24,
                 dropout: float = 0.2) -> None:
        rows, cols = int(input_hw[0]), int(input_hw[1])
        if context_frames < 1 or rows % context_frames:
            raise ShapeError(f"gesture_tcn: input of {rows} rows is not {context_frames} frames "
                             "of equal height")
        bins = rows // context_frames
        features = nn.Sequential(
            nn.Conv2d(1, channels, (1, 3), padding=(0, 1)), nn.ReLU(),
            nn.Conv2d(channels, embed, (bins, cols), stride=(bins, cols)), nn.ReLU(),
            nn.Conv2d(embed, embed, (3, 1), padding=(1, 0)), nn.ReLU(),
            nn.Conv2d(embed, embed, (3, 1), padding=(1, 0)), nn.ReLU())
        classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                   nn.Linear(embed * context_frames, num_classes))
        super().__init__(features, classifier)
