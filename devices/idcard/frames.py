"""GA/T 467 frame codec (rules.md §8.2–8.4).

Host → SAM: ``AA AA AA 96 69 | Len(2, big-endian) | CMD | PARA | DATA | CHK``
SAM → host: ``AA AA AA 96 69 | Len(2, big-endian) | SW1 | SW2 | SW3 | DATA | CHK``
Len counts the bytes after it including CHK; CHK is the XOR of Len … last data byte.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..transport.checksums import xor_checksum
from ..transport.framing import BAD, NEED_MORE, FrameDecoder

PREAMBLE = bytes.fromhex("AAAAAA9669")


class Command(bytes, Enum):
    """(CMD, PARA) pairs."""
    RESET = b"\x10\xff"  # 复位SAM
    STATUS = b"\x11\xff"  # SAM 状态检测
    SAM_ID = b"\x12\xff"  # 读SAM管理信息
    FIND_CARD = b"\x20\x01"  # 寻找证/卡
    SELECT_CARD = b"\x20\x02"  # 选取证/卡
    READ_BASE = b"\x30\x01"  # 读机读文字信息和相片信息
    READ_NEWEST_ADDRESS = b"\x30\x03"  # 追加住址
    READ_WITH_FINGERPRINT = b"\x30\x10"


# SW3 → meaning (rules.md §8.4); SW1 = SW2 = 00 on success.
STATUS_MEANINGS = {
    0x90: "success (操作成功)",
    0x91: "no content for this item (证/卡中此项无内容)",
    0x9F: "card found (寻找证/卡成功)",
    0x10: "the SAM received a frame with a bad checksum (校验和错)",
    0x11: "the SAM received a frame with a bad length (长度错)",
    0x21: "command, value or sequence error (命令错误)",
    0x23: "unauthorised operation (越权操作)",
    0x24: "unknown error (无法识别的错误)",
    0x31: "the card failed to authenticate the SAM (证/卡认证SAM失败)",
    0x32: "the SAM failed to authenticate the card (SAM认证证/卡失败)",
    0x33: "information verification error (信息验证错误)",
    0x40: "unknown card type (无法识别的证/卡类型)",
    0x41: "reading the card failed; lift the card and present it again (读证/卡操作失败)",
    0x47: "random-number failure (取随机数失败)",
    0x60: "SAM self-test failed, it accepts no commands (SAM自检失败)",
    0x66: "SAM not authorised (SAM未经授权)",
    0x80: "no card found (寻找证/卡失败)",
    0x81: "selecting the card failed (选取证/卡失败)",
}
SUCCESS = 0x90
CARD_FOUND = 0x9F
NO_CONTENT = 0x91


def _frame(body: bytes) -> bytes:
    """Preamble, length and checksum around ``body`` (CMD..DATA or SW1..DATA)."""
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor_checksum(length + body)])


def encode_request(command: Command, data: bytes = b"") -> bytes:
    return _frame(command.value + data)


def encode_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return _frame(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @property
    def meaning(self) -> str:
        return STATUS_MEANINGS.get(self.sw3, f"undocumented status SW3=0x{self.sw3:02X}")


@dataclass(frozen=True)
class Request:
    command: bytes  # CMD PARA
    data: bytes


class _GaT467Decoder(FrameDecoder):
    header_size: int  # bytes after Len that the frame must at least hold before CHK

    def _parse(self, buffer: bytes):
        if not PREAMBLE.startswith(buffer[:5]):
            return BAD
        if len(buffer) < 7:
            return NEED_MORE
        length = int.from_bytes(buffer[5:7], "big")
        if length < self.header_size + 1 or length > self.max_frame:
            return BAD
        total = 7 + length
        if len(buffer) < total:
            return NEED_MORE
        if xor_checksum(buffer[5:total - 1]) != buffer[total - 1]:
            return BAD
        return total, self._build(buffer[7:total - 1])


class ResponseDecoder(_GaT467Decoder):
    header_size = 3

    def _build(self, body: bytes) -> Response:
        return Response(body[0], body[1], body[2], body[3:])


class RequestDecoder(_GaT467Decoder):
    """Used by the reader emulator."""
    header_size = 2

    def _build(self, body: bytes) -> Request:
        return Request(body[:2], body[2:])
