"""The gesture firmware on msp430fr6989, streamed in one mspdebug session (docs/gestures.md,
"On the MSP430").

The simulator has no UART, so the serial line is the board's mailbox (boards/msp430fr6989):
the firmware reads "serial.in" and appends its frames to "serial.out". :class:`SimPort` gives
that line pyserial's shape, so :class:`host.link.Link` and everything in
host/gesture_stream.py run on it unchanged. What the host writes waits in the port; a read
with nothing received runs one *turn*: the port puts the waiting bytes into the mailbox as a
new "serial.in", sets the board's read position back to 0, and continues the simulator until
the firmware has read everything and waits again in ``tp_board_idle``; then it takes
"serial.out". The firmware never stops running: one session carries a whole recording.

Cycles are the simulator's MCLK. At every call of ``tp_board_counter`` (a breakpoint) the port
sets the board's call counter to the cycle count minus one, so the call returns the cycle count
itself: the firmware's own figures (RESULT.work, deadline misses, PROFILE) are cycles, judged
on the board against its budget as on qemu_m7. The turn's length from one ``tp_board_idle``
stop to the next is everything the firmware did for the bytes it received: reception, frame
decoding, preprocessing, inference, detector, the RESULT's encoding and sending, and the loop.
The host feeds one SWEEP per turn, so a turn's cycles are that sweep's cycles.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from host.mspdebug import (
    COUNTER_SYMBOL,
    MAILBOX_ADDR,
    MAILBOX_DATA_ADDR,
    STOP_SYMBOL,
    mailbox_directory,
    pack_mailbox,
)
from host.mspdebug_session import MspdebugSession
from sdk.errors import ToolchainError
from sdk.ir import Graph
from sdk.protocol.frame import MsgType, StreamDecoder
from sdk.protocol.messages import PayloadError, Sweep, unpack_message
from sdk.radar.preprocess import PreprocessConfig

IDLE_SYMBOL = "tp_board_idle"
CALLS_SYMBOL = "s_counter_calls"   # boards/msp430fr6989/board.c: tp_board_counter's count
IN_POS_SYMBOL = "s_serial_in_pos"  # board.c: the next byte of "serial.in" to read
STACK_SYMBOL = "__stack_start"     # crt0's canary words at the bottom of the stack reserve
CANARY = struct.pack("<HH", 0x5AC3, 0xA53C)


@dataclass(frozen=True)
class Turn:
    """One turn: the bytes delivered, the MCLK counts at its two idle stops, and the bytes
    the firmware sent."""

    received: bytes
    start_cycles: int
    end_cycles: int
    sent: bytes

    @property
    def cycles(self) -> int:
        """Everything the firmware did in this turn (MCLK cycles)."""
        return self.end_cycles - self.start_cycles


@dataclass
class SimPort:
    """The serial line of a gesture firmware running in ``session`` (a pyserial-like port)."""

    session: MspdebugSession
    turns: list[Turn] = field(default_factory=list)
    counter_calls: int = 0
    boot_cycles: int = 0
    _tx: bytearray = field(default_factory=bytearray)
    _rx: bytearray = field(default_factory=bytearray)
    _last_stop: int = 0

    def __post_init__(self) -> None:
        sym = self.session.symbols
        for name in (CALLS_SYMBOL, IN_POS_SYMBOL, STACK_SYMBOL):
            if name not in sym:
                raise ToolchainError(f"{self.session.elf.name}: no symbol {name} (not the "
                                     "msp430fr6989 board's firmware?)")
        self._idle, self._counter = sym[IDLE_SYMBOL], sym[COUNTER_SYMBOL]
        self._exit = sym[STOP_SYMBOL]
        # Boot: to the first wait for the line (model init, the "ready" LOG).
        self._last_stop = self._run_to_idle()
        self.boot_cycles = self._last_stop
        self._rx += self._serial_out()

    @property
    def in_waiting(self) -> int:
        """Bytes received and not read yet."""
        return len(self._rx)

    def write(self, data: bytes) -> int:
        """Queue bytes for the firmware; they arrive at the next turn."""
        self._tx += data
        return len(data)

    def read(self, size: int = 1) -> bytes:
        """Up to ``size`` received bytes; runs a turn first when nothing is received and
        bytes are waiting to go."""
        if not self._rx and self._tx:
            self._turn(bytes(self._tx))
            self._tx.clear()
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def close(self) -> None:
        """End the simulator session."""
        self.session.close()

    def stack_intact(self) -> bool:
        """True while crt0's canary at the bottom of the stack reserve is untouched (the gesture
        app never exits, so nothing else checks it)."""
        return self.session.read(self.session.symbols[STACK_SYMBOL], 4) == CANARY

    def _turn(self, data: bytes) -> None:
        s = self.session
        s.write(MAILBOX_ADDR, pack_mailbox({"serial.in": data}))
        s.write(s.symbols[IN_POS_SYMBOL], bytes(4))
        start = self._last_stop
        self._last_stop = self._run_to_idle()
        sent = self._serial_out()
        self.turns.append(Turn(data, start, self._last_stop, sent))
        self._rx += sent

    def _run_to_idle(self) -> int:
        """Continue to the next ``tp_board_idle`` stop, stamping every counter call with its
        cycles; the MCLK count there."""
        s = self.session
        while True:
            stop = s.run()
            if stop.pc == self._counter:
                self.counter_calls += 1
                s.write(s.symbols[CALLS_SYMBOL],
                        struct.pack("<I", (stop.cycles - 1) & 0xFFFFFFFF))
                continue
            if stop.pc == self._idle:
                return stop.cycles
            what = "exited (reached __stop)" if stop.pc == self._exit else \
                f"stopped at unexpected pc {stop.pc:#06x}"
            raise ToolchainError(f"{s.elf.name}: the gesture firmware {what}: "
                                 f"{stop.console.strip()[-200:]!r}")

    def _serial_out(self) -> bytes:
        """The mailbox file "serial.out" (empty when the firmware sent nothing)."""
        head = self.session.read(MAILBOX_ADDR, MAILBOX_DATA_ADDR - MAILBOX_ADDR)
        offset, size = mailbox_directory(head).get("serial.out", (0, 0))
        return self.session.read(MAILBOX_DATA_ADDR + offset, size) if size else b""


@contextmanager
def start_msp430(elf: Path, timeout_s: float = 120.0) -> Iterator[SimPort]:
    """The gesture firmware ``elf`` booted in an mspdebug session, as a port; the session is
    killed at the end. ``timeout_s`` bounds every wait for the simulator (one turn)."""
    session = MspdebugSession(elf, [IDLE_SYMBOL, COUNTER_SYMBOL, STOP_SYMBOL], timeout_s)
    try:
        yield SimPort(session)
    finally:
        session.close()


def sweep_cycles(turns: list[Turn], n: int) -> list[int | None]:
    """Cycles of each of ``n`` sweeps: the cycles of the turn that delivered its SWEEP, when
    that turn delivered nothing else (None otherwise, or when it never arrived)."""
    out: list[int | None] = [None] * n
    for turn in turns:
        frames = StreamDecoder().feed(turn.received)
        sweeps = []
        for f in frames:
            if f.type != MsgType.SWEEP:
                sweeps.append(-1)
                continue
            try:
                msg = unpack_message(f.type, f.payload)
            except PayloadError:
                continue
            assert isinstance(msg, Sweep)
            sweeps.append(msg.sweep_index)
        if len(sweeps) == 1 and 0 <= sweeps[0] < n:
            out[sweeps[0]] = turn.cycles
    return out


def q15_reference_inputs(graph: Graph, sweeps_iq: np.ndarray, preprocess: PreprocessConfig,
                         work: Path) -> np.ndarray:
    """The int8 model inputs the MSP430 firmware computes from wire sweeps: the q15
    preprocessing (device/dsp/tp_dsp_q15.c built for the host, the same integers as on the
    board), the table of :func:`host.gesture_fw.q15_input_table`, the time context."""
    from host.gesture_fw import q15_input_table, q15_model_input, wire_to_complex
    from sdk.radar.c_preprocess import build_host_preprocessor, c_frames
    from sdk.radar.preprocess import with_context

    inp = graph.tensors[graph.inputs[0]]
    q = inp.qparams()
    if len(sweeps_iq) < preprocess.window_sweeps:
        return np.zeros((0, *inp.shape[1:]), np.int8)
    exe = build_host_preprocessor(work, sweeps_iq.shape[1], preprocess, q15=True)
    frames = c_frames(exe, wire_to_complex(sweeps_iq), True, preprocess)
    q15 = np.rint(frames.astype(np.float64) * 32768.0).astype(np.int64)
    x = q15_model_input(q15, q15_input_table(float(q.scale[0]), int(q.zero_point[0])))
    x = with_context(x, preprocess)
    return x.reshape(len(x), *inp.shape[1:]).astype(np.int8)


def throughput(turns: list[Turn], wall_s: float) -> dict:
    """How fast the simulator ran: sweeps (turns) and MCLK cycles per wall-clock second."""
    cycles = sum(t.cycles for t in turns)
    return {"turns": len(turns), "wall_s": round(wall_s, 3),
            "turns_per_s": round(len(turns) / wall_s, 3) if wall_s > 0 else None,
            "mcycles_per_s": round(cycles / wall_s / 1e6, 3) if wall_s > 0 else None}



GOLDEN_SEED = 0  # torch seed of the untrained network the golden figures stream through


def measure_gesture_msp430(work: Path) -> dict:
    """Golden group ``gesture_msp430``: the seeded, untrained ``bnn_gesture_msp430`` in the
    gesture firmware on msp430fr6989, streamed a seeded simulated swipe (24 sweeps, the first
    five frames): every sweep's MCLK cycles, the profile of the last one, deadline misses,
    agreement with the host, and the firmware's memory."""
    import torch

    from host.cli_stream import run_stream, simulated_recording
    from host.gesture_fw import build_gesture_firmware
    from sdk.bnn.export import export_binary
    from sdk.bnn.models import GESTURE_INPUT, bnn_gesture_msp430
    from sdk.ir import save_model

    torch.manual_seed(GOLDEN_SEED)
    graph = export_binary(bnn_gesture_msp430(), GESTURE_INPUT, "bnn_gesture_msp430")
    model = save_model(graph, work / "bnn_gesture_msp430.tpm")
    build = build_gesture_firmware(graph, model, "msp430fr6989", work / "fw")
    rep = run_stream(str(model), "msp430fr6989", str(simulated_recording(work / "swipe.h5")),
                     out=work / "stream")
    cycles, s, plan = rep["sweep_cycles"], build.size, build.plan
    prof = rep["profile"]
    return {"bnn_gesture_msp430": {
        "sweeps": rep["sweeps"], "frames": rep["frames"],
        "classes_equal": rep["classes_equal"], "events_equal": rep["events_equal"],
        "deadline_budget": rep["deadline_budget"], "deadline_misses": rep["deadline_misses"],
        "sweep_deadline_misses": rep["sweep_deadline_misses"],
        "sweep_cycles": cycles, "outside_work_cycles": rep["sweep_cycles_outside_work"],
        "profile_sweep": prof["sweep"], "preprocess_cycles": prof["preprocess"],
        "inference_cycles": prof["inference"],
        "steps": [{"name": st["name"], "cycles": st["count"]} for st in prof["steps"]],
        "fram_bytes": s.flash_bytes, "sram_bytes": s.ram_bytes, "stack_bytes": s.stack_bytes,
        "weights_bytes": build.weights_bytes, "arena_bytes": plan.arena_bytes,
        "arena_in_fram": plan.layout is not None and plan.layout.arena == "FRAM"}}
