"""Incremental frame decoding with resynchronisation, and the request/response exchange on an open port.

A decoder never delivers a frame whose checksum fails: on any doubt it drops one byte and tries again
from the next, so noise between frames, a flipped bit or a lost byte costs at most that frame.
"""
from __future__ import annotations

import abc
import time
from typing import Any, Callable, Generic, TypeVar

from .errors import LineTimeout
from .framelog import FrameLog

F = TypeVar("F")
NEED_MORE = (0, None)
BAD = (-1, None)
QUIET = 0.03  # seconds without a byte after which a stalled buffer is worth salvaging


class FrameDecoder(abc.ABC, Generic[F]):
    """Subclasses implement ``_parse(buffer) -> (length, frame)``: NEED_MORE, BAD, or a whole frame."""

    max_frame = 4096

    def __init__(self, frames: FrameLog | None = None):
        self._frames = frames
        self._buffer = bytearray()
        self._noise = bytearray()
        self.dropped = 0  # bytes discarded while resynchronising, for tests and fault reports

    def reset(self) -> None:
        self._flush_noise()
        self._buffer.clear()

    def feed(self, data: bytes) -> list[F]:
        self._buffer += data
        found = []
        while self._buffer:
            length, frame = self._parse(bytes(self._buffer[: self.max_frame]))
            if length == 0:
                break
            if length < 0:
                self._noise.append(self._buffer.pop(0))
                self.dropped += 1
                continue
            self._flush_noise()
            if self._frames:
                self._frames.record("rx", bytes(self._buffer[:length]))
            del self._buffer[:length]
            found.append(frame)
        return found

    def salvage(self) -> list[F]:
        """Called when the line has gone quiet with bytes pending: if a corrupted header announced more bytes
        than will ever come, a whole valid frame may sit behind it. Drop the header only then, so a real frame
        that is merely slow to arrive is left alone."""
        for start in range(1, len(self._buffer)):
            length, _ = self._parse(bytes(self._buffer[start:start + self.max_frame]))
            if length > 0:
                self._noise += self._buffer[:start]
                self.dropped += start
                del self._buffer[:start]
                return self.feed(b"")
        return []

    def _flush_noise(self) -> None:
        if self._noise and self._frames:
            self._frames.record("noise", bytes(self._noise))
        self._noise.clear()

    @abc.abstractmethod
    def _parse(self, buffer: bytes) -> tuple[int, F | None]:
        """(length, frame) of the frame at the start of ``buffer``, or NEED_MORE, or BAD."""


def exchange(port: Any, request: bytes, decoder: FrameDecoder[F], accept: Callable[[F], bool],
             timeout: float, frames: FrameLog) -> F:
    """Send ``request`` and return the first decoded frame ``accept`` takes; frames it refuses (late answers
    to an earlier request) are skipped. Raises LineTimeout when nothing acceptable arrives in time."""
    port.reset_input_buffer()  # stale bytes from a previous, timed-out exchange
    decoder.reset()
    frames.record("tx", request)
    port.write(request)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            decoder.reset()
            raise LineTimeout(f"{frames.line_name}: no valid reply within {timeout:.2f} s "
                              f"to {request[:16].hex(' ')}{'…' if len(request) > 16 else ''}")
        port.timeout = min(remaining, QUIET)
        data = port.read(max(1, port.in_waiting))
        for frame in decoder.feed(data) if data else decoder.salvage():
            if accept(frame):
                return frame


def wire_seconds(char_time: float, byte_count: int, processing: float) -> float:
    """Timeout for an exchange: bytes on the wire × 1.5, plus the device's processing time."""
    return byte_count * char_time * 1.5 + processing
