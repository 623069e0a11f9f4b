"""Accuracy of a binary zoo network's float twin and of that twin in int8 (issue 12's
benchmark of float, int8 and binary versions of one architecture, docs/benchmarks.md).

Trains the float twin as ``tinyprune train --binary --float-twin`` does (same splits, seed,
epochs, Adam from 0.005 down a half cosine, the Doppler-mirror augmentation), imports it as a
plain float graph (sdk.bnn.fit.plain_float_twin), quantizes it with 256 training frames
(sdk.compress.quantize, as ``tinyprune train --int8``) and prints both test accuracies as JSON.

    python scripts/bnn_twin_int8.py gestures.h5 --model bnn_gesture_msp430 --epochs 30 --seed 0
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch


def main() -> None:
    """Parse the arguments, train, quantize, print the accuracies."""
    from sdk.bnn.fit import plain_float_twin, train_float_twin
    from sdk.compress.quantize import calibration_frames, quantize_graph
    from sdk.compress.report import predict_int8
    from sdk.frontends.pytorch import from_torch
    from sdk.radar.augment import doppler_mirror
    from sdk.radar.dataset import load_splits
    from sdk.reference import run_float
    from sdk.zoo import get

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--model", default="bnn_gesture_msp430")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    s = load_splits(args.data)
    train, val, test = ((p.x, p.y) for p in (s.train, s.val, s.test))
    twin = train_float_twin(args.model, train, val, s.classes, args.epochs, args.seed, 5e-3,
                            patience=args.epochs, augment=doppler_mirror, schedule="cosine",
                            progress=False)
    graph = from_torch(plain_float_twin(twin), get(args.model).input_shape, args.model + "_float")
    x = test[0][..., None].astype(np.float32)
    float_scores = np.concatenate([run_float(graph, f[None])[graph.outputs[0]] for f in x])
    q = quantize_graph(graph, calibration_frames(train[0], 256, args.seed), progress=False)
    int8_scores = predict_int8(q, x, progress=False)
    print(json.dumps({"model": args.model, "seed": args.seed, "epochs": args.epochs,
                      "test_frames": len(test[1]),
                      "float_twin_test_accuracy": float(np.mean(float_scores.argmax(1) == test[1])),
                      "int8_test_accuracy": float(np.mean(int8_scores.argmax(1) == test[1]))}))


if __name__ == "__main__":
    main()
