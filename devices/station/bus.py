"""Practical-hall bus driver: up to 16 stations on one Modbus RTU line, one owner thread.

Commands are idempotent by sequence number: LOAD/START/ABORT/RESET go out as one function-16 write of
(sequence, command, arguments); a retry reuses the sequence and the station executes a sequence once.
Events are delivered exactly once per driver: a poll acknowledges what the caller already received,
then reads the window of events after the station's acknowledged number and drops any seen before.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable

from ..transport.errors import DeviceError, LineLost, LineTimeout, ProtocolError
from ..transport.framelog import FrameLog
from ..transport.line import SerialLine
from ..transport.settings import LineSettings
from . import registers as r
from .modbus import ModbusMaster

logger = logging.getLogger(__name__)
LINE_DEFAULTS = {"baudrate": 115200}


class StationCommandRefused(DeviceError):
    def __init__(self, line: str, unit: int, command: r.CommandCode, result: int, state: r.StationState):
        self.unit, self.command, self.result = unit, command, result
        try:
            reason = r.CommandResult(result).name.lower().replace("_", " ")
        except ValueError:
            reason = f"undocumented result {result}"
        super().__init__(f"station {unit} on {line}: {command.name} refused ({reason}) in state {state.name}")


@dataclass(frozen=True)
class StationEvent:
    seq: int
    step: int
    outcome: r.Outcome
    offset_s: float


@dataclass(frozen=True)
class StationSnapshot:
    unit: int
    state: r.StationState
    elapsed_s: float
    score: float
    veto: bool
    veto_code: int
    fault: r.FaultCode
    boot_count: int
    item: int
    subject: int
    question: int
    events: tuple[StationEvent, ...] = ()


@dataclass
class _Cursor:
    delivered: int | None = None  # last event seq handed to the caller; None until first contact
    command_seq: int | None = None
    boot_count: int | None = None


@dataclass
class _StatusBlock:
    values: list[int] = field(default_factory=list)

    def __getitem__(self, register: int) -> int:
        return self.values[register]

    def u32(self, register: int) -> int:
        return r.join32(self.values[register], self.values[register + 1])


class PracticalBus:
    def __init__(self, settings: LineSettings, units: Iterable[int], timeout: float = 0.2, retries: int = 2,
                 name: str | None = None):
        self.units = sorted(set(units))
        if not self.units or len(self.units) > r.MAX_STATIONS or not all(1 <= u <= 247 for u in self.units):
            raise ValueError(f"a practical bus holds 1 to {r.MAX_STATIONS} stations with unit ids 1..247")
        self.timeout, self.retries = timeout, retries
        self._master: ModbusMaster | None = None
        self._cursors = {unit: _Cursor() for unit in self.units}
        self._baudrate = settings.baudrate
        self._frames = FrameLog(name or settings.url)  # _attach runs in the owner thread, maybe before self.line
        self.line = SerialLine(settings, name, on_connect=self._attach, frame_log=self._frames)

    def close(self) -> None:
        self.line.close()

    def resume(self, unit: int, delivered_seq: int) -> None:
        """Continue after ``delivered_seq`` (the centre's stored cursor) instead of the station's own ack."""
        self._cursor(unit).delivered = delivered_seq

    # -- commands -------------------------------------------------------------------------------------
    def load(self, unit: int, token: str, item: int, subject: int, question: int) -> None:
        if not 1 <= subject <= 4:
            raise ValueError(f"subject must be 1..4 (K1–K4), not {subject}")
        self._command(unit, r.CommandCode.LOAD, r.token_registers(token) + [item, subject, question])

    def start(self, unit: int) -> None:
        self._command(unit, r.CommandCode.START)

    def abort(self, unit: int) -> None:
        self._command(unit, r.CommandCode.ABORT)

    def reset(self, unit: int) -> None:
        self._command(unit, r.CommandCode.RESET)

    def loaded_token(self, unit: int) -> str:
        return r.token_from_registers(self._call(lambda m: m.read_input_registers(unit, r.IR_TOKEN,
                                                                                  r.TOKEN_REGISTERS)))

    def _command(self, unit: int, code: r.CommandCode, arguments: list[int] = ()) -> None:
        cursor = self._cursor(unit)
        if cursor.command_seq is None:  # continue the station's numbering (it survives our restarts)
            cursor.command_seq = self._call(lambda m: m.read_input_registers(unit, r.IR_COMMAND_SEQ, 1))[0]
        cursor.command_seq = cursor.command_seq % 0xFFFF + 1  # 1..65535; 0 means "none yet"
        seq = cursor.command_seq
        self._call(lambda m: m.write_registers(unit, r.HR_COMMAND_SEQ, [seq, code, *arguments]))
        status = _StatusBlock(self._call(lambda m: m.read_input_registers(unit, 0, r.STATUS_BLOCK)))
        if status[r.IR_COMMAND_SEQ] != seq:
            raise ProtocolError(f"station {unit} on {self.line.name}: {code.name} acknowledged but not executed "
                                f"(last command {status[r.IR_COMMAND_SEQ]}, sent {seq})")
        if status[r.IR_COMMAND_RESULT] != r.CommandResult.OK:
            raise StationCommandRefused(self.line.name, unit, code, status[r.IR_COMMAND_RESULT],
                                        r.StationState(status[r.IR_STATE]))

    # -- polling --------------------------------------------------------------------------------------
    def poll(self, unit: int) -> StationSnapshot:
        """State plus the events not yet delivered, oldest first."""
        cursor = self._cursor(unit)
        status, events = self._call(lambda m: self._poll(m, unit, cursor.delivered))
        if cursor.delivered is None:
            cursor.delivered = status.u32(r.IR_ACKED_SEQ)
        fresh = tuple(event for event in events if event.seq > cursor.delivered)
        if fresh:
            cursor.delivered = fresh[-1].seq
        boot_count = status[r.IR_BOOT_COUNT]
        if cursor.boot_count is not None and boot_count != cursor.boot_count:
            logger.warning("station %d on %s restarted (boot count %d → %d)", unit, self.line.name,
                           cursor.boot_count, boot_count)
        cursor.boot_count = boot_count
        return StationSnapshot(
            unit, r.StationState(status[r.IR_STATE]), status[r.IR_ELAPSED] / 10, status[r.IR_SCORE] / 10,
            bool(status[r.IR_VETO]), status[r.IR_VETO_CODE], r.FaultCode(status[r.IR_FAULT]), boot_count,
            status[r.IR_ITEM], status[r.IR_SUBJECT], status[r.IR_QUESTION], fresh)

    def _poll(self, master: ModbusMaster, unit: int, delivered: int | None):
        """Runs in the owner thread. Acknowledges only what the caller already has, so a reply lost on its
        way to the caller is read again next time instead of being lost."""
        status = _StatusBlock(master.read_input_registers(unit, 0, r.STATUS_BLOCK))
        acked, newest = status.u32(r.IR_ACKED_SEQ), status.u32(r.IR_NEWEST_SEQ)
        if delivered is not None and delivered > acked:
            master.write_registers(unit, r.HR_EVENT_ACK, r.split32(delivered))
            acked = delivered
        if newest <= max(acked, delivered or 0):
            return status, []
        count = min(r.EVENT_WINDOW, newest - acked)
        values = master.read_input_registers(unit, r.IR_EVENTS, count * r.EVENT_REGISTERS)
        events = []
        for index in range(count):
            seq_high, seq_low, step, outcome, offset = values[index * 5:index * 5 + 5]
            event = StationEvent(r.join32(seq_high, seq_low), step, r.Outcome(outcome), offset / 10)
            if event.seq != acked + 1 + index:
                raise ProtocolError(f"station {unit} on {self.line.name}: event window holds seq {event.seq} "
                                    f"where {acked + 1 + index} belongs")
            events.append(event)
        return status, events

    # -- plumbing -------------------------------------------------------------------------------------
    def _cursor(self, unit: int) -> _Cursor:
        if unit not in self._cursors:
            raise ValueError(f"unit {unit} is not on bus {self.line.name} ({self.units})")
        return self._cursors[unit]

    def _attach(self, port) -> None:
        self._master = ModbusMaster(port, self._baudrate, self.timeout, self._frames)

    def _call(self, operation):
        """One owner-thread job; a lost or garbled reply is repeated (reads are harmless, writes idempotent)."""
        attempts = 0
        while True:
            try:
                return self.line.call(lambda port: operation(self._master), self.timeout * 4 + 2.0)
            except (LineLost, LineTimeout, ProtocolError) as exc:
                attempts += 1
                if attempts > self.retries:
                    raise
                logger.warning("%s; repeating", exc)
