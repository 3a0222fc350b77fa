"""The demo hall: one ID-card reader with the demo persons' cards taking turns, one kiosk controller and
one practical bus with a few stations, each on a paced linked pty pair whose driver side is a stable
symlink in one folder (like /dev/serial/by-id)."""
from __future__ import annotations

import contextlib
from pathlib import Path

from ..pty import LinkedPtys
from ..transport.settings import LineSettings
from .base import EmulatedDevice, EmulatorPort
from .demo_people import demo_cards
from .idcard_reader import IdCardReaderEmulator
from .kiosk_controller import KioskControllerEmulator
from .practical_bus import demo_stations, practical_bus


class DemoHall(contextlib.ExitStack):
    """``ports`` maps a device name to the path its driver opens."""

    def __init__(self, folder: Path, stations: int = 4, baudrate: int = 115200):
        super().__init__()
        self.folder = Path(folder)
        self.ports: dict[str, str] = {}
        self.idcard_reader = IdCardReaderEmulator(demo_cards(), rotate_after=5.0)
        self.kiosk_controller = KioskControllerEmulator()
        self.stations = demo_stations(stations)
        self.baudrate = baudrate
        try:
            self._plug("idcard-reader", self.idcard_reader)
            self._plug("kiosk-controller", self.kiosk_controller)
            self._plug("practical-bus", practical_bus(self.stations))
        except BaseException:
            self.close()
            raise

    def _plug(self, name: str, device: EmulatedDevice) -> None:
        cable = self.enter_context(LinkedPtys(self.baudrate, link_a=self.folder / name))
        self.enter_context(EmulatorPort(device, cable.b_path, LineSettings(cable.b_path, baudrate=self.baudrate)))
        self.ports[name] = cable.a_path
