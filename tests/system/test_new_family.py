"""Acceptance: a new op family is added from outside the SDK by registering one op type, one
Python reference, one lowering and one C kernel (tests/c/toy_mul_shift_s16.c), at a dtype the
engine has no kernel for (int16), and runs bit-exact against its reference on the host board
and on the emulated Cortex-M7, with no dispatch code edited anywhere."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from host.build import build_firmware
from host.run_files import read_outputs, run_native, write_inputs
from sdk.ir import Graph, Op, Tensor
from sdk.ir.ops import OpSpec, no_macs, register_op, same_shape, unregister_op
from sdk.kernels import CKernel, Family, register_family, unregister_family
from sdk.kernels.program import simple_call
from sdk.kernels.values import Int, struct
from sdk.reference import run_int8

TOY_C = Path(__file__).resolve().parents[1] / "c" / "toy_mul_shift_s16.c"
KERNEL = CKernel("toy_mul_shift_s16", headers=(TOY_C.with_suffix(".h"),), in_place_inputs=(0,),
                 source=TOY_C)


def reference(ctx, args):
    """saturate_int16((x * multiplier) >> shift), the shift arithmetic."""
    y = (args[0] * int(ctx.attrs["multiplier"])) >> int(ctx.attrs["shift"])
    return np.clip(y, -32768, 32767)


def lower(ctx, op):
    """toy_mul_shift_s16(params, input, elements, output)."""
    params = struct("toy_mul_shift_params_s16", "params", multiplier=op.attrs["multiplier"],
                    shift=op.attrs["shift"])
    size = ctx.graph.tensors[op.outputs[0]].size
    return simple_call(ctx, op, KERNEL, (params, ctx.tensor(op.inputs[0]), Int(size),
                                         ctx.tensor(op.outputs[0])), (params,))


@pytest.fixture
def toy_family():
    register_op(OpSpec("MulShift", 1, 1, ("multiplier", "shift"), same_shape, no_macs))
    family = register_family(Family("MulShift", "int16", None, None, reference, lower, KERNEL))
    yield family
    unregister_family(family.key)
    unregister_op("MulShift")


def _graph() -> Graph:
    g = Graph("toy_int16")
    g.add_tensor(Tensor("input", (1, 6, 7, 3), "int16"))
    g.inputs = ["input"]
    g.add_op(Op("scale_up", "MulShift", ["input"], ["a"], {"multiplier": 45, "shift": 5}))
    g.add_op(Op("scale_down", "MulShift", ["a"], ["y"], {"multiplier": -300, "shift": 8}))
    g.outputs = ["y"]
    g.validate()
    return g


def _input(g: Graph) -> np.ndarray:
    rng = np.random.default_rng(8)
    return rng.integers(-32768, 32768, g.tensors["input"].shape).astype(np.int16)


def _check(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == np.int16 and want.dtype == np.int16
    # Both saturation and ordinary values occur, so neither side can be trivially right.
    assert np.any(np.abs(want) == 32767) or np.any(want == -32768)
    assert np.unique(want).size > 50
    np.testing.assert_array_equal(got, want)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_toy_family_runs_bit_exact_on_host(toy_family, tmp_path):
    g = _graph()
    x = _input(g)
    build = build_firmware(g, "host", tmp_path)
    assert [s.kernel for s in build.steps] == ["toy_mul_shift_s16"] * 2
    # The second call writes over the first one's output (the family allows it in place).
    assert build.plan.shared == {"y": "a"}
    _check(run_native(build.elf, g, [x])[0], run_int8(g, x)["y"])


@pytest.mark.qemu
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None
                    or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc or qemu-system-arm not installed")
def test_toy_family_runs_bit_exact_on_qemu(toy_family, tmp_path):
    from host.qemu import run_qemu

    g = _graph()
    x = _input(g)
    build = build_firmware(g, "qemu_m7", tmp_path / "build")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    write_inputs(g, run_dir, [x])
    assert run_qemu(build.elf, run_dir).exit_code == 0
    _check(read_outputs(g, run_dir)[0], run_int8(g, x)["y"])


def test_unregistered_family_is_not_supported(tmp_path):
    """Without the registration the same graph cannot even be built: nothing else knows it."""
    from sdk.ir import GraphError

    with pytest.raises(GraphError, match="unknown type 'MulShift'"):
        _graph()
