"""Benchmark: one practical-hall bus, 16 stations, 115200 baud, bytes paced at line speed.

The stations (our Modbus RTU slave) and the paced line bridge run in a separate process, as the hardware
would; this process drives the bus with the production driver (PracticalBus over pymodbus), polling every
station in turn for its state and new events while the stations run scripted exams that produce events.

Wire limit: the time the same traffic (every request and reply byte, events and acknowledgements included)
needs on the wire at bytes × 10 bits / baud, with no gap between frames. (Both Modbus ends here delimit
frames by length and CRC, so the 1.75 ms t3.5 silence is not counted: the stricter bound.)

    .venv/bin/python scripts/bench/serial_bus.py [--seconds 10] [--stations 16] [--baudrate 115200]

Last line: RESULT stations=… polls_per_s_min=… wire_fraction=…
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from devices.station.bus import PracticalBus  # noqa: E402
from devices.transport.settings import LineSettings  # noqa: E402


def start_stations(count: int, baudrate: int) -> tuple[subprocess.Popen, str]:
    emulator = subprocess.Popen(
        [sys.executable, "-m", "devices.emulators.practical_bus", "--stations", str(count), "--baudrate",
         str(baudrate), "--step-seconds", "1"], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    first = emulator.stdout.readline()  # "practical bus: driver port /dev/pts/N"
    if "driver port" not in first:
        emulator.kill()
        raise SystemExit(f"the station emulator did not start: {first!r}")
    return emulator, first.rsplit(" ", 1)[1].strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--stations", type=int, default=16)
    parser.add_argument("--baudrate", type=int, default=115200)
    options = parser.parse_args()
    emulator, path = start_stations(options.stations, options.baudrate)
    units = range(1, options.stations + 1)
    bus = PracticalBus(LineSettings(path, baudrate=options.baudrate), units, timeout=0.2)
    try:
        for unit in units:
            bus.load(unit, f"BENCH-{unit:02d}", 1, 1, 1)
            bus.start(unit)
        frames = bus.line.frames
        bytes_before = frames.totals["tx"] + frames.totals["rx"]
        frames_before = frames.frame_counts["tx"] + frames.frame_counts["rx"]
        polls, events = Counter(), Counter()
        started = time.monotonic()
        while time.monotonic() - started < options.seconds:
            for unit in units:
                events[unit] += len(bus.poll(unit).events)
                polls[unit] += 1
        elapsed = time.monotonic() - started
        wire_bytes = frames.totals["tx"] + frames.totals["rx"] - bytes_before
        wire_frames = frames.frame_counts["tx"] + frames.frame_counts["rx"] - frames_before
    finally:
        bus.close()
        emulator.terminate()
        emulator.wait(10)
    char_time = LineSettings(path, baudrate=options.baudrate).char_time
    wire_time = wire_bytes * char_time
    total_polls = sum(polls.values())
    rates = {unit: polls[unit] / elapsed for unit in units}
    print(f"bus: {options.stations} stations, {options.baudrate} baud 8N1, paced pty, {elapsed:.1f} s")
    print(f"polls: {total_polls} ({total_polls / elapsed:.1f}/s), events received: {sum(events.values())}")
    print(f"polls per second per station: min {min(rates.values()):.1f}, max {max(rates.values()):.1f}")
    print(f"wire: {wire_bytes} bytes in {wire_frames} frames = {wire_time:.2f} s on the wire")
    print(f"wire limit for this traffic: {total_polls / wire_time:.0f} polls/s in all, "
          f"{total_polls / wire_time / options.stations:.1f} per station")
    print(f"achieved: {wire_time / elapsed:.1%} of the wire limit")
    print(f"RESULT stations={options.stations} polls_per_s_min={min(rates.values()):.1f} "
          f"wire_fraction={wire_time / elapsed:.3f}")


if __name__ == "__main__":
    main()
