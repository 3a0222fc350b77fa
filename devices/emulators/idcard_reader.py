"""Emulated ID-card reader (SAM module speaking GA/T 467): cards are presented and removed by script.

Run: ``python -m devices.emulators.idcard_reader --port PATH`` (or without --port to get a linked pty);
then type ``present N`` / ``remove`` on stdin.
"""
from __future__ import annotations

import hashlib
import itertools
import time
from typing import Callable, Iterable

from ..idcard.card import IdentityCard, encode_base_info
from ..idcard.frames import CARD_FOUND, SUCCESS, Command, RequestDecoder, encode_response
from .base import EmulatedDevice

PHOTO_SIZE = 1024


def opaque_photo(seed: str) -> bytes:
    """A stand-in for the WLT photo: deterministic bytes, as opaque to us as the real thing."""
    blob = b""
    while len(blob) < PHOTO_SIZE:
        blob += hashlib.sha256((seed + str(len(blob))).encode()).digest()
    return blob[:PHOTO_SIZE]


class IdCardReaderEmulator(EmulatedDevice):
    """``rotation``: for demos, cards that take turns on their own: once a card was read, the next one is
    presented ``rotate_after`` seconds later (on ``clock``)."""

    def __init__(self, rotation: Iterable[IdentityCard] = (), rotate_after: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__()
        cards = list(rotation)
        self._rotation = itertools.cycle(cards) if cards else None
        self._rotate_after, self._clock = rotate_after, clock
        self._read_at = float("-inf")
        self._decoder = RequestDecoder()
        self.card: IdentityCard | None = None
        self._found = self._selected = self._consumed = False
        self.remove_during_read = False  # the card is snatched away between select and read
        self.sam_status = SUCCESS  # e.g. 0x60 for a SAM that failed its self-test
        self.reads_served = 0

    def present(self, card: IdentityCard) -> None:
        with self.lock:
            self.card = card
            self._found = self._selected = self._consumed = False

    def remove(self) -> None:
        with self.lock:
            self.card = None
            self._found = self._selected = False

    def receive(self, data: bytes) -> bytes:
        return b"".join(self._answer(request.command) for request in self._decoder.feed(data))

    def _answer(self, command: bytes) -> bytes:
        if self.sam_status != SUCCESS:
            return encode_response(self.sam_status)
        if command in (Command.STATUS.value, Command.RESET.value):
            return encode_response(SUCCESS)
        if command == Command.SAM_ID.value:
            return encode_response(SUCCESS, bytes(16))
        if command == Command.FIND_CARD.value:
            self._rotate()
            self._found = self.card is not None and not self._consumed
            return encode_response(CARD_FOUND, bytes(4)) if self._found else encode_response(0x80)
        if command == Command.SELECT_CARD.value:
            self._selected = self._found
            return encode_response(SUCCESS, bytes(8)) if self._selected else encode_response(0x81)
        if command == Command.READ_BASE.value:
            return self._read()
        return encode_response(0x21)

    def _rotate(self) -> None:
        if self._rotation and (self.card is None or self._consumed) and \
                self._clock() - self._read_at >= self._rotate_after:
            self.present(next(self._rotation))

    def _read(self) -> bytes:
        if self.remove_during_read:
            self.remove_during_read = False
            self.remove()
        if not (self.card and self._selected):
            return encode_response(0x41)
        # The presentation is used up: the next find fails until the card is lifted and presented again.
        self._consumed, self._found, self._selected = True, False, False
        self._read_at = self._clock()
        self.reads_served += 1
        return encode_response(SUCCESS, encode_base_info(self.card))


def main() -> None:
    from .demo_people import demo_cards
    from .runner import arguments, run

    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--rotate", type=float, metavar="SECONDS",
                        help="present the demo cards in turn, the next one SECONDS after a read")
    options = parser.parse_args()
    cards = demo_cards()
    emulator = IdCardReaderEmulator(cards if options.rotate is not None else (), options.rotate or 0.0)

    def present(number):
        emulator.present(cards[int(number) - 1])
        return f"presented {cards[int(number) - 1].name}"

    run(emulator, options, "ID-card reader", {
        "cards": lambda: "\n".join(f"{i}: {card.name} {card.masked_id_number}" for i, card in enumerate(cards, 1)),
        "present": present,
        "remove": emulator.remove,
        "sam": lambda status: setattr(emulator, "sam_status", int(status, 16)),
    })


if __name__ == "__main__":
    main()
