"""The station register map (docs/protocols/practical-station.md is the authority; this mirrors it).

Shared by the driver and the emulator as the written contract; their Modbus stacks are independent.
All values are unsigned 16-bit registers; 32-bit values are two registers, high word first.
"""
from __future__ import annotations

from enum import IntEnum

PROTOCOL_VERSION = 1
MAX_STATIONS = 16

# Holding registers (read 03, write 06 / 16)
HR_COMMAND_SEQ = 0  # written together with the command in one function-16 write
HR_COMMAND = 1
HR_TOKEN = 2  # attempt token: 16 ASCII bytes in 8 registers, NUL-padded
TOKEN_REGISTERS = 8
HR_ITEM = 10  # operation item code
HR_SUBJECT = 11  # 1..4 = K1..K4
HR_QUESTION = 12
COMMAND_BLOCK = 13  # registers 0..12
HR_EVENT_ACK = 20  # 32-bit: last event sequence number the master has taken

# Input registers (read 04)
IR_STATE = 0
IR_ELAPSED = 1  # tenths of a second since start
IR_SCORE = 2  # tenths of a point, 0..1000
IR_VETO = 3  # 1 when a veto item (否决项) was triggered
IR_VETO_CODE = 4
IR_FAULT = 5
IR_NEWEST_SEQ = 6  # 32-bit
IR_ACKED_SEQ = 8  # 32-bit, echo of HR_EVENT_ACK
IR_COMMAND_SEQ = 10  # sequence number of the last executed command
IR_COMMAND_RESULT = 11
IR_BOOT_COUNT = 12
IR_ITEM = 13
IR_SUBJECT = 14
IR_QUESTION = 15
STATUS_BLOCK = 16  # registers 0..15: one read per poll
IR_TOKEN = 16  # loaded attempt token, 8 registers
IR_EVENTS = 100  # event window: the events after the acknowledged one, oldest first
EVENT_REGISTERS = 5  # seq (2), step code, outcome, time offset (tenths of a second)
EVENT_WINDOW = 8
IR_PROTOCOL_VERSION = 200
IR_JOURNAL_CAPACITY = 201


class StationState(IntEnum):
    IDLE = 0
    LOADED = 1
    RUNNING = 2
    FINISHED = 3
    FAULT = 4


class CommandCode(IntEnum):
    LOAD = 1
    START = 2
    ABORT = 3
    RESET = 4


class CommandResult(IntEnum):
    OK = 0
    WRONG_STATE = 1
    BAD_ARGUMENT = 2
    UNKNOWN_COMMAND = 3


class Outcome(IntEnum):
    OK = 0
    ERROR = 1
    VETO = 2


class FaultCode(IntEnum):
    NONE = 0
    POWER_LOSS = 1  # the station restarted during an exam
    SENSOR = 2
    JOURNAL_FULL = 3  # the master stopped acknowledging events
    EMERGENCY_STOP = 4


def split32(value: int) -> list[int]:
    return [value >> 16 & 0xFFFF, value & 0xFFFF]


def join32(high: int, low: int) -> int:
    return high << 16 | low


def token_registers(token: str) -> list[int]:
    raw = token.encode("ascii")
    if len(raw) > 2 * TOKEN_REGISTERS:
        raise ValueError(f"attempt token {token!r} is longer than {2 * TOKEN_REGISTERS} characters")
    raw = raw.ljust(2 * TOKEN_REGISTERS, b"\0")
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


def token_from_registers(values: list[int]) -> str:
    return b"".join(value.to_bytes(2, "big") for value in values).rstrip(b"\0").decode("ascii", "replace")
