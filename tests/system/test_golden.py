"""The golden figures (docs/golden.json): every figure docs/benchmarks.md publishes, measured
again and compared exactly; and the documents, which must be exactly what rendering the golden
file gives.

A figure that changes without the golden file changing fails with the figure's name, the golden
value and the measured one. With other tool versions than the file's tags the comparison is
reported (a skip whose reason lists the tools and the figures that differ) instead of failing.
"""

from __future__ import annotations

import shutil

import pytest

from host.golden import GOLDEN_FILE, GROUPS, Difference, compare, flatten, load_golden, tool_differences
from host.golden_render import RENDERED_DOCS, TABLES, render_text
from sdk.errors import TinypruneError

_NEEDS = {"qemu": ("arm-none-eabi-gcc", "qemu-system-arm"),
          "msp430": ("clang-14", "ld.lld-14", "mspdebug")}
_PROFILER_NEEDS = ("gcc",)  # the QEMU plugin of bench --profile is built with the host gcc


def _group_param(group):
    marks = [pytest.mark.slow, getattr(pytest.mark, group.emulator)]
    emulators = [e for e, tools in _NEEDS.items() if e == group.emulator or tools[0] in group.tools]
    needs = tuple(t for e in emulators for t in _NEEDS[e]) + (
        _PROFILER_NEEDS if group.name in ("int8_profile", "sparse") else ())
    missing = [t for t in needs if shutil.which(t) is None]
    if missing:
        marks.append(pytest.mark.skip(reason=f"needs {', '.join(missing)}"))
    return pytest.param(group, marks=marks, id=group.name)


@pytest.mark.parametrize("group", [_group_param(g) for g in GROUPS])
def test_figures_equal_the_golden_file(group, tmp_path):
    """Measure one group of figures again; every figure equals the golden file exactly."""
    if "torch" in group.tools:
        pytest.importorskip("torch")
    if "int8" in group.name:  # int8, int8_profile, msp430_int8: the MLPerf Tiny models
        from host.bench_models import DEFAULT_MODELS, MLPERF_DIR

        if not all((MLPERF_DIR / n).is_file() for n in DEFAULT_MODELS):
            pytest.skip(f"{MLPERF_DIR} not found: the MLPerf Tiny models live in ../shared")
    if group.name == "micropython":
        from host.micropython import source_path

        try:
            source_path()
        except TinypruneError as e:
            pytest.skip(str(e))
    golden = load_golden()
    measured = group.measure(tmp_path)
    diffs = compare(golden["figures"][group.name], measured)
    tools = tool_differences(golden, group.tools)
    report = "\n".join(f"{group.name}.{d}" for d in diffs)
    if tools:
        pytest.skip("toolchain differs from the golden file's tags ("
                    + "; ".join(tools) + "), so figures are reported, not compared: "
                    + (report or "every figure equal anyway"))
    assert not diffs, (f"{len(diffs)} figures differ from {GOLDEN_FILE.name} (if intended, "
                       f"run `tinyprune golden --update` and commit the file):\n{report}")


def test_compare_names_every_changed_figure():
    """The diff names the figure, the golden value and the measured one, nested or listed."""
    golden = {"int8": {"kws": {"instructions": 3_866_695, "steps": [{"instructions": 5}]}}}
    measured = {"int8": {"kws": {"instructions": 3_866_704, "steps": [{"instructions": 5}],
                                 "code_bytes": 12}}}
    diffs = compare(golden, measured)
    assert diffs == [Difference("int8.kws.instructions", 3_866_695, 3_866_704),
                     Difference("int8.kws.code_bytes", None, 12)]
    assert str(diffs[0]) == "int8.kws.instructions: golden 3,866,695, measured 3,866,704"
    assert str(diffs[1]) == "int8.kws.code_bytes: golden absent, measured 12"
    assert compare(golden, golden) == []


def test_golden_file_covers_every_group_and_is_tagged():
    """Every group has figures, every figure is exact (an integer or a yes/no check), and
    every tool a group depends on has a version tag."""
    golden = load_golden()
    assert set(golden["figures"]) == {g.name for g in GROUPS}
    for name, value in flatten(golden["figures"]).items():
        if not name.endswith((".name", ".op")):
            assert isinstance(value, (int, bool)), name
    for group in GROUPS:
        for tool in group.tools:
            assert golden["toolchains"].get(tool) not in (None, "missing"), tool


@pytest.mark.parametrize("path", RENDERED_DOCS, ids=lambda p: p.name)
def test_documents_are_rendered_from_the_golden_file(path):
    """A hand edit of a rendered figure fails here: the document must equal its rendering."""
    text = path.read_text()
    rendered = render_text(text, load_golden()["figures"], str(path))
    if rendered != text:
        changed = [f"  {a!r} -> {b!r}" for a, b in zip(text.splitlines(), rendered.splitlines())
                   if a != b]
        pytest.fail(f"{path.name} differs from rendering {GOLDEN_FILE.name} (run `tinyprune "
                    "golden --render`, or `--update` if the figures changed):\n"
                    + "\n".join(changed[:20]))


def test_benchmarks_page_renders_every_table():
    """docs/benchmarks.md holds every golden table once."""
    text = RENDERED_DOCS[0].read_text()
    for name in TABLES:
        assert text.count(f"<!-- golden:{name} -->\n") == 1, name


def test_a_hand_edited_figure_is_caught():
    """Editing a rendered figure (in a table or in prose) changes what rendering gives."""
    figures = load_golden()["figures"]
    text = RENDERED_DOCS[0].read_text()
    kws = f"{figures['int8']['kws_ref_model']['instructions']:,}"
    assert kws in text
    edited = text.replace(kws, "1,234,567", 1)
    assert render_text(edited, figures) == text
    prose = "<!--g:float.gesture_cnn.params-->66,264<!--/g-->"
    assert prose in text
    assert render_text(text.replace(prose, prose.replace("66,264", "66,000")), figures) == text
    with pytest.raises(TinypruneError, match="no figure 'float.nothing'"):
        render_text("<!--g:float.nothing-->1<!--/g-->", figures)


def test_channel_pruned_models_are_smaller_and_faster_than_the_dense_one():
    """The golden channel-pruned gesture CNNs against the dense one (golden ``sparse.int8.dense``):
    fewer instructions and MACs, smaller weights, flash and arena, bit-exact, and the more
    pruned the smaller."""
    figures = load_golden()["figures"]
    dense = figures["sparse"]["int8"]["dense"]
    previous = {**dense, "macs": figures["channels"]["dense_macs"]}
    for name, point in figures["channels"]["points"].items():
        assert point["exact"], name
        for key in ("instructions", "macs", "weights_bytes", "flash_bytes", "arena_bytes"):
            assert point[key] < previous[key], (name, key)
        assert sum(s["instructions"] for s in point["steps"]) == point["instructions"], name
        previous = point


def test_msp430_gesture_figures_agree_with_each_other():
    """The published MSP430 gesture loop: host-equal, every sweep measured, the misses those
    sweeps over the budget, the steps inside the inference."""
    m = load_golden()["figures"]["gesture_msp430"]["bnn_gesture_msp430"]
    cycles, budget = m["sweep_cycles"], m["deadline_budget"]
    assert m["classes_equal"] and m["events_equal"]
    assert len(cycles) == m["sweeps"] and budget == 16_000_000 // 18
    assert m["sweep_deadline_misses"] == sum(c > budget for c in cycles)
    assert m["deadline_misses"] <= m["sweep_deadline_misses"]
    assert sum(s["cycles"] for s in m["steps"]) <= m["inference_cycles"]
    last = m["profile_sweep"]
    assert cycles[last] == (m["outside_work_cycles"][last] + m["preprocess_cycles"]
                            + m["inference_cycles"])


def test_binary_gesture_model_fits_the_msp430_sweep():
    """Issue 12: the q15 preprocessing plus the binary gesture model's inference at most
    800,000 cycles per sweep (golden ``binary_msp430.gesture_model`` and ``radar_msp430``),
    its steps adding up to its total."""
    from host.bench_binary import SWEEP_TARGET_CYCLES

    figures = load_golden()["figures"]
    model = figures["binary_msp430"]["gesture_model"]
    assert sum(s["cycles"] for s in model["steps"]) == model["cycles"]
    assert [s["op"] for s in model["steps"]][:3] == ["BinaryConv2D", "MaxPool2D", "BinaryConv2D"]
    sweep = figures["radar_msp430"]["q15, 4x5 FFT"]["cycles"] + model["cycles"]
    assert sweep <= SWEEP_TARGET_CYCLES


def test_float_int8_binary_versions_agree_with_each_other():
    """The golden ``bnn_versions`` figures: steps add up to each whole inference, the first,
    between and last parts add up too, every run is exact, a version that does not fit says by
    how much; and where all three run, the binary layers between take fewer counts in binary
    than in int8, and int8 fewer than float (whole inference)."""
    from host.bench_bnn_versions import BOARDS, MODELS, VERSIONS, segments

    figures = load_golden()["figures"]["bnn_versions"]
    assert set(figures) == set(MODELS)
    for name, versions in figures.items():
        assert tuple(versions) == VERSIONS, name
        for board in BOARDS:
            runs = {v: versions[v][board] for v in VERSIONS}
            for version, m in runs.items():
                if not m["fits"]:
                    assert m.get("too_large_array_elements", 0) > 0 or all(b > 0 for b in m["over"].values())
                    continue
                assert m["exact"], (name, version, board)
                parts = segments(m["steps"])
                assert sum(len(p) for p in parts) == len(m["steps"])
                assert sum(s["count"] for p in parts for s in p) == m["count"]
            ran = {v for v, m in runs.items() if m["fits"]}
            if {"int8", "binary"} <= ran and runs["int8"]["steps"][0]["op"] == "Conv2D+MaxPool2D":
                between = {v: sum(s["count"] for s in segments(runs[v]["steps"])[1])
                           for v in ("int8", "binary")}
                assert between["binary"] < between["int8"], (name, board)
            if {"float", "int8"} <= ran:
                assert runs["int8"]["count"] < runs["float"]["count"], (name, board)
    # Only the binary seed-shaped CNN fits the MSP430's FRAM.
    cnn = figures["bnn_gesture_cnn"]
    assert [cnn[v]["msp430fr6989"]["fits"] for v in VERSIONS] == [False, False, True]
