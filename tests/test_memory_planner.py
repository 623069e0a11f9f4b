"""The arena plan: live tensors never overlap, memory is reused, aliases and in-place ops."""

from __future__ import annotations

from graphs import GraphBuilder, gesture_graph, residual_net
from sdk.codegen.memory_planner import ALIGNMENT, overlap_limit, plan_memory


def _assert_no_live_overlap(plan) -> None:
    """Live buffers are disjoint, except an output below its dying input by the op's limit."""
    bufs = plan.buffers
    for i, a in enumerate(bufs):
        assert a.offset % ALIGNMENT == 0
        assert a.offset + a.size <= plan.arena_bytes
        for j, b in enumerate(bufs):
            if j == i or not a.overlaps_in_time(b):
                continue
            if a.offset + a.size <= b.offset or b.offset + b.size <= a.offset:
                continue
            out, inp, k = (a, b, j) if j in a.may_overlap else (b, a, i)
            assert k in out.may_overlap, (a, b)
            assert out.offset <= inp.offset + out.may_overlap[k]
            assert inp.last == out.first  # the input dies at the op that writes the output


def _chain():
    b = GraphBuilder("chain", (1, 8, 8, 4), seed=0)
    x = "input"
    for _ in range(5):
        x = b.conv(x, 4, activation="relu")
    return b.finish(x)


def test_chain_reuses_memory():
    g = _chain()
    plan = plan_memory(g)
    _assert_no_live_overlap(plan)
    total = sum(g.tensors[n].nbytes for n in plan.offsets)
    one = g.tensors["input"].nbytes
    # A chain needs two activation buffers at a time, and less when outputs may overlap.
    assert one < plan.arena_bytes <= 2 * one < total
    assert plan.arena_bytes == max(b.offset + b.size for b in plan.buffers)


def test_every_graph_tensor_is_in_the_arena_without_overlap():
    for g in (residual_net(), gesture_graph()):
        plan = plan_memory(g)
        _assert_no_live_overlap(plan)
        expected = set(g.inputs) | {op.outputs[0] for op in g.ops}
        assert set(plan.offsets) == expected


def test_reshape_is_an_alias_and_softmax_runs_in_place():
    g = residual_net()
    plan = plan_memory(g)
    flatten = next(op for op in g.ops if op.type == "Reshape")
    softmax = next(op for op in g.ops if op.type == "Softmax")
    assert plan.offsets[flatten.outputs[0]] == plan.offsets[flatten.inputs[0]]
    assert plan.shared[flatten.outputs[0]] == flatten.inputs[0]
    assert plan.offsets[softmax.outputs[0]] == plan.offsets[softmax.inputs[0]]


def test_add_in_place_only_over_a_dying_input():
    b = GraphBuilder("adds", (1, 4, 4, 2), seed=1)
    x = b.conv("input", 2)
    y = b.conv(x, 2)
    s = b.add(x, y)  # x and y both die here: the sum takes one of their buffers
    t = b.add(s, "input")  # the graph input must survive: only s may be reused
    g = b.finish(t)
    plan = plan_memory(g)
    _assert_no_live_overlap(plan)
    assert plan.offsets[s] in (plan.offsets[x], plan.offsets[y])
    assert plan.offsets[t] == plan.offsets[s]
    assert plan.offsets[t] != plan.offsets["input"]


def test_add_not_in_place_when_the_input_lives_on():
    b = GraphBuilder("keep", (1, 4, 4, 2), seed=2)
    x = b.conv("input", 2)
    s = b.add(x, x)
    t = b.add(s, x)  # x is read again after s
    g = b.finish(t)
    plan = plan_memory(g)
    _assert_no_live_overlap(plan)
    assert plan.offsets[s] != plan.offsets[x]


def test_scratch_buffers_are_planned_for_their_step_only():
    g = _chain()
    sizes = {op.name: 100 * (i + 1) for i, op in enumerate(g.ops)}
    plan = plan_memory(g, scratch_fn=lambda graph, op: sizes[op.name])
    _assert_no_live_overlap(plan)
    assert {op: b for op, (_, b) in plan.scratch.items()} == sizes
    no_scratch = plan_memory(g).arena_bytes
    # Scratch of different steps share memory: at most the largest (500 bytes) is added.
    assert no_scratch < plan.arena_bytes <= no_scratch + 504


def test_windowed_outputs_overlap_their_dying_inputs():
    g = gesture_graph()
    plan = plan_memory(g)
    _assert_no_live_overlap(plan)
    act = g.tensors[g.ops[0].outputs[0]].nbytes  # 30x20x32 float
    # Two full activations would be 153,600 bytes; overlapping outputs need barely more than one.
    assert act < plan.arena_bytes < 1.2 * act
    overlapping = [b for b in plan.buffers if b.may_overlap]
    assert overlapping


def test_overlap_limit_matches_the_kernel_write_order():
    """Brute force: replay the kernels' order (pixel pairs) and find the largest safe start."""
    b = GraphBuilder("limits", (1, 9, 7, 3), seed=3)
    cases = [b.conv("input", 5, stride=(2, 2), padding=[0, 1, 0, 1]),
             b.conv("input", 2, kernel=(5, 3), padding=[1, 2, 0, 1]),
             b.pool("input", "MaxPool2D", kernel=(3, 3), stride=(2, 2), padding="same")]
    g = b.finish(*cases)
    for op in g.ops:
        _, h, w, ci = g.tensors[op.inputs[0]].shape
        _, oh, ow, co = g.tensors[op.outputs[0]].shape
        sh, sw = op.attrs["stride"]
        pt, _, pl, _ = op.attrs["padding"]
        worst = None
        for p in range(oh * ow):
            oy, ox = divmod(p, ow)
            # Elements of every window still to be read, from pixel p on.
            needed = min(((max(y * sh - pt, 0)) * w + max(x * sw - pl, 0)) * ci
                         for y in range(oh) for x in range(ow) if y * ow + x >= p)
            margin = (needed - min(p + 2, oh * ow) * co) * 4
            worst = margin if worst is None else min(worst, margin)
        assert overlap_limit(g, op) == worst // ALIGNMENT * ALIGNMENT
