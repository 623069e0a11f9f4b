"""The arena plan: live tensors never overlap, memory is reused, aliases and in-place ops."""

from __future__ import annotations

from dataclasses import replace

from graphs import GraphBuilder, gesture_graph, residual_net
from sdk.codegen.memory_planner import ALIGNMENT, choose_variants, overlap_limit, plan_memory, plan_program
from sdk.kernels import lower

CHAIN = "tp_conv_chain_s8"


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
    program = lower(g)
    program = replace(program, calls=tuple(replace(c, scratch_bytes=sizes[c.name])
                                           for c in program.calls))
    plan = plan_program(program)
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


# -- int8: fused convolutions, tiles, in-place depthwise ------------------------------------

def _int8_chain(h: int = 12, w: int = 10, seed: int = 4):
    """conv -> conv -> 2x2 max pool (one fused, row-streamed call) -> 1x1 conv."""
    from int8_graphs import quantize_randomly

    b = GraphBuilder("chain8", (1, h, w, 3), seed=seed)
    x = b.conv("input", 8, activation="relu")
    x = b.conv(x, 8, activation="relu")
    x = b.pool(x, "MaxPool2D")
    x = b.conv(x, 6, kernel=(1, 1), padding="valid")
    return quantize_randomly(b.finish(x), seed)


def test_fused_chain_keeps_no_intermediate_tensor():
    from sdk.kernels.families.conv_chain_s8 import chain_buffer_bytes

    g = _int8_chain()
    assert ["+".join(op.type for op in c.ops) for c in lower(g).calls] == [
        "Conv2D+Conv2D+MaxPool2D", "Conv2D"]
    program, plan = choose_variants(lower(g))
    calls = program.calls
    _assert_no_live_overlap(plan)
    fused = calls[0]
    # Neither conv output exists: only the input, the pooled output and the last conv's.
    assert set(plan.offsets) == {"input", fused.output, calls[1].output}
    chain = fused.args[0]
    chunks = [dict(dict(layer.fields)["params"].fields)["chunk_rows"].value
              for layer in dict(chain.fields)["layer"].items]
    ring = dict(chain.fields)["ring_rows"].value
    assert plan.scratch[fused.name][1] == fused.scratch_bytes == chain_buffer_bytes(
        g, list(fused.ops[:2]), chunks, ring)
    assert plan.arena_bytes == max(b.offset + b.size for b in plan.buffers)


def _ring_holds(g, convs, pool: bool, align: bool, ring: int) -> bool:
    """Replay tp_conv_chain_s8's order independently: before each tile of the second conv, the
    first conv's pixels are computed up to what the tile needs (whole tiles of 8 when aligned);
    every row the tile reads must still be in its ring slot."""
    a, b = convs
    _, ah, aw, _ = g.tensors[a.outputs[0]].shape
    _, oh, ow, _ = g.tensors[b.outputs[0]].shape
    kh = g.tensors[b.inputs[1]].shape[1]
    sh, pt = b.attrs["stride"][0], b.attrs["padding"][0]
    if pool:
        outs = [(2 * (q // (ow // 2)) + dy) for q in range((oh // 2) * (ow // 2)) for dy in (0, 1)]
        tiles = [outs[i:i + 4] for i in range(0, len(outs), 4)]
    else:
        rows = [p // ow for p in range(oh * ow)]
        tiles = [rows[i:i + 8] for i in range(0, len(rows), 8)]
    slots: dict[int, int] = {}
    done = 0
    for tile in tiles:
        rows_needed = {y for oy in tile for y in range(oy * sh - pt, oy * sh - pt + kh)
                       if 0 <= y < ah}
        need = (max(rows_needed) + 1) * aw
        if align:
            need = min(-(-need // 8) * 8, ah * aw)
        for p in range(done, max(done, need)):
            slots[(p // aw) % ring] = p // aw
        done = max(done, need)
        if any(slots.get(y % ring) != y for y in rows_needed):
            return False
    return True


def test_chain_ring_is_the_smallest_that_works():
    from sdk.kernels.families.conv_chain_s8 import chain_ring_rows

    for h, w, seed in ((12, 10, 4), (9, 7, 5), (15, 10, 6), (7, 5, 7)):
        g = _int8_chain(h, w, seed)
        convs = g.ops[:2]
        for align in (True, False):
            ring = chain_ring_rows(g, convs, True, align)
            assert _ring_holds(g, convs, True, align, ring), (h, w, align)
            assert ring == 1 or not _ring_holds(g, convs, True, align, ring - 1), (h, w, align)


def test_int8_conv_overlap_limit_matches_its_tiles():
    """Brute force for tiles of 8 pixels: all of a tile's input is read before its output is
    written; later tiles need input from their first window element on."""
    from int8_graphs import quantize_randomly

    b = GraphBuilder("tiles", (1, 9, 7, 8), seed=8)
    cases = [b.conv("input", 5, stride=(2, 2), padding=[0, 1, 0, 1]),
             b.conv("input", 3, kernel=(5, 3), padding=[1, 2, 0, 1]),
             b.conv("input", 8, kernel=(1, 1), padding="valid"),
             b.conv("input", 6, kernel=(1, 1), padding="valid")]
    g = quantize_randomly(b.finish(*cases), 8)
    for op in g.ops:
        _, h, w, ci = g.tensors[op.inputs[0]].shape
        _, oh, ow, co = g.tensors[op.outputs[0]].shape
        sh, sw = op.attrs["stride"]
        pt, _, pl, _ = op.attrs["padding"]
        starts = [(max(y * sh - pt, 0) * w + max(x * sw - pl, 0)) * ci
                  for y in range(oh) for x in range(ow)]
        margins = [min(starts[end:]) - end * co
                   for end in range(8, oh * ow, 8)]
        expected = (min(margins) // ALIGNMENT) * ALIGNMENT
        assert overlap_limit(g, op, tile=8) == expected
    # A 1x1 convolution no wider than its input may write right over it.
    assert overlap_limit(g, g.ops[2], tile=8) == 0
    assert overlap_limit(g, g.ops[3], tile=8) >= 0


def test_int8_1x1_convs_and_stride1_depthwise_run_in_place():
    """A KWS-like block: the depthwise output takes its input's bytes, the 1x1 conv writes over
    its input; the arena is one activation plus the largest scratch."""
    from int8_graphs import quantize_randomly

    b = GraphBuilder("dsblock", (1, 10, 5, 1), seed=9)
    x = b.conv("input", 16, kernel=(4, 4), stride=(2, 2))
    for _ in range(2):
        x = b.depthwise(x, activation="relu")
        x = b.conv(x, 16, kernel=(1, 1), padding="valid", activation="relu")
    g = quantize_randomly(b.finish(x), 9)
    plan = plan_memory(g)
    _assert_no_live_overlap(plan)
    ops = g.ops
    for dw, conv in ((ops[1], ops[2]), (ops[3], ops[4])):
        assert plan.shared[dw.outputs[0]] == dw.inputs[0]  # in place
        assert plan.offsets[dw.outputs[0]] == plan.offsets[dw.inputs[0]]
        # The 1x1 conv may start at its input (D >= 0).
        src = next(b for b in plan.buffers if conv.inputs[0] in b.tensors)
        out = next(b for b in plan.buffers if conv.outputs[0] in b.tensors)
        assert out.may_overlap[plan.buffers.index(src)] >= 0
    act = g.tensors[ops[0].outputs[0]].nbytes
    scratch = max(size for _, size in plan.scratch.values())
    # One activation at a time (two would need at least 2 * act + scratch).
    assert plan.arena_bytes <= g.tensors["input"].nbytes + act + scratch + 2 * ALIGNMENT
    assert plan.arena_bytes < 2 * act + scratch


def test_depthwise_not_in_place_over_the_graph_input():
    from int8_graphs import quantize_randomly

    b = GraphBuilder("dwin", (1, 6, 6, 4), seed=10)
    g = quantize_randomly(b.finish(b.depthwise("input")), 10)
    plan = plan_memory(g)
    _assert_no_live_overlap(plan)
    assert plan.offsets[g.ops[0].outputs[0]] != plan.offsets["input"]


def test_int8_gesture_cnn_arena_within_12_kB():
    """The seed's gesture CNN in int8: three fused conv -> conv -> pool calls, row-streamed; no
    30x20x32 map (19,200 bytes) exists, and the arena is at most 12 kB (STM32Cube.AI: 22.78)."""
    from int8_graphs import quantize_randomly

    g = quantize_randomly(gesture_graph(seed=0), 0)
    program, plan = choose_variants(lower(g))
    _assert_no_live_overlap(plan)
    assert ["+".join(op.type for op in c.ops) for c in program.calls
            if c.kernel is not None and c.kernel.function == CHAIN] == [
        "Conv2D+Conv2D+MaxPool2D"] * 3
    assert max(b.size for b in plan.buffers) < 30 * 20 * 32
    assert plan.arena_bytes <= 12_000
    assert plan.arena_bytes == max(b.offset + b.size for b in plan.buffers)


def test_planning_does_not_mutate_the_program():
    """Planning is a pure function of the program; choosing variants returns a new program
    (the int8 gesture CNN takes slower, smaller variants to fit 12 kB) and leaves its input as
    lowering made it."""
    from int8_graphs import quantize_randomly

    program = lower(quantize_randomly(gesture_graph(seed=0), 0))
    calls = program.calls
    before = [(c.kernel, c.args, c.defs, c.scratch_bytes, c.variants, c.in_place,
               c.overlap_tile) for c in calls]
    first = plan_program(program).to_json()
    chosen, plan = choose_variants(program)
    assert program.calls is calls
    assert [(c.kernel, c.args, c.defs, c.scratch_bytes, c.variants, c.in_place,
             c.overlap_tile) for c in calls] == before
    assert plan_program(program).to_json() == first
    assert plan_program(chosen).to_json() == plan.to_json()
    changed = [i for i, (a, b) in enumerate(zip(calls, chosen.calls)) if a is not b]
    assert changed and plan.arena_bytes < first["arena_bytes"]


def test_scratch_in_its_own_region_leaves_the_arena():
    """A board that puts scratch in another region than the activations: the scratch buffers
    share their own arena (one call at a time: the largest scratch), the activation arena
    holds no scratch, and a placement in an unknown region is refused."""
    import pytest

    from int8_graphs import quantize_randomly
    from sdk.codegen.memory_planner import MemoryLayout
    from sdk.errors import UnsupportedError

    g = quantize_randomly(gesture_graph(seed=0), 0)
    regions = {"SRAM": {"bytes": 1 << 18}, "FRAM": {"bytes": 1 << 16,
                                                     "data_section": ".persistent"}}
    layout = MemoryLayout.from_json({"regions": regions, "arena": "SRAM", "scratch": "FRAM",
                                     "weights": "FRAM"})
    program = lower(g)
    split = plan_program(program, layout)
    together = plan_program(program)
    assert split.scratch_arena_bytes == max(size for _, size in split.scratch.values())
    scratch = [b for b in split.buffers if b.kind == "scratch"]
    assert scratch and all(b.offset + b.size <= split.scratch_arena_bytes for b in scratch)
    assert split.arena_bytes == max(b.offset + b.size for b in split.buffers
                                    if b.kind == "tensor")
    assert split.arena_bytes < together.arena_bytes
    assert layout.section("scratch") == ".persistent" and layout.section("weights") is None
    with pytest.raises(UnsupportedError, match="arena in unknown region 'DRAM'"):
        MemoryLayout.from_json({"regions": regions, "arena": "DRAM", "scratch": "SRAM",
                                "weights": "FRAM"})
