"""Modbus RTU master on a port our SerialLine owns. The only module that imports pymodbus (pinned in
setup.cfg: its API changes in most minor releases), so a version change touches this file alone."""
from __future__ import annotations

from typing import Any

from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ConnectionException, ModbusIOException

from ..transport.errors import DeviceError, LineLost, LineTimeout, ProtocolError
from ..transport.framelog import FrameLog

EXCEPTION_MEANINGS = {1: "illegal function", 2: "illegal data address", 3: "illegal data value",
                      4: "device failure", 6: "device busy"}


class ModbusException(DeviceError):
    """The station answered with a Modbus exception response."""

    def __init__(self, line: str, unit: int, function: int, code: int):
        self.unit, self.code = unit, code
        super().__init__(f"station {unit} on {line}: function {function:02d} refused with exception {code} "
                         f"({EXCEPTION_MEANINGS.get(code, 'undocumented')})")


class _PortClient(ModbusSerialClient):
    """pymodbus reads a reply only after the line stayed quiet for a poll interval (≥ 1 ms, on every reply).
    Here bytes go to its framer as they arrive and the framer decides when the frame is whole."""

    def recv(self, size: int | None) -> bytes:
        if size is not None:
            return super().recv(size)
        try:
            self.socket.timeout = self.comm_params.timeout_connect
            first = self.socket.read(1)
            return first + self.socket.read(self.socket.in_waiting) if first else first
        except OSError:
            self.close()
            raise ConnectionException(str(self)) from None


class ModbusMaster:
    def __init__(self, port: Any, baudrate: int, timeout: float, frames: FrameLog):
        self._frames = frames
        self._received = b""
        self._client = _PortClient(
            port.port or frames.line_name, baudrate=baudrate, timeout=timeout, retries=0,
            trace_packet=self._trace_packet, trace_pdu=self._trace_pdu)
        # The SerialLine opened the port with the configured settings (parity, RS-485); pymodbus only uses it.
        self._client.socket = port

    def read_input_registers(self, unit: int, address: int, count: int) -> list[int]:
        response = self._execute(unit, 4, lambda: self._client.read_input_registers(
            address, count=count, device_id=unit))
        return self._registers(unit, response, count)

    def read_holding_registers(self, unit: int, address: int, count: int) -> list[int]:
        response = self._execute(unit, 3, lambda: self._client.read_holding_registers(
            address, count=count, device_id=unit))
        return self._registers(unit, response, count)

    def write_registers(self, unit: int, address: int, values: list[int]) -> None:
        response = self._execute(unit, 16, lambda: self._client.write_registers(address, values, device_id=unit))
        if (response.address, response.count) != (address, len(values)):
            raise ProtocolError(f"station {unit} on {self._frames.line_name}: write echo "
                                f"{response.address}/{response.count} does not match {address}/{len(values)}")

    def _execute(self, unit: int, function: int, call):
        self._received = b""
        try:
            response = call()
        except ConnectionException as exc:
            raise LineLost(f"{self._frames.line_name}: {exc}") from None
        except ModbusIOException:
            self._frames.record("noise", self._received)
            raise LineTimeout(f"station {unit} on {self._frames.line_name}: no valid reply to function "
                              f"{function:02d}") from None
        if response.isError():
            raise ModbusException(self._frames.line_name, unit, function, response.exception_code)
        return response

    def _registers(self, unit: int, response, count: int) -> list[int]:
        # RTU has no transaction id: a late answer to an earlier read of another length must not pass.
        if len(response.registers) != count:
            raise ProtocolError(f"station {unit} on {self._frames.line_name}: {len(response.registers)} registers "
                                f"in reply, {count} requested")
        return list(response.registers)

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        if sending:
            self._frames.record("tx", data)
        else:
            self._received = data  # grows until a whole frame decodes; logged in _trace_pdu
        return data

    def _trace_pdu(self, sending: bool, pdu):
        if not sending:
            self._frames.record("rx", self._received)
            self._received = b""
        return pdu
