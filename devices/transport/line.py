"""One owner thread per serial line.

Only the owner thread touches the port: RS-485 is half duplex with one master, pymodbus clients are not
thread-safe, and closing a port while another thread reads raises there. Callers submit a job (a function
of the open port) and wait on its future. When the line is lost the owner closes it, backs off (0.5 s → 5 s)
and reopens it; jobs submitted meanwhile wait for the reconnect until their own deadline.
"""
from __future__ import annotations

import logging
import queue
import termios
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import serial

from .errors import LineLost, LineTimeout, LineUnavailable
from .framelog import FrameLog
from .settings import LineSettings, open_port

logger = logging.getLogger(__name__)
T = TypeVar("T")
# What an unplugged or hung-up port raises; pyserial lets termios.error (not an OSError) through on flushes.
PORT_LOST = (serial.SerialException, OSError, termios.error, LineUnavailable)


@dataclass
class _Job:
    deadline: float  # until when the job may wait for the line
    run: Callable[[Any], Any]
    future: Future


class SerialLine:
    """``on_connect(port)`` runs in the owner thread after every (re)open, e.g. to flush or re-initialise."""

    ABANDONED_AFTER = 1.0  # seconds past its deadline after which a caller stops waiting for a job

    def __init__(self, settings: LineSettings, name: str | None = None,
                 on_connect: Callable[[Any], None] | None = None,
                 backoff: tuple[float, float] = (0.5, 5.0), frame_log: FrameLog | None = None):
        self.settings = settings
        self.name = name or settings.url
        self.frames = frame_log or FrameLog(self.name)
        self._on_connect = on_connect
        self._backoff_min, self._backoff_max = backoff
        self._delay = self._backoff_min
        self._next_attempt = 0.0
        self._last_error = "not opened yet"
        self._port = None
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._waiting: list[_Job] = []  # jobs held while the line is down
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"line {self.name}", daemon=True)
        self._thread.start()

    # -- caller side -------------------------------------------------------------------------------------
    def call(self, run: Callable[[Any], T], timeout: float) -> T:
        """Run ``run(port)`` in the owner thread; wait at most ``timeout`` for the line and the job."""
        if not self._thread.is_alive():
            raise LineUnavailable(f"line {self.name} is closed")
        job = _Job(time.monotonic() + timeout, run, Future())
        self._jobs.put(job)
        try:
            # The job bounds its own reads; the margin only covers a job that started just before its deadline.
            return job.future.result(timeout + self.ABANDONED_AFTER)
        except FutureTimeout:
            raise LineTimeout(f"line {self.name}: no result within {timeout:.2f} s") from None

    def close(self) -> None:
        """Stop the owner thread first, then the port is closed by it (never under a running read)."""
        self._jobs.put(None)
        self._thread.join(timeout=5.0)

    # -- owner thread ------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._ensure_open()
            self._expire_waiting()
            if self._port is not None and self._waiting:
                job = self._waiting.pop(0)
            else:
                try:
                    job = self._jobs.get(timeout=self._idle_wait())
                except queue.Empty:
                    continue
                if job is None:
                    break
                if self._port is None:
                    self._waiting.append(job)
                    continue
            self._execute(job)
        self._drop_port("line closed")
        for job in self._waiting:
            job.future.set_exception(LineUnavailable(f"line {self.name} closed"))

    def _idle_wait(self) -> float:
        if self._port is not None:
            return 1.0
        nearest = min([self._next_attempt] + [job.deadline for job in self._waiting])
        return max(0.01, nearest - time.monotonic())

    def _ensure_open(self) -> None:
        if self._port is not None or time.monotonic() < self._next_attempt:
            return
        try:
            port = open_port(self.settings)
        except PORT_LOST as exc:
            self._retry_later(str(exc))
            return
        try:
            if self._on_connect:
                self._on_connect(port)
        except Exception as exc:  # a device that fails to initialise is a failed connect
            port.close()
            self._retry_later(f"initialising the device failed: {exc!r}")
            return
        self._port = port
        self._delay = self._backoff_min
        self.connected.set()
        logger.info("line %s: open (%s)", self.name, self.settings)

    def _retry_later(self, reason: str) -> None:
        self._last_error = reason
        self._next_attempt = time.monotonic() + self._delay
        logger.warning("line %s: %s; next attempt in %.1f s", self.name, reason, self._delay)
        self._delay = min(self._delay * 2, self._backoff_max)

    def _expire_waiting(self) -> None:
        now = time.monotonic()
        for job in [job for job in self._waiting if job.deadline <= now]:
            self._waiting.remove(job)
            job.future.set_exception(LineUnavailable(f"line {self.name} unavailable: {self._last_error}"))

    def _execute(self, job: _Job) -> None:
        if time.monotonic() > job.deadline + self.ABANDONED_AFTER:
            return  # its caller has given up: do not act on the device behind its back
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            job.future.set_result(job.run(self._port))
        except PORT_LOST as exc:
            # Unplugged or hung up: drop the port, reconnect after the back-off, and say so to the caller.
            self._drop_port(str(exc))
            self._next_attempt = time.monotonic() + self._delay
            job.future.set_exception(LineLost(f"line {self.name} lost: {exc}"))
        except BaseException as exc:  # the caller sees the job's own error
            job.future.set_exception(exc)

    def _drop_port(self, reason: str) -> None:
        self.connected.clear()
        if self._port is None:
            return
        self._last_error = reason
        logger.log(logging.INFO if reason == "line closed" else logging.WARNING, "line %s: closed (%s)",
                   self.name, reason)
        try:
            self._port.close()
        except PORT_LOST:
            pass  # it is gone either way
        self._port = None
