"""Exported sources build in a separate minimal project: two models, two prefixes, one program."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import numpy as np
import pytest

from graphs import GraphBuilder, residual_net
from sdk.boards import load_board
from sdk.codegen import export_model
from sdk.errors import UnsupportedError
from sdk.reference import run_float, run_int8

MAIN_C = r"""
#include <stdio.h>
#include "a/model.h"
#include "b/model.h"

static float arena_a[(NET_A_ARENA_SIZE + 3) / 4];

static int dump(const char *path, const float *data, uint32_t bytes)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, bytes, f) != bytes) {
        return 1;
    }
    return fclose(f);
}

int main(void)
{
    uint32_t i;
    float *in;
    if (net_a_init(arena_a, sizeof(arena_a) - 4u) != NET_A_ERR_ARENA_TOO_SMALL) {
        return 10;
    }
    if (net_a_init(arena_a, sizeof(arena_a)) != NET_A_OK || net_b_init(NULL, 0u) != NET_B_OK) {
        return 11;
    }
    in = net_a_input(0);
    for (i = 0; i < NET_A_INPUT0_SIZE; i++) {
        in[i] = (float)i / (float)NET_A_INPUT0_SIZE - 0.5f;
    }
    in = net_b_input(0);
    for (i = 0; i < NET_B_INPUT0_SIZE; i++) {
        in[i] = 0.25f - (float)i / (float)NET_B_INPUT0_SIZE;
    }
    if (net_a_invoke() != NET_A_OK || net_b_invoke() != NET_B_OK) {
        return 12;
    }
    if (net_a_step_name(NET_A_NUM_STEPS) != NULL || net_a_step_name(0) == NULL) {
        return 13;
    }
    return dump("a.bin", net_a_output(0), net_a_output_bytes(0)) |
           dump("b.bin", net_b_output(0), net_b_output_bytes(0));
}
"""


def _small_net():
    b = GraphBuilder("small", (1, 6, 5, 2), seed=5)
    x = b.conv("input", 3, stride=(2, 2), activation="relu")
    x = b.pool(x, "AvgPool2D", kernel=(3, 3), stride=(1, 1), padding="same")
    return b.finish(b.dense(b.flatten(x), 3))


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_two_exported_models_link_into_one_program(tmp_path):
    ga, gb = residual_net(seed=4), _small_net()
    export_model(ga, tmp_path / "a", prefix="net_a")
    export_model(gb, tmp_path / "b", prefix="net_b")
    assert (tmp_path / "a" / "README.md").read_text().count("net_a_init") >= 2
    # The engine copies both exports carry are the same files: compile one copy of each (the
    # ARMv7E-M assembly too: it assembles to nothing here).
    engine = {p.relative_to(tmp_path / d): p for d in ("a", "b") for p in (tmp_path / d).rglob("*")
              if p.suffix in (".c", ".S") and p.name != "model.c"}
    (tmp_path / "main.c").write_text(MAIN_C)
    sources = ["main.c", "a/model.c", "b/model.c", *[str(p) for p in engine.values()]]
    cmd = ["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Ia",
           *sources, "-o", "app", "-lm"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    run = subprocess.run(["./app"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0
    for graph, file in ((ga, "a.bin"), (gb, "b.bin")):
        shape = graph.tensors["input"].shape
        n = int(np.prod(shape))
        ramp = np.arange(n, dtype=np.float32) / np.float32(n)
        x = (ramp - np.float32(0.5)) if file == "a.bin" else (np.float32(0.25) - ramp)
        want = run_float(graph, x.reshape(shape))[graph.outputs[0]].ravel()
        got = np.fromfile(tmp_path / file, dtype=np.float32)
        assert np.max(np.abs(got - want)) <= 1e-5 * np.max(np.abs(want))


def test_steps_json_names_the_layers_each_step_covers(tmp_path):
    import json

    g = residual_net()
    g.ops[0].attrs["fused"] = [g.ops[0].name, "bn1", "relu1"]
    gen = export_model(g, tmp_path, prefix="net")
    doc = json.loads((tmp_path / "steps.json").read_text())
    assert doc["arena_bytes"] == gen.plan.arena_bytes
    steps = doc["steps"]
    assert [s["op"] for s in steps] == [op.type for op in g.ops if op.type != "Reshape"]
    assert steps[0]["layers"] == [g.ops[0].name, "bn1", "relu1"]
    assert steps[0]["macs"] == g.macs(g.ops[0])
    assert doc["weights_bytes"] == sum(t.nbytes for t in g.tensors.values() if t.is_constant)


def test_bad_prefix_and_dilation_are_refused(tmp_path):
    g = residual_net()
    with pytest.raises(UnsupportedError, match="prefix"):
        export_model(g, tmp_path, prefix="9lives")
    b = GraphBuilder("dilated", (1, 7, 7, 1))
    y = b.conv("input", 2, padding="valid")
    b.graph.ops[0].attrs["dilation"] = [2, 2]
    b.graph.tensors[y].shape = (1, 3, 3, 2)
    with pytest.raises(UnsupportedError, match="conv1 .*dilation"):
        export_model(b.finish(y), tmp_path, prefix="net")


def _readme_sources(out) -> list[str]:
    """The source files of the README's build line (the `cc ... -lm` line)."""
    line = next(s for s in (out / "README.md").read_text().splitlines()
                if s.strip().startswith("cc "))
    return [w for w in line.split() if w.endswith((".c", ".S")) and w != "main.c"]


def test_an_int8_export_ships_the_assembly_and_its_build_line_compiles(tmp_path):
    from int8_graphs import int8_residual_net

    export_model(int8_residual_net(), tmp_path, prefix="net")
    sources = _readme_sources(tmp_path)
    assert "arch/armv7em/tp_s8_conv_tile.S" in sources and "tp_conv_tiles_s8.c" in sources
    assert all((tmp_path / s).is_file() for s in sources)
    assert (tmp_path / "arch" / "armv7em" / "tp_armv7em_s8.h").is_file()
    assert "arch/msp430/tp_msp430_dot_tile_s16.S" in sources
    board = load_board("msp430fr6989").dir
    # (compiler, size tool, the arch whose routines it assembles)
    compilers = [(["gcc"], "size", None),
                 (["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16",
                   "-mfloat-abi=hard"], "arm-none-eabi-size", "armv7em"),
                 (["clang-14", "--target=msp430", f"-I{board}",
                   '-DTP_DSP_HWMULT_HEADER="msp430fr6989_board.h"'], "llvm-size-14", "msp430")]
    for cc, size_tool, arch in compilers:
        if shutil.which(cc[0]) is None or shutil.which(size_tool) is None:
            continue
        for src in sources:
            obj = tmp_path / (src.replace("/", "_") + ".o")
            subprocess.run([*cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I.", "-c",
                            src, "-o", str(obj)], cwd=tmp_path, check=True)
            if src.endswith(".S"):
                # The routines are there for their architecture and assemble to nothing
                # elsewhere.
                size = subprocess.run([size_tool, str(obj)], capture_output=True, text=True,
                                      check=True).stdout
                text = int(size.splitlines()[1].split()[0])
                assert (text > 0) == src.startswith(f"arch/{arch}/"), (src, cc[0], text)


def _readme_program(out) -> tuple[str, list[str]]:
    """The README's minimal main.c and its compile line (split into words)."""
    text = (out / "README.md").read_text()
    main_c = text.split("```c\n", 1)[1].split("```", 1)[0]
    line = next(s for s in text.splitlines() if s.strip().startswith("cc "))
    return main_c, shlex.split(line)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")
@pytest.mark.parametrize("kind", ["float", "int8"])
def test_the_readme_example_compiles_without_warnings_and_prints_the_reference(tmp_path, kind):
    from int8_graphs import int8_residual_net

    graph = residual_net(seed=3) if kind == "float" else int8_residual_net(seed=3)
    export_model(graph, tmp_path, prefix="net")
    main_c, cmd = _readme_program(tmp_path)
    (tmp_path / "main.c").write_text(main_c)
    build = subprocess.run([*cmd, "-Werror", "-o", "app"], cwd=tmp_path, capture_output=True,
                           text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run(["./app"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    x = graph.tensors[graph.inputs[0]]
    got = np.array([float(v) for v in run.stdout.split()])
    if kind == "float":
        want = run_float(graph, np.zeros(x.shape, np.float32))[graph.outputs[0]].ravel()
        assert got.size == want.size
        assert np.max(np.abs(got - want)) <= 1e-5 * np.max(np.abs(want))
    else:
        want = run_int8(graph, np.zeros(x.shape, np.int8))[graph.outputs[0]].ravel()
        assert x.dtype == "int8" and got.tolist() == want.astype(float).tolist()


def test_an_ir_graph_with_float_activations_and_int8_weights_is_refused_naming_the_layer(
        tmp_path):
    from sdk.ir import QuantParams

    b = GraphBuilder("hybrid", (1, 6, 6, 2), seed=1)
    y = b.conv("input", 4)
    g = b.finish(b.dense(b.flatten(y), 3))
    w = g.tensors[g.ops[0].inputs[1]]
    w.data, w.dtype = np.round(w.data * 100).astype(np.int8), "int8"
    w.quant = QuantParams(np.full(1, 0.01), np.zeros(1, np.int64))
    with pytest.raises(UnsupportedError) as err:
        export_model(g, tmp_path, prefix="net")
    msg = str(err.value)
    assert msg.count("not supported") == 1 and msg.startswith("not supported: op conv1 (Conv2D) "
                                                              "on float32 activations with int8 ")
