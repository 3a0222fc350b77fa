"""Emulated practical-hall bus: up to 16 stations behind one Modbus RTU slave on one serial line.

Run: ``python -m devices.emulators.practical_bus --stations 4 [--port PATH]``.
"""
from __future__ import annotations

import time
from typing import Callable

from ..station import registers as r
from .modbus_slave import ModbusRtuSlave
from .practical_station import ExamScript, StationEmulator


def practical_bus(stations: list[StationEmulator]) -> ModbusRtuSlave:
    if len(stations) > r.MAX_STATIONS:
        raise ValueError(f"at most {r.MAX_STATIONS} stations on one bus")
    return ModbusRtuSlave({station.unit: station for station in stations})


def demo_stations(count: int, clock: Callable[[], float] = time.monotonic,
                  step_seconds: float = 5.0) -> list[StationEmulator]:
    """Every fourth station's candidate triggers a veto at step 5."""
    return [StationEmulator(unit, ExamScript.demo(every_s=step_seconds, veto_at=5 if unit % 4 == 0 else None), clock)
            for unit in range(1, count + 1)]


def main() -> None:
    from .runner import arguments, run

    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=4, help="stations with unit ids 1..N")
    parser.add_argument("--step-seconds", type=float, default=5.0, help="pace of the scripted exam steps")
    options = parser.parse_args()
    stations = demo_stations(options.stations, step_seconds=options.step_seconds)
    by_unit = {str(station.unit): station for station in stations}

    def show(unit):
        station = by_unit[unit]
        return f"unit {unit}: {station.state.name} fault={station.fault.name} events={station.newest_seq}"

    run(practical_bus(stations), options, "practical bus", {
        "show": show,
        "off": lambda unit: by_unit[unit].power_off(),
        "on": lambda unit: by_unit[unit].power_on(),
        "fault": lambda unit, code: by_unit[unit].raise_fault(r.FaultCode(int(code))),
    })


if __name__ == "__main__":
    main()
