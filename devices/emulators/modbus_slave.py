"""A small Modbus RTU slave of our own (functions 03, 04, 06, 16 and exception responses), written
independently of pymodbus so the driver and the emulator check each other.

Frames are found by length (known from the function code) and CRC; anything that fails is dropped one
byte at a time, and an incomplete frame is dropped after a quiet line, as the RTU t3.5 silence would.
Requests for unit ids it does not have get no answer, like a real RS-485 device; neither does a frame
with a bad CRC.
"""
from __future__ import annotations

import struct
from typing import Protocol

from ..transport.checksums import crc16_modbus
from .base import EmulatedDevice

ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, ILLEGAL_VALUE, DEVICE_FAILURE = 1, 2, 3, 4
MAX_READ, MAX_WRITE = 125, 123


class ModbusError(Exception):
    def __init__(self, code: int):
        self.code = code


class RegisterDevice(Protocol):
    """One unit on the bus. Methods raise ModbusError for bad addresses or values."""

    def read_holding(self, address: int, count: int) -> list[int]: ...

    def read_input(self, address: int, count: int) -> list[int]: ...

    def write_holding(self, address: int, values: list[int]) -> None: ...

    @property
    def online(self) -> bool: ...


def _request_length(buffer: bytes) -> int | None:
    """Whole-frame length for the request in ``buffer``, None while unknown; 0 if the function is unknown."""
    if len(buffer) < 2:
        return None
    function = buffer[1]
    if function in (1, 2, 3, 4, 5, 6):
        return 8
    if function in (15, 16):
        return 9 + buffer[6] if len(buffer) >= 7 else None
    return 0


def with_crc(frame: bytes) -> bytes:
    return frame + crc16_modbus(frame).to_bytes(2, "little")


class ModbusRtuSlave(EmulatedDevice):
    def __init__(self, units: dict[int, RegisterDevice]):
        super().__init__()
        self.units = units
        self._buffer = bytearray()
        self.bad_frames = 0  # CRC failures seen, for tests

    def receive(self, data: bytes) -> bytes:
        self._buffer += data
        return self._drain(quiet=False)

    def idle(self) -> bytes:
        return self._drain(quiet=True)

    def _drain(self, quiet: bool) -> bytes:
        replies = b""
        while self._buffer:
            frame = self._next_frame(quiet)
            if frame is None:
                break
            if frame:
                replies += self._answer(frame)
        return replies

    def _next_frame(self, quiet: bool) -> bytes | None:
        """A CRC-valid frame, b"" after dropping a byte, or None to wait for more bytes."""
        length = _request_length(self._buffer)
        if length == 0:  # an unknown function: take the shortest CRC-valid prefix, if any
            length = next((n for n in range(4, len(self._buffer) + 1)
                           if crc16_modbus(self._buffer[:n - 2]) == int.from_bytes(self._buffer[n - 2:n], "little")),
                          None)
        if length is None or length > len(self._buffer):
            if quiet:  # the line went silent mid-frame: what we have is a fragment
                del self._buffer[0]
                return b""
            return None
        frame = bytes(self._buffer[:length])
        if crc16_modbus(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
            self.bad_frames += 1
            del self._buffer[0]
            return b""
        del self._buffer[:length]
        return frame

    def _answer(self, frame: bytes) -> bytes:
        unit, function, body = frame[0], frame[1], frame[2:-2]
        device = self.units.get(unit)
        if device is None or not device.online:
            return b""
        try:
            return with_crc(bytes([unit, function]) + self._execute(device, function, body))
        except ModbusError as error:
            return with_crc(bytes([unit, function | 0x80, error.code]))

    @staticmethod
    def _execute(device: RegisterDevice, function: int, body: bytes) -> bytes:
        if function in (3, 4):
            address, count = struct.unpack(">HH", body[:4])
            if not 1 <= count <= MAX_READ:
                raise ModbusError(ILLEGAL_VALUE)
            values = (device.read_holding if function == 3 else device.read_input)(address, count)
            return bytes([2 * count]) + struct.pack(f">{count}H", *values)
        if function == 6:
            address, value = struct.unpack(">HH", body[:4])
            device.write_holding(address, [value])
            return body[:4]
        if function == 16:
            address, count, byte_count = struct.unpack(">HHB", body[:5])
            if not 1 <= count <= MAX_WRITE or byte_count != 2 * count or len(body) != 5 + byte_count:
                raise ModbusError(ILLEGAL_VALUE)
            device.write_holding(address, list(struct.unpack(f">{count}H", body[5:])))
            return body[:4]
        raise ModbusError(ILLEGAL_FUNCTION)
