"""Checksums used by the framed protocols."""
from __future__ import annotations


def xor_checksum(data: bytes) -> int:
    """XOR of every byte (GA/T 467 CHK)."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def _crc16_modbus_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc16_modbus_table()


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0x8005 reflected, init 0xFFFF); check value for b"123456789" is 0x4B37.
    On the wire it is sent low byte first."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc
