"""A cable (linked ptys paced at 115200 baud, with a fault-injecting bridge), an emulator on its device
side and a driver on its host side; everything is closed after the test."""
from __future__ import annotations

import contextlib

import pytest

from devices.emulators.base import EmulatorPort, ManualClock
from devices.pty import LinkedPtys
from devices.transport.line import SerialLine
from devices.transport.settings import LineSettings


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def hall(tmp_path):
    """``hall.connect(device)`` → (cable, emulator port, host settings); the host path is a stable symlink
    so unplug/replug behaves like /dev/serial/by-id."""
    with contextlib.ExitStack() as stack:
        class Hall:
            def connect(self, device, baudrate=115200):
                cable = stack.enter_context(LinkedPtys(baudrate, link_a=tmp_path / f"host{id(device)}"))
                server = stack.enter_context(EmulatorPort(device, cable.b_path))
                return cable, server, LineSettings(cable.a_path)

            def line(self, settings, **options):
                line = SerialLine(settings, backoff=(0.05, 0.2), **options)
                stack.callback(line.close)
                return line

            def close_later(self, closeable):
                stack.callback(closeable.close)
                return closeable

        yield Hall()
