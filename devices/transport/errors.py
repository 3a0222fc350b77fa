"""Errors raised by the device layer. Every message names the line or device so a log line stands alone."""
from __future__ import annotations


class DeviceError(Exception):
    """Base class of every hardware error the centre may show to an operator."""


class LineUnavailable(DeviceError):
    """The serial line cannot be opened (unplugged, wrong path, busy) or was lost during a command."""


class LineLost(LineUnavailable):
    """The port failed during a command (hang-up, unplug); the line reconnects, so a retry may succeed."""


class LineTimeout(DeviceError):
    """The device did not answer in time (muted, slow, cable cut, or every reply was corrupted)."""


class ProtocolError(DeviceError):
    """The device answered, but the answer makes no sense for the request (wrong command, bad payload)."""
