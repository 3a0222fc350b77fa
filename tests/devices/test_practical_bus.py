"""Practical-hall bus: the pymodbus driver against our own RTU slave, with faults on the line.
Whatever happens, every station event reaches the caller exactly once and no command runs twice."""
from __future__ import annotations

import pytest

from devices.emulators.modbus_slave import with_crc
from devices.emulators.practical_bus import demo_stations, practical_bus
from devices.station import registers as r
from devices.station.bus import PracticalBus, StationCommandRefused
from devices.station.modbus import ModbusException
from devices.transport.errors import LineTimeout, ProtocolError

READ_STATUS_BYTES = 8
STATUS_REPLY_BYTES = 5 + 2 * r.STATUS_BLOCK


@pytest.fixture
def bus_setup(hall, clock):
    stations = demo_stations(4, clock)
    cable, server, settings = hall.connect(practical_bus(stations))
    bus = hall.close_later(PracticalBus(settings, [s.unit for s in stations], timeout=0.3))
    return stations, cable, server, bus


def collect(bus, unit, into):
    snapshot = bus.poll(unit)
    into.extend(event.seq for event in snapshot.events)
    return snapshot


def start_exam(bus, unit):
    bus.load(unit, f"ATT-{unit:04d}", 12, 2, 5)
    bus.start(unit)


def test_load_start_events_score_and_finish(bus_setup, clock):
    stations, _, _, bus = bus_setup
    start_exam(bus, 1)
    assert bus.loaded_token(1) == "ATT-0001"
    clock.advance(16)
    snapshot = bus.poll(1)
    assert snapshot.state == r.StationState.RUNNING and snapshot.elapsed_s == 16.0
    assert [(e.seq, e.step, e.outcome) for e in snapshot.events] == [
        (1, 101, r.Outcome.OK), (2, 102, r.Outcome.OK), (3, 103, r.Outcome.ERROR)]
    clock.advance(30)
    snapshot = bus.poll(1)
    assert snapshot.state == r.StationState.FINISHED and [e.seq for e in snapshot.events] == [4, 5, 6]
    assert snapshot.score == pytest.approx(83.3) and not snapshot.veto  # five of six steps right
    assert (snapshot.item, snapshot.subject, snapshot.question) == (12, 2, 5)
    assert bus.poll(1).events == ()
    bus.reset(1)
    assert bus.poll(1).state == r.StationState.IDLE


def test_veto_ends_the_exam(bus_setup, clock):
    _, _, _, bus = bus_setup
    start_exam(bus, 4)  # unit 4's demo script has a veto at step 5
    clock.advance(60)
    snapshot = bus.poll(4)
    assert snapshot.state == r.StationState.FINISHED and snapshot.veto and snapshot.veto_code == 7
    assert snapshot.events[-1].outcome == r.Outcome.VETO and len(snapshot.events) == 5


def test_refused_commands_and_modbus_exceptions_are_specific(bus_setup):
    _, _, _, bus = bus_setup
    with pytest.raises(StationCommandRefused, match="station 2 .*START refused \\(wrong state\\) in state IDLE"):
        bus.start(2)
    with pytest.raises(ModbusException, match="exception 2 \\(illegal data address\\)"):
        bus._call(lambda master: master.read_input_registers(2, 50, 4))


def test_a_unit_that_is_not_on_the_bus_stays_silent(hall, clock):
    stations = demo_stations(2, clock)
    _, _, settings = hall.connect(practical_bus(stations))
    bus = hall.close_later(PracticalBus(settings, [1, 2, 9], timeout=0.2, retries=1))
    with pytest.raises(LineTimeout, match="station 9 .*no valid reply"):
        bus.poll(9)
    assert bus.poll(2).state == r.StationState.IDLE


def test_lost_write_acknowledgement_does_not_execute_twice(bus_setup):
    stations, cable, _, bus = bus_setup
    bus.poll(1)
    cable.b_to_a.drop(cable.b_to_a.count + 2, 4)  # the FC16 echo of LOAD is mangled
    bus.load(1, "ATT-0001", 12, 2, 5)
    assert stations[0].executions == 1 and stations[0].state == r.StationState.LOADED


def test_events_survive_dropped_bytes_flips_and_garbage(bus_setup, clock):
    stations, cable, _, bus = bus_setup
    start_exam(bus, 1)
    seen = []
    for index in range(8):
        clock.advance(5)
        # Each round hits a different byte of the replies with a different fault.
        offset = cable.b_to_a.count + 7 + index * 11
        [cable.b_to_a.drop, cable.b_to_a.flip, lambda at: cable.b_to_a.insert(at, b"\x01\x04\x02")][index % 3](offset)
        collect(bus, 1, seen)
    seen += [event.seq for event in bus.poll(1).events]
    assert seen == list(range(1, stations[0].newest_seq + 1)) == [1, 2, 3, 4, 5, 6]


def test_fragmented_and_garbage_requests_reach_the_slave(bus_setup, clock):
    stations, cable, _, bus = bus_setup
    cable.a_to_b.insert(cable.a_to_b.count, b"\x07\x99\x00")
    cable.a_to_b.fragments = (3, 0.003)
    start_exam(bus, 3)
    clock.advance(12)
    assert [e.seq for e in bus.poll(3).events] == [1, 2]


def test_station_reboot_mid_exam_loses_no_event(bus_setup, clock):
    stations, _, _, bus = bus_setup
    start_exam(bus, 2)
    seen = []
    clock.advance(11)
    collect(bus, 2, seen)  # events 1, 2 delivered but not yet acknowledged to the station
    clock.advance(5)  # event 3 happens on the station
    stations[1].power_off()
    with pytest.raises(LineTimeout):
        bus.poll(2)
    stations[1].power_on()
    snapshot = collect(bus, 2, seen)
    assert snapshot.state == r.StationState.FAULT and snapshot.fault == r.FaultCode.POWER_LOSS
    assert snapshot.boot_count == 2
    assert seen == [1, 2, 3]
    bus.reset(2)
    start_exam(bus, 2)
    clock.advance(6)
    collect(bus, 2, seen)
    assert seen == [1, 2, 3, 4]  # numbering continues across the restart: (station, seq) stays unique


def test_unplug_and_replug_resumes_the_journal(bus_setup, clock):
    _, cable, _, bus = bus_setup
    start_exam(bus, 1)
    seen = []
    clock.advance(11)
    collect(bus, 1, seen)
    cable.unplug()
    clock.advance(10)
    with pytest.raises(Exception, match="lost|unavailable"):
        bus.poll(1)
    cable.replug()
    clock.advance(30)
    collect(bus, 1, seen)
    assert seen == [1, 2, 3, 4, 5, 6]


def test_a_new_driver_resumes_from_the_station_acknowledgement(bus_setup, hall, clock):
    stations, cable, _, bus = bus_setup
    start_exam(bus, 1)
    seen = []
    clock.advance(11)
    collect(bus, 1, seen)
    clock.advance(5)
    collect(bus, 1, seen)  # acknowledges 1, 2; delivers 3
    bus.close()
    fresh = hall.close_later(PracticalBus(bus.line.settings, [1], timeout=0.3))
    fresh.resume(1, seen[-1])  # the centre stored how far it got
    clock.advance(30)
    collect(fresh, 1, seen)
    assert seen == [1, 2, 3, 4, 5, 6]
    assert stations[0].executions == 2  # LOAD and START, never repeated by the new driver


def test_sixteen_stations_on_one_bus(hall, clock):
    stations = demo_stations(16, clock)
    _, _, settings = hall.connect(practical_bus(stations))
    bus = hall.close_later(PracticalBus(settings, range(1, 17), timeout=0.3))
    for unit in range(1, 17):
        start_exam(bus, unit)
    clock.advance(100)
    totals = {unit: len(bus.poll(unit).events) for unit in range(1, 17)}
    assert totals == {unit: 5 if unit % 4 == 0 else 6 for unit in range(1, 17)}


def test_slave_answers_with_exceptions_and_ignores_bad_crc(clock):
    """The emulator's own Modbus layer, byte for byte."""
    slave = practical_bus(demo_stations(1, clock))
    read = with_crc(bytes.fromhex("01 04 00 00 00 02"))
    assert slave.receive(read) == with_crc(bytes.fromhex("01 04 04 00 00 00 00"))
    assert slave.receive(read[:-1] + bytes([read[-1] ^ 1])) == b"" and slave.bad_frames == 1
    assert slave.idle() == b""  # the silence after the frame discards what is left of it
    assert slave.receive(with_crc(bytes.fromhex("01 2B 0E 01 00"))) == with_crc(bytes.fromhex("01 AB 01"))
    assert slave.receive(with_crc(bytes.fromhex("01 03 00 30 00 01"))) == with_crc(bytes.fromhex("01 83 02"))
    assert slave.receive(with_crc(bytes.fromhex("05 04 00 00 00 02"))) == b""  # not our unit
    write = with_crc(bytes.fromhex("01 06 00 0C 00 05"))
    assert slave.receive(write) == write


def test_one_direction_cut_reports_then_recovers(bus_setup, clock):
    stations, cable, _, bus = bus_setup
    start_exam(bus, 1)
    seen = []
    clock.advance(11)
    cable.b_to_a.cut = True  # the stations hear us, we do not hear them
    with pytest.raises(LineTimeout, match="station 1 .*no valid reply"):
        collect(bus, 1, seen)
    cable.b_to_a.cut = False
    clock.advance(30)
    collect(bus, 1, seen)
    assert seen == [1, 2, 3, 4, 5, 6]


def test_slow_station_late_replies_are_never_taken_for_another_request(bus_setup, clock):
    stations, _, server, bus = bus_setup
    start_exam(bus, 2)
    seen = []
    server.reply_delay = 0.35  # just past the driver's 0.3 s timeout: replies arrive during the next request
    for _ in range(3):
        clock.advance(6)
        try:
            collect(bus, 2, seen)
        except (LineTimeout, ProtocolError):
            pass
    server.reply_delay = 0
    clock.advance(30)
    for _ in range(20):  # the station still works off the requests it queued while slow
        try:
            collect(bus, 2, seen)
            break
        except (LineTimeout, ProtocolError):
            continue
    assert seen == [1, 2, 3, 4, 5, 6] and stations[1].executions == 2
