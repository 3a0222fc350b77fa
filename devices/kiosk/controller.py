"""Kiosk controller driver. Every command carries a sequence number and a retry reuses it, so the
controller replays its answer instead of executing twice; a certificate job is also keyed by its job id,
so even a new request for the same job prints one card."""
from __future__ import annotations

import logging
import random
import time

from ..transport.errors import DeviceError, LineLost, LineTimeout, ProtocolError
from ..transport.framing import exchange, wire_seconds
from ..transport.line import SerialLine
from .frames import RESPONSE_BIT, Frame, KioskDecoder, encode_frame
from .protocol import (STATUS_MEANINGS, CertificatePrint, Command, ControllerStatus, JobState, JobStatus, Status,
                       encode_certificate)

logger = logging.getLogger(__name__)
LINE_DEFAULTS = {"baudrate": 115200}
PROCESSING = 0.2  # seconds the controller may take to answer any command (printing itself is asynchronous)


class KioskRejected(DeviceError):
    """The controller understood the command and refused it."""

    def __init__(self, line: str, command: Command, status: int):
        self.command, self.status = command, status
        meaning = STATUS_MEANINGS.get(status, f"undocumented status 0x{status:02X}")
        super().__init__(f"kiosk controller on {line}: {command.name} refused: {meaning}")


class JobFailed(DeviceError):
    def __init__(self, line: str, job: JobStatus):
        self.job = job
        super().__init__(f"kiosk controller on {line}: certificate job {job.job_id} {job.state.name.lower()} "
                         f"({job.error.name.lower()})")


class KioskController:
    def __init__(self, line: SerialLine, retries: int = 3):
        self.line = line
        self.retries = retries
        self._decoder = KioskDecoder(line.frames)
        # A random start keeps a restarted driver from matching the controller's cached last sequence number.
        self._seq = random.randrange(256)

    def ping(self) -> None:
        self._call(Command.PING)

    def status(self) -> ControllerStatus:
        return ControllerStatus.decode(self._call(Command.STATUS))

    def set_lights(self, mask: int, blink: bool = False) -> None:
        self._call(Command.LIGHTS, bytes([mask, int(blink)]))

    def print_certificate(self, job: CertificatePrint) -> JobStatus:
        """Queue the job (asynchronous: poll job_status); the same job id never prints twice."""
        return JobStatus.decode(self._call(Command.PRINT_CERTIFICATE, encode_certificate(job)))

    def job_status(self, job_id: str) -> JobStatus:
        return JobStatus.decode(self._call(Command.JOB_STATUS, job_id.encode("ascii")))

    def dispense(self, job_id: str) -> JobStatus:
        return JobStatus.decode(self._call(Command.DISPENSE, job_id.encode("ascii")))

    def cancel(self, job_id: str) -> JobStatus:
        return JobStatus.decode(self._call(Command.CANCEL, job_id.encode("ascii")))

    def issue(self, job: CertificatePrint, timeout: float = 60.0, poll_every: float = 0.2) -> JobStatus:
        """Print, wait for the card, dispense it. Safe to call again for the same job after any failure."""
        state = self.print_certificate(job)
        deadline = time.monotonic() + timeout
        while state.state == JobState.PRINTING:
            if time.monotonic() > deadline:
                raise LineTimeout(f"kiosk controller on {self.line.name}: job {job.job_id} still printing "
                                  f"after {timeout:.0f} s")
            time.sleep(poll_every)  # the printer's pace, not a synchronisation
            state = self.job_status(job.job_id)
        if state.state in (JobState.FAILED, JobState.CANCELLED):
            raise JobFailed(self.line.name, state)
        return state if state.state == JobState.DISPENSED else self.dispense(job.job_id)

    def _call(self, command: Command, payload: bytes = b"") -> bytes:
        self._seq = (self._seq + 1) % 256
        seq = self._seq
        request = encode_frame(seq, command, payload)
        timeout = wire_seconds(self.line.settings.char_time, len(request) + 64, PROCESSING)

        def matches(frame: Frame) -> bool:  # a late answer to an earlier request has another SEQ
            return frame.seq == seq and frame.command == command | RESPONSE_BIT

        attempts = 0
        while True:
            try:
                reply = self.line.call(
                    lambda port: exchange(port, request, self._decoder, matches, timeout, self.line.frames),
                    timeout + 2.0)
                break
            except (LineTimeout, LineLost) as exc:
                attempts += 1
                if attempts > self.retries:
                    raise
                logger.warning("kiosk controller on %s: %s; repeating %s with seq %d", self.line.name, exc,
                               command.name, seq)
        if not reply.payload:
            raise ProtocolError(f"kiosk controller on {self.line.name}: {command.name} reply has no status byte")
        if reply.payload[0] != Status.OK:
            raise KioskRejected(self.line.name, command, reply.payload[0])
        return reply.payload[1:]
