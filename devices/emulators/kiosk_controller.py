"""Emulated kiosk controller board: card stock, a card printer that can jam, a dispenser tray and a door.

Printing takes ``print_seconds`` on the emulator's clock (a ManualClock in tests). The controller answers a
repeated sequence number from its cache and keys print jobs by job id, so nothing executes twice.
Run: ``python -m devices.emulators.kiosk_controller --port PATH``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from ..kiosk.frames import RESPONSE_BIT, KioskDecoder, encode_frame
from ..kiosk.protocol import (CertificatePrint, Command, ControllerStatus, JobError, JobState, JobStatus, Status,
                              decode_certificate)
from ..transport.errors import ProtocolError
from .base import EmulatedDevice


class Refused(Exception):
    def __init__(self, status: Status):
        self.status = status


@dataclass
class _Job:
    certificate: CertificatePrint
    started: float
    state: JobState = JobState.PRINTING
    error: JobError = JobError.NONE
    cards_printed: int = 0

    def status(self) -> JobStatus:
        return JobStatus(self.certificate.job_id, self.state, self.error, self.cards_printed)


class KioskControllerEmulator(EmulatedDevice):
    def __init__(self, card_stock: int = 50, print_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self._decoder = KioskDecoder()
        self.clock = clock
        self.card_stock = card_stock
        self.print_seconds = print_seconds
        self.jammed = False
        self.door_open = False
        self.jam_next_job = False
        self.lights = (0, False)
        self.jobs: dict[str, _Job] = {}
        self.printed: list[str] = []  # job ids in the order cards left the printer: the test's ground truth
        self.executed = 0  # commands executed (not replayed)
        self._last: tuple[bytes, bytes] | None = None  # (request, response) of the last sequence number

    # -- scripting -------------------------------------------------------------------------------------
    def clear_jam(self) -> None:
        """The operator opened the door and pulled the ruined card out."""
        with self.lock:
            self.jammed = False

    def set_door(self, is_open: bool) -> None:
        with self.lock:
            self.door_open = is_open

    def refill(self, cards: int) -> None:
        with self.lock:
            self.card_stock += cards

    # -- protocol -------------------------------------------------------------------------------------
    def receive(self, data: bytes) -> bytes:
        replies = b""
        for frame in self._decoder.feed(data):
            raw = encode_frame(frame.seq, frame.command, frame.payload)
            if self._last and self._last[0] == raw:
                replies += self._last[1]  # a retry: the answer again, the action not again
                continue
            reply = encode_frame(frame.seq, frame.command | RESPONSE_BIT, self._execute(frame.command, frame.payload))
            self._last = (raw, reply)
            replies += reply
        return replies

    def _execute(self, command: int, payload: bytes) -> bytes:
        self.executed += 1
        self._advance()
        handlers = {Command.PING: self._ping, Command.STATUS: self._status, Command.LIGHTS: self._lights,
                    Command.PRINT_CERTIFICATE: self._print, Command.JOB_STATUS: self._job_status,
                    Command.DISPENSE: self._dispense, Command.CANCEL: self._cancel}
        handler = handlers.get(command)
        if handler is None:
            return bytes([Status.UNKNOWN_COMMAND])
        try:
            return bytes([Status.OK]) + handler(payload)
        except Refused as refusal:
            return bytes([refusal.status])
        except (ProtocolError, ValueError, UnicodeDecodeError):
            return bytes([Status.BAD_PAYLOAD])

    def _advance(self) -> None:
        """Bring the printing job up to the clock: a jam strikes half-way through, else the card is done."""
        for job in self.jobs.values():
            if job.state != JobState.PRINTING:
                continue
            elapsed = self.clock() - job.started
            if self.jam_next_job and elapsed >= self.print_seconds / 2:
                self.jam_next_job, self.jammed = False, True
                job.state, job.error = JobState.FAILED, JobError.JAM
            elif elapsed >= self.print_seconds:
                job.state, job.cards_printed = JobState.PRINTED, 1
                self.printed.append(job.certificate.job_id)

    def _ping(self, payload: bytes) -> bytes:
        return b"\x01"  # protocol version

    def controller_status(self) -> ControllerStatus:
        printing = any(job.state == JobState.PRINTING for job in self.jobs.values())
        in_tray = any(job.state == JobState.PRINTED for job in self.jobs.values())
        return ControllerStatus(self.card_stock, not (self.jammed or printing), self.jammed, self.door_open, in_tray)

    def _status(self, payload: bytes) -> bytes:
        return self.controller_status().encode()

    def _lights(self, payload: bytes) -> bytes:
        if len(payload) != 2:
            raise Refused(Status.BAD_PAYLOAD)
        self.lights = (payload[0], bool(payload[1]))
        return b""

    def _print(self, payload: bytes) -> bytes:
        certificate = decode_certificate(payload)
        known = self.jobs.get(certificate.job_id)
        if known:
            if known.certificate != certificate:
                raise Refused(Status.JOB_CONFLICT)
            return known.status().encode()
        if self.door_open:
            raise Refused(Status.DOOR_OPEN)
        if self.jammed:
            raise Refused(Status.PRINTER_JAMMED)
        if any(job.state in (JobState.PRINTING, JobState.PRINTED) for job in self.jobs.values()):
            raise Refused(Status.BUSY)
        if self.card_stock <= 0:
            raise Refused(Status.OUT_OF_STOCK)
        self.card_stock -= 1
        job = self.jobs[certificate.job_id] = _Job(certificate, self.clock())
        return job.status().encode()

    def _job(self, payload: bytes) -> _Job:
        job = self.jobs.get(payload.decode("ascii"))
        if job is None:
            raise Refused(Status.UNKNOWN_JOB)
        return job

    def _job_status(self, payload: bytes) -> bytes:
        return self._job(payload).status().encode()

    def _dispense(self, payload: bytes) -> bytes:
        job = self._job(payload)
        if job.state == JobState.PRINTED:
            job.state = JobState.DISPENSED
        elif job.state != JobState.DISPENSED:
            raise Refused(Status.NOT_PRINTED)
        return job.status().encode()

    def _cancel(self, payload: bytes) -> bytes:
        job = self._job(payload)
        if job.state == JobState.DISPENSED:
            raise Refused(Status.TOO_LATE)
        if job.state in (JobState.PRINTING, JobState.PRINTED):
            # A printed card that is cancelled goes to the reject bin, never to the tray.
            job.state, job.error = JobState.CANCELLED, JobError.CANCELLED
        return job.status().encode()


def main() -> None:
    from .runner import arguments, run

    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--stock", type=int, default=50, help="blank cards in the printer")
    parser.add_argument("--print-seconds", type=float, default=2.0)
    options = parser.parse_args()
    emulator = KioskControllerEmulator(options.stock, options.print_seconds)
    run(emulator, options, "kiosk controller", {
        "status": emulator.controller_status,
        "jam": lambda: setattr(emulator, "jam_next_job", True),
        "clear": emulator.clear_jam,
        "door": lambda state: emulator.set_door(state == "open"),
        "refill": lambda cards: emulator.refill(int(cards)),
        "printed": lambda: ", ".join(emulator.printed) or "nothing yet",
    })


if __name__ == "__main__":
    main()
