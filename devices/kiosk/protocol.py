"""Kiosk controller commands, status codes and payload encodings (docs/protocols/kiosk-controller.md)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from enum import IntEnum

from ..transport.errors import ProtocolError


class Command(IntEnum):
    PING = 0x01
    STATUS = 0x02
    LIGHTS = 0x03
    PRINT_CERTIFICATE = 0x10
    JOB_STATUS = 0x11
    DISPENSE = 0x12
    CANCEL = 0x13


class Status(IntEnum):
    OK = 0x00
    UNKNOWN_COMMAND = 0x01
    BAD_PAYLOAD = 0x02
    OUT_OF_STOCK = 0x03
    PRINTER_JAMMED = 0x04
    DOOR_OPEN = 0x05
    UNKNOWN_JOB = 0x06
    JOB_CONFLICT = 0x07  # the job id is known with different certificate content
    NOT_PRINTED = 0x08  # dispense before the card is printed
    TOO_LATE = 0x09  # cancel after the card left the printer
    BUSY = 0x0A  # another job is still printing


STATUS_MEANINGS = {
    Status.UNKNOWN_COMMAND: "the controller does not know this command",
    Status.BAD_PAYLOAD: "the controller could not parse the command's payload",
    Status.OUT_OF_STOCK: "no blank cards left in the printer",
    Status.PRINTER_JAMMED: "the card printer is jammed; open the door and clear it",
    Status.DOOR_OPEN: "the kiosk door is open",
    Status.UNKNOWN_JOB: "the controller has no job with this id",
    Status.JOB_CONFLICT: "this job id was already used for a different certificate",
    Status.NOT_PRINTED: "the card of this job is not printed (yet)",
    Status.TOO_LATE: "the card of this job was already dispensed",
    Status.BUSY: "the printer is busy with another job",
}


class JobState(IntEnum):
    PRINTING = 1
    PRINTED = 2  # waiting in the printer for DISPENSE
    DISPENSED = 3
    FAILED = 4
    CANCELLED = 5


class JobError(IntEnum):
    NONE = 0
    JAM = 1
    CANCELLED = 2


LIGHT_CARD_SLOT, LIGHT_TRAY, LIGHT_GREEN, LIGHT_RED = 0x01, 0x02, 0x04, 0x08


@dataclass(frozen=True)
class CertificatePrint:
    """What the card printer needs to lay out a certificate card; ``qr_payload`` is printed as a QR code."""
    job_id: str
    certificate_number: str
    name: str
    sex: str
    id_number: str  # as printed (the centre decides on masking)
    category: str  # 作业类别
    item: str  # 操作项目
    issued_on: date
    valid_until: date
    review_due: date
    issuer: str
    qr_payload: str


def encode_tlv(values: list[str]) -> bytes:
    """Each value as tag (its position, from 1), length (2 bytes, big-endian) and UTF-8 text."""
    out = bytearray()
    for tag, value in enumerate(values, start=1):
        raw = value.encode("utf-8")
        out += bytes([tag]) + len(raw).to_bytes(2, "big") + raw
    return bytes(out)


def decode_tlv(payload: bytes) -> list[str]:
    values, offset = [], 0
    while offset < len(payload):
        if offset + 3 > len(payload):
            raise ProtocolError("kiosk payload ends inside a field header")
        tag, length = payload[offset], int.from_bytes(payload[offset + 1:offset + 3], "big")
        if tag != len(values) + 1 or offset + 3 + length > len(payload):
            raise ProtocolError(f"kiosk payload field {tag} is out of order or truncated")
        values.append(payload[offset + 3:offset + 3 + length].decode("utf-8"))
        offset += 3 + length
    return values


def encode_certificate(job: CertificatePrint) -> bytes:
    return encode_tlv([value.isoformat() if isinstance(value, date) else value
                       for value in (getattr(job, f.name) for f in fields(job))])


def decode_certificate(payload: bytes) -> CertificatePrint:
    values = decode_tlv(payload)
    names = [f.name for f in fields(CertificatePrint)]
    if len(values) != len(names):
        raise ProtocolError(f"certificate payload has {len(values)} fields, expected {len(names)}")
    record = dict(zip(names, values))
    for name in ("issued_on", "valid_until", "review_due"):
        record[name] = date.fromisoformat(record[name])
    return CertificatePrint(**record)


@dataclass(frozen=True)
class ControllerStatus:
    card_stock: int
    printer_ready: bool
    jammed: bool
    door_open: bool
    card_in_tray: bool

    FLAGS = ("printer_ready", "jammed", "door_open", "card_in_tray")

    def encode(self) -> bytes:
        flags = sum(1 << bit for bit, name in enumerate(self.FLAGS) if getattr(self, name))
        return self.card_stock.to_bytes(2, "big") + bytes([flags])

    @classmethod
    def decode(cls, data: bytes) -> "ControllerStatus":
        if len(data) != 3:
            raise ProtocolError(f"kiosk STATUS reply carries {len(data)} bytes, expected 3")
        flags = data[2]
        return cls(int.from_bytes(data[:2], "big"), **{name: bool(flags >> bit & 1) for bit, name in
                                                        enumerate(cls.FLAGS)})


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    state: JobState
    error: JobError
    cards_printed: int  # 0 or 1: the controller's own proof that the job printed at most once

    def encode(self) -> bytes:
        return bytes([self.state, self.error, self.cards_printed]) + self.job_id.encode("ascii")

    @classmethod
    def decode(cls, data: bytes) -> "JobStatus":
        if len(data) < 4:
            raise ProtocolError(f"kiosk job reply carries {len(data)} bytes, too short")
        try:
            return cls(data[3:].decode("ascii"), JobState(data[0]), JobError(data[1]), data[2])
        except ValueError as exc:
            raise ProtocolError(f"kiosk job reply is malformed: {exc}") from None
