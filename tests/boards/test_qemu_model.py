"""The whole path on the emulated Cortex-M7: a generated multi-op model built for qemu_m7 runs
under QEMU, matches the float reference executor, and its per-step instruction counts are
exact (they add up to the whole inference) and repeatable."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from graphs import residual_net
from host.build import build_firmware
from host.elf import read_sections
from host.qemu import run_qemu, step_instructions, ticks_to_instructions
from host.run_files import read_marks, read_outputs, write_inputs
from sdk.reference.float_executor import run_float

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                       reason="arm-none-eabi-gcc not installed"),
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None,
                       reason="qemu-system-arm not installed"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    graph = residual_net(seed=3)
    return graph, build_firmware(graph, "qemu_m7", tmp_path_factory.mktemp("residual"))


def run_once(graph, build, workdir, x):
    workdir.mkdir()
    write_inputs(graph, workdir, [x])
    result = run_qemu(build.elf, workdir, timeout_s=30)
    assert result.exit_code == 0, result.stdout + result.stderr
    return read_outputs(graph, workdir)[0], read_marks(workdir)


def test_model_output_matches_reference_and_steps_sum_to_whole(built, tmp_path):
    graph, build = built
    x = np.random.default_rng(11).normal(size=graph.tensors["input"].shape).astype(np.float32)
    device, marks = run_once(graph, build, tmp_path / "a", x)

    expected = run_float(graph, x)[graph.outputs[0]]
    rel = np.max(np.abs(device - expected) / np.maximum(np.abs(expected), 1e-30))
    assert rel <= 1e-5

    steps = step_instructions(marks)
    assert len(steps) == len(build.steps)
    assert all(n > 0 for n in steps)
    # exact counts: the per-step counts plus one mark per step add up to the single reading
    # from before the first step to after the last
    mark_cost = ticks_to_instructions(marks[0])
    whole = ticks_to_instructions((marks[-1] - marks[1]) % 2**32)
    assert sum(steps) + len(steps) * mark_cost == whole
    # the convolutions do more work than the softmax over 5 values
    by_op = {s.op: n for s, n in zip(build.steps, steps)}
    assert by_op["Conv2D"] > by_op["Softmax"]

    again, marks_again = run_once(graph, build, tmp_path / "b", x)
    np.testing.assert_array_equal(again, device)
    assert marks_again == marks


def test_size_report_of_the_model_firmware(built):
    _, build = built
    report = build.size
    assert report.flash_bytes == report.text_bytes + report.rodata_bytes + report.data_bytes
    assert report.rodata_bytes >= build.weights_bytes
    assert report.ram_bytes >= build.plan.arena_bytes + report.stack_bytes
    # engine and model code, from the map, is at most the .text of their objects (the link
    # drops unused functions) and more than nothing
    objects = [p for p in (build.out_dir / "obj").glob("*.o")
               if p.stem == "model" or p.stem.startswith("tp_") and p.stem != "tp_board"]
    in_objects = sum(s.size for p in objects for s in read_sections(p)
                     if s.name == ".text" or s.name.startswith(".text."))
    assert 0 < report.code_bytes <= in_objects
    assert report.code_bytes < report.text_bytes


def test_several_frames_in_one_launch(built, tmp_path):
    """The run app runs every frame of its input file; each output equals a lone run's."""
    from host.device_run import run_on_board

    graph, _ = built
    rng = np.random.default_rng(5)
    frames = rng.normal(size=(3, *graph.tensors["input"].shape[1:])).astype(np.float32)
    batch = run_on_board(graph, "qemu_m7", frames, tmp_path / "batch")
    assert batch.output.shape == (3, *graph.tensors[graph.outputs[0]].shape[1:])
    assert batch.max_rel_diff <= 1e-5
    lone = run_on_board(graph, "qemu_m7", frames[2:3], tmp_path / "lone")
    np.testing.assert_array_equal(batch.output[2:3], lone.output)
