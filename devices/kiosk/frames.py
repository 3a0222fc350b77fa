"""Kiosk controller framing: ``STX | LEN(2, BE) | SEQ | CMD | PAYLOAD | CRC-16/MODBUS (2, low byte first) | ETX``.

LEN counts SEQ..PAYLOAD; the CRC covers LEN..PAYLOAD. A response repeats SEQ, sets bit 7 of CMD and starts
its payload with a status byte.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..transport.checksums import crc16_modbus
from ..transport.framing import BAD, NEED_MORE, FrameDecoder

STX, ETX = 0x02, 0x03
RESPONSE_BIT = 0x80
MAX_BODY = 1024
OVERHEAD = 1 + 2 + 2 + 1  # STX, LEN, CRC, ETX


@dataclass(frozen=True)
class Frame:
    seq: int
    command: int
    payload: bytes


def encode_frame(seq: int, command: int, payload: bytes = b"") -> bytes:
    body = bytes([seq, command]) + payload
    if len(body) > MAX_BODY:
        raise ValueError(f"kiosk frame body of {len(body)} bytes exceeds {MAX_BODY}")
    covered = len(body).to_bytes(2, "big") + body
    return bytes([STX]) + covered + crc16_modbus(covered).to_bytes(2, "little") + bytes([ETX])


class KioskDecoder(FrameDecoder[Frame]):
    def _parse(self, buffer: bytes):
        if buffer[0] != STX:
            return BAD
        if len(buffer) < 3:
            return NEED_MORE
        length = int.from_bytes(buffer[1:3], "big")
        if not 2 <= length <= MAX_BODY:
            return BAD
        total = length + OVERHEAD
        if len(buffer) < total:
            return NEED_MORE
        covered = buffer[1:3 + length]
        if buffer[total - 1] != ETX or crc16_modbus(covered) != int.from_bytes(buffer[total - 3:total - 1], "little"):
            return BAD
        return total, Frame(buffer[3], buffer[4], buffer[5:3 + length])
