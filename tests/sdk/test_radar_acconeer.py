"""Readers and writer of Acconeer recordings, checked on the shared real recordings of both
generations and against Acconeer's own loaders (acconeer-exptool, the `acconeer` extra)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

from sdk.errors import DataFileError, UnsupportedError
from sdk.paths import SHARED_DIR
from sdk.radar.describe import describe
from sdk.radar.recording import load_recording, save_recording
from sdk.radar.stream import continuous_recording

A111 = SHARED_DIR / "data" / "acconeer_a111"
A121 = SHARED_DIR / "data" / "acconeer_a121"
A111_FILES = sorted(A111.glob("*/input.h5")) if A111.is_dir() else []
A121_FILES = sorted(A121.glob("*.h5")) if A121.is_dir() else []
need_a111 = pytest.mark.skipif(not A111_FILES, reason=f"shared A111 recordings not found in {A111}")
need_a121 = pytest.mark.skipif(not A121_FILES, reason=f"shared A121 recordings not found in {A121}")

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from acconeer.exptool import a121 as et_a121
        from acconeer.exptool.a111 import recording as et_a111
    EXPTOOL_MISSING = ""
except ImportError as exc:  # the `acconeer` extra is not installed
    EXPTOOL_MISSING = f"acconeer-exptool cannot be imported ({exc}); ./setup.sh installs it"
need_exptool = pytest.mark.skipif(bool(EXPTOOL_MISSING), reason=EXPTOOL_MISSING)


def _sessions(path: Path) -> int:
    with h5py.File(path) as h5:
        return len(h5["sessions"]) if "sessions" in h5 else 1


A121_SESSIONS = [(p, s) for p in A121_FILES for s in range(_sessions(p))]


@need_a121
@pytest.mark.parametrize("path,session", A121_SESSIONS, ids=lambda v: getattr(v, "stem", str(v)))
def test_a121_reads_every_session_as_stored(path: Path, session: int) -> None:
    rec = load_recording(path, session=session)
    root = f"sessions/session_{session}" if _sessions(path) > 1 or "sessions" in h5py.File(path) \
        else "session"
    with h5py.File(path) as h5:
        entry = h5[f"{root}/group_0/entry_0"]
        raw = entry["result/frame"][()]
        meta = json.loads(entry["metadata"][()])
        ticks = entry["result/tick"][()]
        tps = json.loads(h5["server_info"][()])["ticks_per_second"]
        flags = {k: entry[f"result/{k}"][()] for k in ("data_saturated", "frame_delayed",
                                                         "calibration_needed")}
    assert rec.generation == "a121" and rec.mode == "sparse_iq" and rec.a121 is not None
    assert np.array_equal(rec.data[:, 0].real, raw["real"])
    assert np.array_equal(rec.data[:, 0].imag, raw["imag"])
    assert [s.offset for s in rec.a121.subsweeps] == meta["subsweep_data_offset"]
    assert [s.length for s in rec.a121.subsweeps] == meta["subsweep_data_length"]
    assert rec.a121.base_step_length_m == meta["base_step_length_m"]
    assert np.array_equal(rec.a121.ticks, ticks) and rec.a121.ticks_per_second == tps
    assert np.allclose(rec.times_s, (ticks - ticks[0]) / tps)
    assert all(np.array_equal(rec.flags[k], v) for k, v in flags.items())
    info = describe(rec)
    assert info["generation"] == "a121" and info["sweeps_per_update"] == raw.shape[1]
    assert len(info["subsweeps"]) == len(meta["subsweep_data_offset"])
    assert info["gesture"]["preprocessable"] is False and info["gesture"]["why_not"]


@need_a121
@need_exptool
@pytest.mark.parametrize("path", A121_FILES, ids=lambda p: p.stem)
def test_a121_equals_acconeers_loader_field_by_field(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = et_a121.load_record(path)
    assert theirs.num_sessions == _sessions(path)
    for index in range(theirs.num_sessions):
        session = theirs.session(index)
        for group, entries in enumerate(session.extended_stacked_results):
            for sensor_id, stacked in entries.items():
                ours = load_recording(path, sensor=sensor_id, session=index, group=group)
                config = session.session_config.groups[group][sensor_id]
                meta = session.extended_metadata[group][sensor_id]
                a = ours.a121
                assert a is not None and a.sensor_id == sensor_id and a.sessions == theirs.num_sessions
                assert np.array_equal(ours.data[:, 0], stacked.frame)
                assert np.array_equal(a.ticks, stacked.tick)
                for flag in ("data_saturated", "frame_delayed", "calibration_needed"):
                    assert np.array_equal(ours.flags[flag], getattr(stacked, flag))
                assert np.array_equal(a.temperature, stacked.temperature)
                assert a.ticks_per_second == theirs.server_info.ticks_per_second
                assert a.sweeps_per_frame == config.sweeps_per_frame
                assert a.sweep_rate_hz == config.sweep_rate and a.frame_rate_hz == config.frame_rate
                assert a.continuous_sweep_mode == config.continuous_sweep_mode
                assert [s.offset for s in a.subsweeps] == list(meta.subsweep_data_offset)
                assert [s.length for s in a.subsweeps] == list(meta.subsweep_data_length)
                assert [(s.start_point, s.step_length, s.profile) for s in a.subsweeps] == \
                    [(c.start_point, c.step_length, c.profile.name) for c in config.subsweeps]
                assert a.base_step_length_m == meta.base_step_length_m
                info = describe(ours)
                if config.sweep_rate:
                    assert info["sweep_rate_hz"] == pytest.approx(config.sweep_rate)
                if config.frame_rate:
                    assert info["update_rate_hz"] == pytest.approx(config.frame_rate)


@need_a121
def test_a121_options_and_errors(tmp_path: Path) -> None:
    multi = A121 / "hand-motion-default.h5"
    configs = {load_recording(multi, session=s).sweeps_per_update for s in range(4)}
    assert len(configs) > 1  # the four sessions are configured differently
    with pytest.raises(DataFileError, match=r"no session 4 \(has sessions 0\.\.3\)"):
        load_recording(multi, session=4)
    with pytest.raises(DataFileError, match=r"group 0 has no sensor 2 \(has sensor 1\)"):
        load_recording(multi, sensor=2)
    with pytest.raises(DataFileError, match=r"has no group 1 \(has group 0\)"):
        load_recording(multi, group=1)
    older = load_recording(A121 / "input.h5")  # `session/` only
    assert older.a121 is not None and older.a121.sessions == 1
    with pytest.raises(UnsupportedError, match="not supported: range-Doppler preprocessing .* 2 subsweeps"):
        load_recording(A121 / "distance-5to20.h5").iq_sweeps()
    with pytest.raises(UnsupportedError, match="4 sweeps per frame with gaps between frames"):
        load_recording(A121 / "fr10Hz-spf4.h5").iq_sweeps()
    # continuous sweep mode: frames join into one even stream of sweeps
    cont = load_recording(A121 / "touchless_button_default.h5")
    assert cont.iq_sweeps().shape == (89 * 16, 3) and cont.sweep_rate_hz == 320.0
    assert "3 depths per sweep" in describe(cont)["gesture"]["why_not"]
    with pytest.raises(UnsupportedError, match=r"not supported: writing an A121 recording as \.npz"):
        save_recording(tmp_path / "x.npz", cont)


@need_a111
@pytest.mark.parametrize("path", A111_FILES, ids=lambda p: p.parent.name)
def test_a111_every_mode_reads_and_is_described_honestly(path: Path) -> None:
    rec = load_recording(path)
    info = describe(rec)
    with h5py.File(path) as h5:
        assert rec.data.shape == h5["data"].shape and rec.mode == h5["mode"][()].decode()
        session_info = json.loads(h5["session_info"][()])
        config = json.loads(h5["sensor_config_dump"][()])
        n_info = len(json.loads(h5["data_info"][()]))
    assert n_info == rec.n_updates and set(rec.flags) >= {"missed_data", "data_saturated"}
    assert info["update_rate_hz"] == config["update_rate"]
    assert info["depths"] == rec.data.shape[-1]
    assert info["depth_step_m"] == pytest.approx(session_info["step_length_m"], abs=1e-6)
    gesture = info["gesture"]
    if rec.mode == "sparse":
        assert info["sweeps_per_update"] == rec.data.shape[2]
        assert info["sweep_rate_hz"] == pytest.approx(session_info["sweep_rate"])
        assert not gesture["preprocessable"] and "real-valued" in gesture["why_not"]
    elif rec.mode == "envelope":
        assert not gesture["preprocessable"] and "no phase" in gesture["why_not"]
    else:  # iq at 66 Hz and 10 Hz: preprocessable, but not at the gesture setup's rate
        assert gesture["preprocessable"] and not gesture["matches_gesture_rate"]
        assert "not the configuration's 1.11 s at 18 Hz" in gesture["how"]


@need_a111
@need_exptool
@pytest.mark.parametrize("path", A111_FILES, ids=lambda p: p.parent.name)
def test_a111_equals_acconeers_loader_and_round_trips_both_ways(path: Path, tmp_path: Path) -> None:
    ours = load_recording(path)
    theirs = et_a111.load(path)
    assert np.array_equal(ours.data, theirs.data) and ours.mode == theirs.mode.name.lower()
    assert ours.data_info == theirs.data_info and ours.session_info == theirs.session_info
    assert ours.update_rate_hz == theirs.sensor_config.update_rate
    if theirs.sample_times is not None:
        assert np.array_equal(ours.sample_times, theirs.sample_times)
    for suffix in (".h5", ".npz"):
        # our writer -> their loader
        save_recording(tmp_path / f"ours{suffix}", ours)
        back = et_a111.load(tmp_path / f"ours{suffix}")
        assert np.array_equal(back.data, theirs.data) and back.data_info == theirs.data_info
        assert back.mode == theirs.mode and back.sensor_config_dump is not None
        assert back.sensor_config.update_rate == theirs.sensor_config.update_rate
        # their writer -> our reader
        et_a111.save(tmp_path / f"theirs{suffix}", theirs)
        again = load_recording(tmp_path / f"theirs{suffix}")
        assert np.array_equal(again.data, ours.data) and again.data_info == ours.data_info
        assert again.session_info == ours.session_info and again.mode == ours.mode


@need_a121
@need_exptool
def test_our_reader_opens_what_acconeers_a121_writer_writes(tmp_path: Path) -> None:
    # (Acconeer's writer cannot re-save the older files: they carry no calibration)
    for path in (A121 / "hand-motion-default.h5", A121 / "touchless_button_both_ranges.h5"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            et_a121.save_record(tmp_path / path.name, et_a121.load_record(path))
        for session in range(_sessions(path)):
            a = load_recording(path, session=session)
            b = load_recording(tmp_path / path.name, session=session)
            assert np.array_equal(a.data, b.data) and np.array_equal(a.a121.ticks, b.a121.ticks)
            assert a.a121.subsweeps == b.a121.subsweeps and describe(a)["gesture"] == describe(b)["gesture"]


@need_a121
@need_exptool
@pytest.mark.parametrize("path,session", A121_SESSIONS, ids=lambda v: getattr(v, "stem", str(v)))
def test_a121_through_our_writer_opens_in_acconeers_loader(path: Path, session: int,
                                                          tmp_path: Path) -> None:
    ours = load_recording(path, session=session)
    save_recording(tmp_path / "ours.h5", ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = et_a121.load_record(tmp_path / "ours.h5")
    assert theirs.num_sessions == 1 and theirs.server_info.ticks_per_second == ours.a121.ticks_per_second
    stacked = theirs.session(0).extended_stacked_results[0][ours.a121.sensor_id]
    config = theirs.session(0).session_config.groups[0][ours.a121.sensor_id]
    assert np.array_equal(stacked.frame, ours.data[:, 0]) and np.array_equal(stacked.tick, ours.a121.ticks)
    assert np.array_equal(stacked.data_saturated, ours.flags["data_saturated"])
    assert config.sweeps_per_frame == ours.a121.sweeps_per_frame
    assert list(theirs.session(0).extended_metadata[0][ours.a121.sensor_id].subsweep_data_offset) == \
        [s.offset for s in ours.a121.subsweeps]
    back = load_recording(tmp_path / "ours.h5")
    assert np.array_equal(back.data, ours.data) and describe(back)["gesture"] == describe(ours)["gesture"]


@need_exptool
def test_our_labeled_recordings_open_in_acconeers_loader(tmp_path: Path) -> None:
    rec = continuous_recording(0, 1, 3.0)
    rec.flags = {"data_saturated": np.arange(rec.n_updates) == 5}
    for suffix in (".h5", ".npz"):
        save_recording(tmp_path / f"r{suffix}", rec)
        theirs = et_a111.load(tmp_path / f"r{suffix}")
        assert len(theirs.data_info) == rec.n_updates == len(theirs.data)
        assert theirs.data_info[5][0]["data_saturated"] and not theirs.data_info[4][0]["data_saturated"]
        assert np.array_equal(theirs.data, rec.data) and theirs.sensor_config.update_rate == 18.0
        back = load_recording(tmp_path / f"r{suffix}")
        assert np.array_equal(back.labels, rec.labels) and back.label_names == rec.label_names
        assert np.array_equal(back.flags["data_saturated"], rec.flags["data_saturated"])


def test_a111_sensor_option_on_a_two_sensor_record(tmp_path: Path) -> None:
    rec = continuous_recording(0, 1, 2.0)
    rec.data = np.concatenate([rec.data, 2 * rec.data], axis=1)
    rec.sensor_config = {**rec.sensor_config, "sensor": [1, 3]}
    rec.data_info = [[{"missed_data": False, "data_saturated": False},
                      {"missed_data": i == 2, "data_saturated": False}] for i in range(rec.n_updates)]
    save_recording(tmp_path / "two.h5", rec)
    both = load_recording(tmp_path / "two.h5")
    assert both.sensor_ids() == [1, 3] and both.flags["missed_data"].sum() == 1
    three = load_recording(tmp_path / "two.h5", sensor=3)
    assert np.array_equal(three.iq_sweeps(), 2 * rec.data[:, 0]) and three.flags["missed_data"][2]
    assert np.array_equal(both.iq_sweeps(3), three.iq_sweeps())
    assert not load_recording(tmp_path / "two.h5", sensor=1).flags["missed_data"].any()
    with pytest.raises(DataFileError, match=r"no sensor 2 \(has sensor 1, 3\)"):
        load_recording(tmp_path / "two.h5", sensor=2)


def test_not_a_recording_is_named_in_one_line(tmp_path: Path) -> None:
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5["peaks"] = np.zeros(3)
    with pytest.raises(DataFileError, match=rf"^{other}: not a radar recording: .*it holds peaks"):
        load_recording(other)
    npz = tmp_path / "other.npz"
    np.savez(npz, x=np.zeros(2))
    with pytest.raises(DataFileError, match=rf"^{npz}: not an A111 Record"):
        load_recording(npz)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataFileError, match=rf"^{bad}: not a readable .npz file"):
        load_recording(bad)
    wrong = tmp_path / "a131.h5"
    with h5py.File(wrong, "w") as h5:
        h5.create_dataset("generation", data="a131", dtype=h5py.string_dtype())
    with pytest.raises(DataFileError, match="key 'generation' is 'a131'"):
        load_recording(wrong)


def test_a121_groups_and_sensors(tmp_path: Path) -> None:
    """An A121 record with two sensors in group 0 and another in group 1 (Exploration Tool
    names entries per group; ``sensor_id`` says which sensor each one is)."""
    from bad_input_seeds import write_a121_seed

    path = write_a121_seed(tmp_path / "multi.h5")
    with h5py.File(path, "r+") as h5:
        session = h5["sessions/session_0"]
        config = json.loads(session["session_config"][()])
        sensor = config["groups"][0]["1"]
        config["groups"] = [{"1": sensor, "3": sensor}, {"2": {**sensor, "sweeps_per_frame": 1}}]
        del session["session_config"]
        session.create_dataset("session_config", data=json.dumps(config), dtype=h5py.string_dtype())
        for group, entry, sensor_id, scale in ((0, 1, 3, 2), (1, 0, 2, 3)):
            target = f"group_{group}/entry_{entry}"
            session.copy("group_0/entry_0", target)
            del session[f"{target}/sensor_id"]
            session[f"{target}/sensor_id"] = sensor_id
            frame = session[f"{target}/result/frame"][()]
            frame["real"] *= scale
            del session[f"{target}/result/frame"]
            session[f"{target}/result/frame"] = frame
    first = load_recording(path)
    assert first.a121.entries == [(0, 1), (0, 3), (1, 2)] and first.a121.sensor_id == 1
    three = load_recording(path, sensor=3)
    two = load_recording(path, group=1)
    assert two.a121.sensor_id == 2 and two.a121.group == 1
    assert np.array_equal(three.data.real, 2 * first.data.real)
    assert np.array_equal(two.data.real, 3 * first.data.real)
    assert describe(two)["entries"] == [{"group": 0, "sensor_id": 1}, {"group": 0, "sensor_id": 3},
                                        {"group": 1, "sensor_id": 2}]
    with pytest.raises(DataFileError, match=r"session 0 group 1 has no sensor 3 \(has sensor 2\)"):
        load_recording(path, sensor=3, group=1)


@need_a121
@need_a111
def test_cli_data_info_describes_every_shared_recording() -> None:
    from typer.testing import CliRunner

    from host.cli import app

    runner = CliRunner()
    for path in [*A111_FILES, *A121_FILES]:
        res = runner.invoke(app, ["data", "info", str(path), "--json"])
        assert res.exit_code == 0, res.output
        info = json.loads(res.stdout)
        assert info["generation"] in ("a111", "a121") and "preprocessable" in info["gesture"]
        human = runner.invoke(app, ["data", "info", str(path)])
        assert "gesture preprocessing" in human.stdout and "data pack (" in human.stdout
        assert "preprocessable" in info["pack"]
    res = runner.invoke(app, ["data", "info", str(A121 / "hand-motion-default.h5"), "--session", "2",
                              "--json"])
    assert json.loads(res.stdout)["session"] == 2
    res = runner.invoke(app, ["data", "info", str(A121 / "hand-motion-default.h5"), "--session", "9"])
    assert res.exit_code == 1 and "no session 9 (has sessions 0..3)" in str(res.exception)


@pytest.mark.parametrize("mode", ["power_bins", "envelope", "sparse", "iq"])
def test_every_a111_mode_round_trips_and_says_why_not(mode: str, tmp_path: Path) -> None:
    """Modes the shared files lack (power bins) too: written, read back, described; with
    Acconeer's loader when it is installed."""
    from sdk.radar.recording import Recording

    rng = np.random.default_rng(2)
    shape = {"power_bins": (40, 1, 8), "envelope": (40, 1, 60), "sparse": (40, 1, 16, 6),
             "iq": (40, 1, 60)}[mode]
    data = rng.integers(0, 4000, shape).astype(np.uint16)
    if mode == "iq":
        data = (data + 1j * rng.integers(0, 4000, shape)).astype(np.complex128)
    rec = Recording(mode=mode, data=data, sample_times=np.arange(40) / 18.0,
                    sensor_config={"mode": mode.upper(), "sensor": [1], "update_rate": 18.0,
                                   "range_interval": [0.2, 0.5]},
                    session_info={"range_start_m": 0.2, "range_length_m": 0.3,
                                  "data_length": shape[-1], "step_length_m": 0.3 / shape[-1],
                                  **({"sweep_rate": 3000.0} if mode == "sparse" else {})})
    for suffix in (".h5", ".npz"):
        save_recording(tmp_path / f"r{suffix}", rec)
        back = load_recording(tmp_path / f"r{suffix}")
        assert back.mode == mode and np.array_equal(back.data, data)
        gesture = describe(back)["gesture"]
        assert gesture["preprocessable"] == (mode == "iq"), gesture
        if not EXPTOOL_MISSING:
            theirs = et_a111.load(tmp_path / f"r{suffix}")
            assert theirs.mode.name.lower() == mode and np.array_equal(theirs.data, data)
            assert len(theirs.data_info) == 40
