"""Kiosk controller driver against the emulated board: whatever the line loses, a job prints once."""
from __future__ import annotations

from datetime import date

import pytest

from devices.emulators.kiosk_controller import KioskControllerEmulator
from devices.kiosk.controller import JobFailed, KioskController, KioskRejected
from devices.kiosk.frames import encode_frame
from devices.kiosk.protocol import LIGHT_GREEN, LIGHT_TRAY, CertificatePrint, JobError, JobState

REQUEST_OVERHEAD = len(encode_frame(0, 0))


def certificate(job_id: str = "J-0001", name: str = "张伟") -> CertificatePrint:
    return CertificatePrint(job_id, "T110105198503071235", name, "male", "110105********1235", "电工作业",
                            "低压电工作业", date(2025, 1, 2), date(2031, 1, 2), date(2028, 1, 2),
                            "北京市应急管理局", "https://exam.example/verify/T110105198503071235?sig=abc")


@pytest.fixture
def kiosk(hall, clock):
    emulator = KioskControllerEmulator(card_stock=5, print_seconds=4.0, clock=clock)
    cable, server, settings = hall.connect(emulator)
    return emulator, cable, server, KioskController(hall.line(settings))


def test_status_lights_and_a_whole_issuance(kiosk, clock):
    emulator, _, _, controller = kiosk
    controller.ping()
    status = controller.status()
    assert (status.card_stock, status.printer_ready, status.jammed, status.door_open) == (5, True, False, False)
    controller.set_lights(LIGHT_GREEN | LIGHT_TRAY, blink=True)
    assert emulator.lights == (LIGHT_GREEN | LIGHT_TRAY, True)
    assert controller.print_certificate(certificate()).state == JobState.PRINTING
    assert not controller.status().printer_ready
    clock.advance(5)
    assert controller.status().card_in_tray
    assert controller.dispense("J-0001").state == JobState.DISPENSED
    assert controller.dispense("J-0001").cards_printed == 1  # dispensing again hands out nothing new
    assert emulator.printed == ["J-0001"]


def test_lost_reply_to_print_is_replayed_not_reprinted(kiosk, clock):
    emulator, cable, _, controller = kiosk
    cable.b_to_a.drop(cable.b_to_a.count + 5, 3)  # the controller's answer loses three bytes
    assert controller.print_certificate(certificate()).state == JobState.PRINTING
    assert emulator.executed == 1  # the retry was answered from the cache
    clock.advance(5)
    assert controller.issue(certificate()).state == JobState.DISPENSED
    assert emulator.printed == ["J-0001"]


def test_lost_request_is_simply_sent_again(kiosk):
    emulator, cable, _, controller = kiosk
    cable.a_to_b.drop(cable.a_to_b.count + 20)
    controller.print_certificate(certificate())
    assert emulator.executed == 1 and len(emulator.jobs) == 1


def test_bit_flips_both_ways_never_pass(kiosk, clock):
    emulator, cable, _, controller = kiosk
    cable.a_to_b.flip(cable.a_to_b.count + 30, 0x20)  # corrupts the certificate text
    cable.b_to_a.flip(cable.b_to_a.count + 6 + 30, 0x01)  # then the answer to the retry
    controller.print_certificate(certificate())
    assert emulator.jobs["J-0001"].certificate == certificate()
    assert emulator.executed == 1


def test_garbage_between_frames_and_fragmented_frames(kiosk):
    emulator, cable, _, controller = kiosk
    cable.b_to_a.insert(cable.b_to_a.count, b"\x02\x00\x40\x03\x03noise")
    cable.a_to_b.insert(cable.a_to_b.count, b"\x02\xff")
    cable.a_to_b.fragments = cable.b_to_a.fragments = (3, 0.002)
    assert controller.status().card_stock == 5
    controller.print_certificate(certificate())
    assert emulator.executed == 2


def test_slow_controller_late_answer_is_ignored(kiosk):
    emulator, _, server, controller = kiosk
    server.reply_delay = 0.6  # longer than one exchange's timeout, shorter than all retries
    controller.set_lights(LIGHT_GREEN)
    server.reply_delay = 0
    assert controller.status().card_stock == 5  # not confused by the late replies still on the line
    assert emulator.executed == 2


def test_cut_cable_direction_reports_then_recovers(kiosk):
    emulator, cable, _, controller = kiosk
    cable.b_to_a.cut = True
    with pytest.raises(Exception, match="no valid reply"):
        controller.print_certificate(certificate())
    cable.b_to_a.cut = False
    # The job went through on the first attempt; asking again by job id finds it instead of printing again.
    assert controller.print_certificate(certificate()).state == JobState.PRINTING
    assert len(emulator.jobs) == 1 and emulator.card_stock == 4


def test_unplug_and_replug_mid_job(kiosk, clock):
    emulator, cable, _, controller = kiosk
    controller.print_certificate(certificate())
    cable.unplug()
    clock.advance(5)
    with pytest.raises(Exception, match="lost|unavailable|no valid reply"):
        controller.job_status("J-0001")
    cable.replug()
    assert controller.issue(certificate()).cards_printed == 1
    assert emulator.printed == ["J-0001"]


def test_printer_jam_mid_job(kiosk, clock):
    emulator, _, _, controller = kiosk
    emulator.jam_next_job = True
    controller.print_certificate(certificate())
    clock.advance(2.5)
    with pytest.raises(JobFailed, match="J-0001 failed \\(jam\\)"):
        controller.issue(certificate())
    status = controller.status()
    assert status.jammed and not status.printer_ready
    with pytest.raises(KioskRejected, match="jammed"):
        controller.print_certificate(certificate("J-0002"))
    emulator.clear_jam()
    controller.print_certificate(certificate("J-0002"))
    clock.advance(5)
    assert controller.issue(certificate("J-0002")).state == JobState.DISPENSED
    assert emulator.printed == ["J-0002"] and emulator.jobs["J-0001"].error == JobError.JAM


def test_refusals_are_specific(kiosk, clock):
    emulator, _, _, controller = kiosk
    with pytest.raises(KioskRejected, match="no job with this id"):
        controller.job_status("nope")
    controller.print_certificate(certificate())
    with pytest.raises(KioskRejected, match="already used for a different certificate"):
        controller.print_certificate(certificate(name="李娜"))
    with pytest.raises(KioskRejected, match="busy"):
        controller.print_certificate(certificate("J-0002"))
    with pytest.raises(KioskRejected, match="not printed"):
        controller.dispense("J-0001")
    assert controller.cancel("J-0001").state == JobState.CANCELLED
    emulator.set_door(True)
    with pytest.raises(KioskRejected, match="door is open"):
        controller.print_certificate(certificate("J-0003"))
    emulator.set_door(False)
    emulator.card_stock = 0
    with pytest.raises(KioskRejected, match="no blank cards"):
        controller.print_certificate(certificate("J-0003"))
