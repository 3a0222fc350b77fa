"""Serving an emulated device on a serial port, the way the real device sits on the other end of the cable."""
from __future__ import annotations

import abc
import logging
import threading
import time

from ..transport.line import PORT_LOST
from ..transport.settings import LineSettings, open_port

logger = logging.getLogger(__name__)


class EmulatedDevice(abc.ABC):
    """Device logic: bytes in, reply bytes out. ``lock`` serialises the serving thread and test scripting."""

    def __init__(self):
        self.lock = threading.RLock()

    @abc.abstractmethod
    def receive(self, data: bytes) -> bytes:
        """The reply bytes to what arrived on the line (empty while a frame is incomplete)."""

    def idle(self) -> bytes:
        """Called when the line has been quiet for a moment (Modbus RTU frames end with silence)."""
        return b""


class ManualClock:
    """A clock the test advances; emulators read time only from their clock."""

    def __init__(self, start: float = 0.0):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class EmulatorPort:
    """Serves ``device`` on ``url`` in a thread. ``reply_delay`` makes a slow device, ``muted`` a dead one."""

    QUIET = 0.02  # seconds without a byte before idle() is called

    def __init__(self, device: EmulatedDevice, url: str, settings: LineSettings | None = None):
        self.device = device
        self.settings = (settings or LineSettings(url)).with_url(url)
        self.reply_delay = 0.0
        self.muted = False
        self._stop = threading.Event()
        self._port = open_port(self.settings, timeout=self.QUIET)
        self._thread = threading.Thread(target=self._serve, name=f"emulator {type(device).__name__} {url}",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._port.close()

    def __enter__(self) -> "EmulatorPort":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._port.read(max(1, self._port.in_waiting))
                with self.device.lock:
                    reply = self.device.receive(data) if data else self.device.idle()
                if reply and not self.muted:
                    if self.reply_delay:
                        time.sleep(self.reply_delay)  # the slow device itself, not a synchronisation
                    self._port.write(reply)
            except PORT_LOST as exc:
                logger.warning("emulator on %s: %s", self.settings.url, exc)
                self._stop.wait(0.5)
