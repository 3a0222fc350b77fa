"""Emulated practical-exam station (a PLC rig): runs a scripted exam on a clock the caller controls and
exposes the register map of docs/protocols/practical-station.md.

Like a PLC's retentive memory, the event journal, the acknowledged number, the last command and the boot
count survive a restart; the exam in progress does not (the station comes back in FAULT / POWER_LOSS).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from ..station import registers as r
from .modbus_slave import ILLEGAL_ADDRESS, ILLEGAL_VALUE, ModbusError

INPUT_RANGES = ((0, r.IR_TOKEN + r.TOKEN_REGISTERS), (r.IR_EVENTS, r.IR_EVENTS + r.EVENT_WINDOW * r.EVENT_REGISTERS),
                (r.IR_PROTOCOL_VERSION, r.IR_JOURNAL_CAPACITY + 1))
HOLDING_RANGES = ((0, r.COMMAND_BLOCK), (r.HR_EVENT_ACK, r.HR_EVENT_ACK + 2))


@dataclass(frozen=True)
class ScriptedStep:
    at_s: float  # seconds after start
    step: int  # step code of the operation item
    outcome: r.Outcome = r.Outcome.OK
    points: float = 0.0
    veto_code: int = 0  # for a VETO outcome: which veto item (否决项) was triggered


@dataclass(frozen=True)
class ExamScript:
    steps: tuple[ScriptedStep, ...]
    duration_s: float

    @classmethod
    def demo(cls, steps: int = 6, every_s: float = 5.0, veto_at: int | None = None) -> "ExamScript":
        """``steps`` steps ``every_s`` apart, the third one an error, optionally a veto at step ``veto_at``."""
        plan = []
        for index in range(1, steps + 1):
            if index == veto_at:
                plan.append(ScriptedStep(index * every_s, 100 + index, r.Outcome.VETO, 0, veto_code=7))
            elif index == 3:
                plan.append(ScriptedStep(index * every_s, 100 + index, r.Outcome.ERROR, 0))
            else:
                plan.append(ScriptedStep(index * every_s, 100 + index, r.Outcome.OK, 100 / steps))
        return cls(tuple(plan), (steps + 1) * every_s)


def _within(ranges, address: int, count: int) -> bool:
    return any(start <= address and address + count <= end for start, end in ranges)


class StationEmulator:
    def __init__(self, unit: int, script: ExamScript, clock: Callable[[], float] = time.monotonic,
                 journal_capacity: int = 64):
        self.unit, self.script, self.clock, self.capacity = unit, script, clock, journal_capacity
        self.online = True
        # retentive
        self.journal: list[tuple[int, int, int, int]] = []  # (seq, step, outcome, offset in 0.1 s), unacked
        self.newest_seq = self.acked_seq = 0
        self.command_seq = 0
        self.command_result = r.CommandResult.OK
        self.boot_count = 1
        self.holding = [0] * r.COMMAND_BLOCK
        self.executions = 0  # commands actually executed, for tests
        self._clear_exam()

    # -- scripting -------------------------------------------------------------------------------------
    def power_off(self) -> None:
        self._advance()  # what happened before the power went stays in the (retentive) journal
        self.online = False

    def power_on(self) -> None:
        """Restart: the exam in progress is lost (retentive memory is not)."""
        interrupted = self.state in (r.StationState.LOADED, r.StationState.RUNNING)
        self._clear_exam()
        if interrupted:
            self.state, self.fault = r.StationState.FAULT, r.FaultCode.POWER_LOSS
        self.boot_count = self.boot_count % 0xFFFF + 1
        self.online = True

    def raise_fault(self, code: r.FaultCode) -> None:
        self._advance()
        self.state, self.fault = r.StationState.FAULT, code

    # -- register access (called by the slave under the device lock) -----------------------------------
    def read_input(self, address: int, count: int) -> list[int]:
        if not _within(INPUT_RANGES, address, count):
            raise ModbusError(ILLEGAL_ADDRESS)
        self._advance()
        image = self._input_image()
        return [image.get(a, 0) for a in range(address, address + count)]

    def read_holding(self, address: int, count: int) -> list[int]:
        if not _within(HOLDING_RANGES, address, count):
            raise ModbusError(ILLEGAL_ADDRESS)
        image = dict(enumerate(self.holding)) | dict(zip((r.HR_EVENT_ACK, r.HR_EVENT_ACK + 1),
                                                         r.split32(self.acked_seq)))
        return [image[a] for a in range(address, address + count)]

    def write_holding(self, address: int, values: list[int]) -> None:
        if not _within(HOLDING_RANGES, address, len(values)):
            raise ModbusError(ILLEGAL_ADDRESS)
        self._advance()
        if address + len(values) > r.HR_EVENT_ACK:
            if (address, len(values)) != (r.HR_EVENT_ACK, 2):  # half a 32-bit number would be a different one
                raise ModbusError(ILLEGAL_VALUE)
            self._acknowledge(r.join32(*values))
            return
        self.holding[address:address + len(values)] = values
        if address <= r.HR_COMMAND < address + len(values):
            self._command(self.holding[r.HR_COMMAND_SEQ], self.holding[r.HR_COMMAND])

    # -- behaviour ------------------------------------------------------------------------------------
    def _clear_exam(self) -> None:
        self.state, self.fault = r.StationState.IDLE, r.FaultCode.NONE
        self.token_registers = [0] * r.TOKEN_REGISTERS
        self.item = self.subject = self.question = 0
        self.started = self.finished_at = None
        self.next_step = 0
        self.score = 0.0
        self.veto_code = 0

    def _acknowledge(self, seq: int) -> None:
        if seq > self.newest_seq:
            raise ModbusError(ILLEGAL_VALUE)
        self.acked_seq = max(self.acked_seq, seq)  # never backwards: acknowledged events are gone
        self.journal = [event for event in self.journal if event[0] > self.acked_seq]

    def _command(self, seq: int, code: int) -> None:
        if seq == self.command_seq:
            return  # a retry of the command already executed
        self.command_seq, self.executions = seq, self.executions + 1
        self.command_result = self._execute(code)

    def _execute(self, code: int) -> r.CommandResult:
        state, s = self.state, r.StationState
        if code == r.CommandCode.LOAD:
            if state != s.IDLE:
                return r.CommandResult.WRONG_STATE
            item, subject, question = self.holding[r.HR_ITEM:r.HR_QUESTION + 1]
            if not 1 <= subject <= 4 or not self.holding[r.HR_TOKEN]:
                return r.CommandResult.BAD_ARGUMENT
            self.token_registers = self.holding[r.HR_TOKEN:r.HR_TOKEN + r.TOKEN_REGISTERS]
            self.item, self.subject, self.question = item, subject, question
            self.state = s.LOADED
        elif code == r.CommandCode.START:
            if state != s.LOADED:
                return r.CommandResult.WRONG_STATE
            self.state, self.started = s.RUNNING, self.clock()
        elif code == r.CommandCode.ABORT:
            if state not in (s.LOADED, s.RUNNING):
                return r.CommandResult.WRONG_STATE
            self._clear_exam()
        elif code == r.CommandCode.RESET:
            if state in (s.LOADED, s.RUNNING):
                return r.CommandResult.WRONG_STATE
            self._clear_exam()
        else:
            return r.CommandResult.UNKNOWN_COMMAND
        return r.CommandResult.OK

    def _advance(self) -> None:
        """Play the script up to the clock (no timers: state is a function of the clock)."""
        if self.state != r.StationState.RUNNING:
            return
        elapsed = self.clock() - self.started
        steps = self.script.steps
        while self.next_step < len(steps) and steps[self.next_step].at_s <= elapsed:
            if self.newest_seq - self.acked_seq >= self.capacity:
                self.state, self.fault = r.StationState.FAULT, r.FaultCode.JOURNAL_FULL
                return
            step = steps[self.next_step]
            self.next_step += 1
            self.newest_seq += 1
            self.journal.append((self.newest_seq, step.step, step.outcome, round(step.at_s * 10)))
            self.score += step.points
            if step.outcome == r.Outcome.VETO:
                self.veto_code = step.veto_code
                self._finish(step.at_s)
                return
        if self.next_step == len(steps) and elapsed >= self.script.duration_s:
            self._finish(self.script.duration_s)

    def _finish(self, at_s: float) -> None:
        self.state, self.finished_at = r.StationState.FINISHED, at_s

    def _input_image(self) -> dict[int, int]:
        if self.started is None:
            elapsed = 0.0
        else:
            elapsed = self.finished_at if self.finished_at is not None else self.clock() - self.started
        status = [self.state, min(round(elapsed * 10), 0xFFFF), round(self.score * 10), int(bool(self.veto_code)),
                  self.veto_code, self.fault, *r.split32(self.newest_seq), *r.split32(self.acked_seq),
                  self.command_seq, self.command_result, self.boot_count, self.item, self.subject, self.question,
                  *self.token_registers]
        image = dict(enumerate(status))
        for index, (seq, step, outcome, offset) in enumerate(self.journal[:r.EVENT_WINDOW]):
            base = r.IR_EVENTS + index * r.EVENT_REGISTERS
            image.update(zip(range(base, base + 5), (*r.split32(seq), step, outcome, offset)))
        image[r.IR_PROTOCOL_VERSION] = r.PROTOCOL_VERSION
        image[r.IR_JOURNAL_CAPACITY] = self.capacity
        return image
