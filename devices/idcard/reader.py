"""ID-card reader driver: find → select → read over a SerialLine (rules.md §8.6).

A successful read consumes the presentation: the SAM reports "no card" until the card is lifted and
presented again (anti-replay), so ``read_card`` returning None right after a read is normal.
Some vendors wrap these frames in their own protocol; such a reader gets its own class with the same
``read_card`` method.
"""
from __future__ import annotations

import logging

from ..transport.errors import DeviceError, LineTimeout
from ..transport.framing import exchange, wire_seconds
from ..transport.line import SerialLine
from .card import IdentityCard, decode_base_info
from .frames import CARD_FOUND, SUCCESS, Command, Response, ResponseDecoder, encode_request

logger = logging.getLogger(__name__)
LINE_DEFAULTS = {"baudrate": 115200}  # rules.md §8.1, 8N1
READ_REPLY_BYTES = 1295
SAM_PROCESSING = 0.5  # seconds the SAM may take to authenticate the card before it answers


class ReaderStatusError(DeviceError):
    """The SAM answered with a status other than the one the step expects."""

    def __init__(self, line: str, command: Command, response: Response):
        self.command, self.sw3 = command, response.sw3
        super().__init__(f"ID-card reader on {line}: {command.name} failed with "
                         f"SW={response.sw1:02X} {response.sw2:02X} {response.sw3:02X}: {response.meaning}")


class IdCardReader:
    def __init__(self, line: SerialLine, retries: int = 2):
        self.line = line
        self.retries = retries
        self._decoder = ResponseDecoder(line.frames)

    def check_sam(self) -> None:
        """Raise unless the SAM module reports itself ready (状态检测)."""
        self._expect(Command.STATUS, SUCCESS)

    def read_card(self) -> IdentityCard | None:
        """The card on the reader, or None when no (new) card is presented."""
        found = self._command(Command.FIND_CARD)
        if found.sw3 == 0x80:
            return None
        self._check(Command.FIND_CARD, found, CARD_FOUND)
        self._expect(Command.SELECT_CARD, SUCCESS)
        return decode_base_info(self._expect(Command.READ_BASE, SUCCESS, READ_REPLY_BYTES).data)

    def _expect(self, command: Command, status: int, reply_bytes: int = 16) -> Response:
        response = self._command(command, reply_bytes)
        self._check(command, response, status)
        return response

    def _check(self, command: Command, response: Response, status: int) -> None:
        if (response.sw1, response.sw2, response.sw3) != (0, 0, status):
            raise ReaderStatusError(self.line.name, command, response)

    def _command(self, command: Command, reply_bytes: int = 16) -> Response:
        """Repeat on a lost or corrupted reply: find, select and status have no side effect, and a
        repeated read is refused by the SAM (0x41) rather than served twice."""
        request = encode_request(command)
        timeout = wire_seconds(self.line.settings.char_time, len(request) + reply_bytes, SAM_PROCESSING)
        attempts = 0
        while True:
            try:
                return self.line.call(
                    lambda port: exchange(port, request, self._decoder, lambda r: True, timeout, self.line.frames),
                    timeout + 2.0)
            except LineTimeout:
                attempts += 1
                if attempts > self.retries:
                    raise
                logger.warning("ID-card reader on %s: no valid reply to %s, repeating", self.line.name, command.name)
