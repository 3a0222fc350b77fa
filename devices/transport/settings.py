"""Line settings from configuration, and opening a port from them.

A configuration value is the port URL followed by optional ``key=value`` words, for example
``/dev/serial/by-id/usb-FTDI_FT232R-if00-port0 baudrate=9600 parity=E rs485=on`` in production or
``/tmp/hall/idreader`` (a pseudo-terminal, 8N1) in tests. Any URL ``serial.serial_for_url`` accepts works
(``socket://host:port``, ``rfc2217://…``), so the driver code is the same for hardware and emulators.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import serial
import serial.rs485

from .errors import LineUnavailable

_PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}
_TRUE = {"1", "on", "yes", "true"}
_FALSE = {"0", "off", "no", "false"}


@dataclass(frozen=True)
class LineSettings:
    url: str
    baudrate: int = 115200
    bytesize: int = 8
    parity: str = "N"
    stopbits: int = 1
    rs485: bool = False  # kernel RS-485 mode (driver-enable by RTS); ptys refuse it
    exclusive: bool = True  # lock the port so a second agent cannot steal the line

    def __post_init__(self):
        if self.parity not in _PARITIES:
            raise ValueError(f"parity must be one of N, E, O, not {self.parity!r}")
        if self.bytesize not in (7, 8) or self.stopbits not in (1, 2) or self.baudrate <= 0:
            raise ValueError(f"unsupported line settings {self.bytesize}{self.parity}{self.stopbits} @ {self.baudrate}")

    @classmethod
    def parse(cls, value: str, **defaults) -> "LineSettings":
        """``URL [key=value …]``; ``defaults`` are the device's usual settings (e.g. baudrate=115200)."""
        url, *words = value.split()
        options = dict(defaults)
        known = {f.name for f in fields(cls)}
        for word in words:
            key, sep, raw = word.partition("=")
            if not sep or key not in known or key == "url":
                raise ValueError(f"unknown line option {word!r} in {value!r}")
            options[key] = _convert(key, raw, value)
        return cls(url=url, **options)

    @property
    def char_time(self) -> float:
        """Seconds one character takes on the wire (start + data + parity + stop bits)."""
        return (1 + self.bytesize + (self.parity != "N") + self.stopbits) / self.baudrate

    def with_url(self, url: str) -> "LineSettings":
        return replace(self, url=url)

    def __str__(self) -> str:
        mode = " RS-485" if self.rs485 else ""
        return f"{self.url} {self.baudrate} {self.bytesize}{self.parity}{self.stopbits}{mode}"


def _convert(key: str, raw: str, whole: str):
    if key in ("rs485", "exclusive"):
        if raw.lower() not in _TRUE | _FALSE:
            raise ValueError(f"{key} must be on or off in {whole!r}")
        return raw.lower() in _TRUE
    if key == "parity":
        return raw.upper()
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{key} must be a number in {whole!r}") from None


def open_port(settings: LineSettings, timeout: float = 0.05) -> serial.SerialBase:
    """Open the port; every failure (missing device, busy, setting refused) becomes LineUnavailable."""
    try:
        port = serial.serial_for_url(
            settings.url, do_not_open=True, baudrate=settings.baudrate, bytesize=settings.bytesize,
            parity=_PARITIES[settings.parity], stopbits=settings.stopbits, timeout=timeout,
            write_timeout=2.0, exclusive=settings.exclusive)
        if settings.rs485:
            port.rs485_mode = serial.rs485.RS485Settings()
        port.open()
    except (serial.SerialException, OSError, ValueError) as exc:
        raise LineUnavailable(f"cannot open {settings}: {exc}") from exc
    return port
