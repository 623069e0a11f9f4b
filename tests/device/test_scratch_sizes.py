"""Every kernel with scratch: its C ``_get_buffer_size`` (compiled for the host) equals the
Python figure the program was planned with, on seeded random shapes.

Each family or fusion pattern whose C kernel has scratch gets several random graphs; every graph
is generated under its own prefix and the C check (``PREFIX_check_scratch``, which calls the
kernel's ``_get_buffer_size`` with the step's own parameters and compares it with the planned
scratch) runs for all of them in one host program. A family with scratch that this file does
not know fails the first test, so a new one cannot go unchecked.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from binary_graphs import BinaryGraphBuilder
from graphs import GraphBuilder
from int8_graphs import quantize_randomly
from sdk.codegen import c_library, generate_model
from sdk.codegen.export import write_generated
from sdk.kernels import registered_families, registered_patterns
from sdk.kernels.families.binary_conv import CONV_KERNELS
from sdk.kernels.families.depthwise_kx1 import KX1_KERNEL
from sdk.kernels.families.depthwise_s2 import S2_KERNEL
from sdk.paths import ENGINE_DIR
from sparse_graphs import sparsify

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")

GRAPHS_PER_KERNEL = 6


def _conv(rng, b: GraphBuilder) -> str:
    kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    return b.conv("input", int(rng.integers(1, 20)), kernel=(kh, kw),
                  stride=tuple(int(s) for s in rng.integers(1, 3, 2)), padding="same")


def _depthwise(rng, b: GraphBuilder) -> str:
    # Stride 2 along the width lowers to tp_depthwise_conv_s2_s8 (_s2), a K x 1 window
    # (width 1) to tp_depthwise_conv_kx1_s8 (_kx1).
    stride = (1, 1) if rng.random() < 0.7 else (2, 1)
    return b.depthwise("input", kernel=(int(rng.integers(1, 6)), int(rng.integers(2, 6))),
                       multiplier=int(rng.choice([1, 1, 2])), stride=stride)


def _kx1(rng, b: GraphBuilder) -> str:
    kh = int(rng.integers(1, 7))
    return b.depthwise("input", kernel=(kh, 1), padding=[int(rng.integers(0, kh)), 0, 0, 0])


def _s2(rng, b: GraphBuilder) -> str:
    return b.depthwise("input", kernel=(int(rng.integers(1, 6)), int(rng.integers(1, 6))),
                       multiplier=int(rng.choice([1, 2, 3])),
                       stride=(int(rng.integers(1, 3)), 2))


def _chain(rng, b: GraphBuilder) -> str:
    x = b.conv("input", int(rng.integers(2, 12)), kernel=(3, 3), activation="relu")
    if rng.random() < 0.7:
        x = b.conv(x, int(rng.integers(2, 12)), kernel=(int(rng.integers(1, 4)), 3),
                   stride=(int(rng.integers(1, 3)),) * 2)
    return b.pool(x, "MaxPool2D") if rng.random() < 0.7 else b.conv(x, 3)


def _binary_conv(function: str):
    """BinaryConv2D graphs that lower to ``function`` (binary or int8 input and output)."""
    def build(rng, seed: int):
        binary_in = "_b1" in function
        h, w = int(rng.integers(4, 12)), int(rng.integers(4, 12))
        b = BinaryGraphBuilder(f"{function}_{seed}", (1, h, w, int(rng.integers(1, 6))), "int8",
                               seed)
        # A binary graph input is not supported: an int8-input layer first.
        x = b.conv("input", int(rng.integers(1, 70))) if binary_in else "input"
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        y = b.conv(x, int(rng.integers(1, 40)), kernel=(kh, kw),
                   stride=(int(rng.integers(1, 3)), int(rng.integers(1, 3))),
                   padding=(kh // 2, kh // 2, kw // 2, kw // 2),
                   out_dtype="int8" if function.endswith("s8") else "binary")
        return b.finish(y if function.endswith("s8") else b.probe(y))
    return build


# Kernels a family's lowering chooses instead of its own (variants with their own C function).
VARIANT_KERNELS = (KX1_KERNEL, S2_KERNEL, *CONV_KERNELS.values())
# Graph builders by the C function of the kernel whose scratch they exercise.
BUILDERS = {"tp_convolve_s8": _conv, "tp_depthwise_conv_s8": _depthwise,
            "tp_conv_chain_s8": _chain, "tp_conv_chain_sparse_s8": _chain,
            "tp_conv_sparse_f32": _conv, "tp_depthwise_conv_kx1_s8": _kx1,
            "tp_depthwise_conv_s2_s8": _s2}
# Builders of whole graphs (binary ones: their own builder and weights).
GRAPH_BUILDERS = {name: _binary_conv(name) for name in CONV_KERNELS}
# Kernels of pruned weights (their graphs are sparsified) and of float graphs.
SPARSE = ("tp_conv_chain_sparse_s8", "tp_conv_sparse_f32")
FLOAT = ("tp_conv_sparse_f32",)


def _graph(function: str, seed: int):
    rng = np.random.default_rng(seed)
    if function in GRAPH_BUILDERS:
        return GRAPH_BUILDERS[function](rng, seed)
    h, w = int(rng.integers(6, 20)), int(rng.integers(6, 20))
    b = GraphBuilder(f"{function}_{seed}", (1, h, w, int(rng.integers(1, 40))), seed)
    g = b.finish(BUILDERS[function](rng, b))
    if function not in FLOAT:
        g = quantize_randomly(g, seed)
    g.metadata["weight_storage"] = "fixed"  # the kernel under test, whatever the cost models say
    return sparsify(g, seed) if function in SPARSE else g


def test_every_kernel_with_scratch_is_covered():
    with_scratch = {f.kernel.function for f in registered_families()
                    if f.kernel is not None and f.kernel.scratch is not None}
    with_scratch |= {p.kernel.function for p in registered_patterns()
                     if p.kernel.scratch is not None}
    with_scratch |= {k.function for k in VARIANT_KERNELS if k.scratch is not None}
    assert with_scratch == set(BUILDERS) | set(GRAPH_BUILDERS)


def test_c_buffer_sizes_equal_the_planned_scratch(tmp_path):
    objects, mains, sources, checked = [], [], set(), {name: 0 for name in
                                                        (*BUILDERS, *GRAPH_BUILDERS)}
    cc = ["gcc", "-std=c99", "-O1", "-Wall", "-Werror", f"-I{ENGINE_DIR}"]
    for function in (*BUILDERS, *GRAPH_BUILDERS):
        for seed in range(GRAPHS_PER_KERNEL):
            prefix = f"m_{function}_{seed}"
            gen = generate_model(_graph(function, seed), prefix=prefix)
            steps = [s for s in gen.steps if s.kernel == function]
            checked[function] += len(steps)
            out = tmp_path / prefix
            write_generated(gen, out)
            subprocess.run([*cc, f"-I{out}", "-c", str(out / "model.c"), "-o",
                            str(out / "model.o")], check=True)
            objects.append(str(out / "model.o"))
            sources.update(str(p) for p in c_library.sources_for(gen.engine_kernels, "host"))
            mains.append((prefix, gen.plan.scratch))
    assert all(n >= GRAPHS_PER_KERNEL for n in checked.values()), checked
    decls = "".join(f"int32_t {p}_check_scratch(void);\n" for p, _ in mains)
    calls = "".join(f'    printf("%d\\n", (int){p}_check_scratch());\n' for p, _ in mains)
    main = tmp_path / "main.c"
    main.write_text(f"#include <stdint.h>\n#include <stdio.h>\n{decls}"
                    f"int main(void)\n{{\n{calls}    return 0;\n}}\n")
    exe = tmp_path / "check"
    subprocess.run([*cc, str(main), *objects, *sorted(sources), "-lm", "-o", str(exe)],
                   check=True)
    results = subprocess.run([str(exe)], capture_output=True, text=True,
                             check=True).stdout.split()
    failed = {p: (int(r), plan) for (p, plan), r in zip(mains, results) if int(r) != -1}
    assert len(results) == len(mains) and not failed, failed
