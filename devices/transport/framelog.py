"""Every frame on a line, logged as hex at debug level, with a ring of the last ones for fault reports."""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

logger = logging.getLogger("devices.frames")


@dataclass(frozen=True)
class LoggedFrame:
    at: float  # time.time()
    direction: str  # "tx", "rx" or "noise" (bytes dropped while resynchronising)
    data: bytes

    def __str__(self) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.at)) + f".{int(self.at * 1000) % 1000:03d}"
        return f"{stamp} {self.direction:5} {self.data.hex(' ')}"


class FrameLog:
    """Thread-safe: the owner thread writes, a fault report may read from anywhere."""

    def __init__(self, line_name: str, capacity: int = 64):
        self.line_name = line_name
        self._frames: deque[LoggedFrame] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self.totals = {"tx": 0, "rx": 0, "noise": 0}  # bytes and frames per direction, for statistics
        self.frame_counts = {"tx": 0, "rx": 0, "noise": 0}

    def record(self, direction: str, data: bytes) -> None:
        if not data:
            return
        frame = LoggedFrame(time.time(), direction, bytes(data))
        with self._lock:
            self._frames.append(frame)
            self.totals[direction] += len(frame.data)
            self.frame_counts[direction] += 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s %s", self.line_name, direction, frame.data.hex(" "))

    def last(self, count: int | None = None) -> list[LoggedFrame]:
        with self._lock:
            frames = list(self._frames)
        return frames if count is None else frames[-count:]

    def report(self, count: int | None = None) -> str:
        """The last frames as text, one per line, for a fault report."""
        return "\n".join(f"{self.line_name} {frame}" for frame in self.last(count))
