"""The models ``tinyprune bench`` measures, with their sample inputs: the MLPerf Tiny KWS and
AD models in ../shared/models/mlperf_tiny (imported from .tflite) and the seed's gesture CNN in
int8 (:func:`gesture_cnn_int8`: the zoo model with seeded random weights, quantized on seeded
simulated radar frames; needs torch, from the ``train`` extra). Every input is deterministic,
so every figure measured on them is identical on every run.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from sdk.errors import TinypruneError
from sdk.paths import SHARED_DIR

MLPERF_DIR = SHARED_DIR / "models" / "mlperf_tiny"
DEFAULT_MODELS = ("kws_ref_model.tflite", "ad01_int8.tflite")
GESTURE = "gesture_cnn_int8"
GESTURE_SEED = 0


def sample_input(path: Path, graph) -> tuple[np.ndarray, str]:
    """The MLPerf Tiny sample input of a known model, else a seeded random one."""
    t = graph.tensors[graph.inputs[0]]
    inputs = path.parent / "inputs"
    if path.name == "kws_ref_model.tflite" and (inputs / "kws_input_data.cc").is_file():
        text = (inputs / "kws_input_data.cc").read_text()
        body = text[text.index("{", text.index("g_kws_inputs")):]
        values = np.array([int(v) for v in re.findall(r"-?\d+", body)], dtype=np.int8)
        return values[:t.size].reshape(t.shape), "inputs/kws_input_data.cc (first sample)"
    ad_file = inputs / "normal_id_01_00000000_hist_librosa.bin"
    if path.name == "ad01_int8.tflite" and ad_file.is_file():
        from sdk.quant.layer_params import quantize_float

        features = np.fromfile(ad_file, dtype="<f4")[:t.size]
        q = t.quant
        x = quantize_float(features, q.scale[0], q.zero_point[0]).astype(np.int8)
        return x.reshape(t.shape), f"inputs/{ad_file.name} (first window, quantized)"
    rng = np.random.default_rng(0)
    if t.dtype == "int8":
        return rng.integers(-128, 128, t.shape).astype(np.int8), "random int8 (seed 0)"
    return rng.normal(size=t.shape).astype(np.float32), "random normal (seed 0)"


def seeded_gesture_cnn(seed: int = GESTURE_SEED, name: str = "gesture_cnn"):
    """The zoo's gesture CNN (sdk.zoo gesture_cnn) with PyTorch's default initialization under
    ``torch.manual_seed(seed)``, imported with sdk.frontends.pytorch.from_torch, and 20
    simulated radar frames (sdk.radar.simulator: one session seeded (seed, 0), one 24-sweep
    recording per class, 5 frames each, the first a swipe). Returns (float graph, frames)."""
    try:
        import torch
    except ImportError:
        raise TinypruneError("bench: the gesture CNN needs torch (pip install -e '.[train]', "
                             "or ./setup.sh)") from None
    from sdk.frontends.pytorch import from_torch
    from sdk.zoo import get

    torch.manual_seed(seed)
    entry = get("gesture_cnn")
    graph = from_torch(entry.factory().eval(), entry.input_shape, name)
    return graph, simulated_frames(seed)


def simulated_frames(seed: int = GESTURE_SEED) -> np.ndarray:
    """20 simulated radar frames [20, 30, 20] (sdk.radar.simulator: one session seeded
    (seed, 0), one 24-sweep recording per class, 5 frames each, the first a swipe)."""
    from sdk.radar import preprocess as prep
    from sdk.radar.simulator import CLASSES, SimConfig, new_session, simulate

    sim = SimConfig()
    rng = np.random.default_rng([seed, 0])
    session = new_session(sim, rng, 0)
    return np.concatenate([prep.frames(simulate(g, session, sim, rng)[1]) for g in CLASSES])


def gesture_cnn_float(seed: int = GESTURE_SEED):
    """The seed's gesture CNN in float, deterministic (:func:`seeded_gesture_cnn`), on its
    first simulated (swipe) frame. Unlike int8, float instruction counts follow the values a
    little (the activation clamp, max pool and softmax compare and branch), so they belong to
    these weights and this input. Returns (float graph, the frame as the model's input, a
    description of both)."""
    graph, frames = seeded_gesture_cnn(seed)
    x = frames[0].reshape(graph.tensors[graph.inputs[0]].shape).astype(np.float32)
    return graph, x, f"simulated swipe frame; weights torch.manual_seed({seed})"


def gesture_cnn_int8(seed: int = GESTURE_SEED):
    """The seed's gesture CNN in int8, deterministic: :func:`seeded_gesture_cnn` quantized by
    sdk.compress.quantize.quantize_graph on its 20 simulated frames. Untrained: instruction
    counts follow the shapes and which requantization path each layer takes, not the weights'
    values. Returns (int8 graph, the first frame quantized, a description of both)."""
    from sdk.compress.quantize import quantize_graph
    from sdk.radar.gestures import quantize_input

    graph, frames = seeded_gesture_cnn(seed, GESTURE)
    q = quantize_graph(graph, frames[..., None], progress=False)
    t = q.tensors[q.inputs[0]]
    p = t.qparams()
    x = quantize_input(frames[0], p.scale[0], p.zero_point[0]).reshape(t.shape)
    source = (f"simulated swipe frame; weights torch.manual_seed({seed}), PTQ on "
              f"{len(frames)} simulated frames")
    return q, x, source


MNIST = "mnist_cnn_int8"
MNIST_SEED = 0


def mnist_cnn_int8(seed: int = MNIST_SEED):
    """The zoo's MNIST CNN (sdk.zoo mnist_cnn) in int8, deterministic: PyTorch's default
    initialization under ``torch.manual_seed(seed)``, quantized by quantize_graph on 16 images
    of uniform noise in [0, 1) (numpy seed ``seed``), on one more such image. Untrained, like
    the gesture CNN: cycle counts follow the shapes and the requantization paths. The model
    the MSP430 int8 figures use (its activations need the FRAM). Returns (int8 graph, input,
    a description of both)."""
    try:
        import torch
    except ImportError:
        raise TinypruneError("bench: the MNIST CNN needs torch (pip install -e '.[train]', "
                             "or ./setup.sh)") from None
    from sdk.compress.quantize import quantize_graph
    from sdk.frontends.pytorch import from_torch
    from sdk.zoo import get

    torch.manual_seed(seed)
    entry = get("mnist_cnn")
    graph = from_torch(entry.factory().eval(), entry.input_shape, MNIST)
    rng = np.random.default_rng(seed)
    shape = (17, *graph.tensors[graph.inputs[0]].shape[1:])
    images = rng.random(shape).astype(np.float32)
    q = quantize_graph(graph, images[:16], progress=False)
    t = q.tensors[q.inputs[0]]
    p = t.qparams()
    x = np.clip(np.round(images[16] / p.scale[0]) + p.zero_point[0], -128, 127)
    source = (f"uniform noise image (numpy seed {seed}); weights torch.manual_seed({seed}), "
              "PTQ on 16 noise images")
    return q, x.astype(np.int8).reshape(t.shape), source
