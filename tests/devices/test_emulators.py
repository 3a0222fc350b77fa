"""The emulators as an operator starts them: the demo hall in-process and one emulator as a program."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devices.emulators.demo import DemoHall
from devices.emulators.demo_people import demo_cards
from devices.idcard.reader import IdCardReader
from devices.kiosk.controller import KioskController
from devices.station.bus import PracticalBus
from devices.station.registers import StationState
from devices.transport.settings import LineSettings

ROOT = Path(__file__).resolve().parents[2]


def test_demo_hall_serves_all_three_devices(tmp_path, hall):
    with DemoHall(tmp_path, stations=3) as demo:
        assert sorted(demo.ports) == ["idcard-reader", "kiosk-controller", "practical-bus"]
        reader = IdCardReader(hall.line(LineSettings(demo.ports["idcard-reader"])))
        assert reader.read_card() == demo_cards()[0]
        assert KioskController(hall.line(LineSettings(demo.ports["kiosk-controller"]))).status().card_stock == 50
        bus = hall.close_later(PracticalBus(LineSettings(demo.ports["practical-bus"]), [1, 2, 3]))
        assert bus.poll(3).state == StationState.IDLE
    assert not any(tmp_path.iterdir())  # the port symlinks are gone with the hall


def test_idcard_reader_emulator_runs_as_a_program(hall):
    process = subprocess.Popen([sys.executable, "-m", "devices.emulators.idcard_reader", "--rotate", "0"],
                               cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("ID-card reader: driver port /dev/pts/")
        reader = IdCardReader(hall.line(LineSettings(first.rsplit(" ", 1)[1].strip())))
        assert [reader.read_card().name for _ in range(3)] == [card.name for card in demo_cards()]
    finally:
        process.terminate()
        assert process.wait(10) == 0
