"""Bulk enrolment of registered photos from a ZIP (批量导入照片): one file per person, named by ID number,
each passed through the same face gate, with a per-file report. One bad file never spoils the others."""
from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import sqlalchemy as sa
from sqlalchemy.orm import Session

from devices.face import FaceEngine, QualityRules
from exam_center.domain.errors import N_, DomainError, ValidationError
from exam_center.domain.idcard import mask_id_number, parse_id_number
from exam_center.evidence import EvidenceStore
from exam_center.models import Person

from .audit import Actor, record
from .faces import enrol_photo
from .people import MAX_PHOTO_BYTES

MAX_ENTRIES = 2000
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
_UTF8_NAME_FLAG = 0x800


@dataclass(frozen=True)
class BulkRow:
    filename: str
    person_id: int | None = None
    person_name: str | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _display_name(info: zipfile.ZipInfo) -> str:
    """Windows zips of Chinese file names use GBK without saying so; zipfile then reads them as cp437."""
    if info.flag_bits & _UTF8_NAME_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _photo_entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    entries = [info for info in archive.infolist()
               if not info.is_dir() and not any(part.startswith((".", "__MACOSX")) for part in
                                                PurePosixPath(info.filename).parts)]
    if len(entries) > MAX_ENTRIES:
        raise ValidationError("photo.zip_too_many", N_("The ZIP file holds more than %(count)s files."),
                              field="archive", count=MAX_ENTRIES)
    return entries


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_PHOTO_BYTES:
        raise ValidationError("photo.too_large", N_("The photo is larger than %(mb)s MB."), field="photo", mb=5)
    try:
        with archive.open(info) as handle:
            data = handle.read(MAX_PHOTO_BYTES + 1)  # the declared size can lie
    # zipfile's ways of saying "damaged or unreadable": a bad header or CRC, a broken deflate stream, a truncated
    # member, a compression method it does not support (NotImplementedError), an encrypted member (RuntimeError).
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        raise ValidationError("photo.zip_entry_corrupt", N_("This file in the ZIP is damaged or encrypted."),
                              field="photo") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError("photo.too_large", N_("The photo is larger than %(mb)s MB."), field="photo", mb=5)
    return data


def _person_for(session: Session, stem: str) -> Person:
    try:
        number = parse_id_number(stem).number
    except ValidationError:
        raise ValidationError("photo.zip_name", N_("Name each photo by the person's ID number, e.g. "
                                                   "110105199001011234.jpg."), field="photo") from None
    person = session.scalar(sa.select(Person).where(Person.id_number == number))
    if person is None:
        raise ValidationError("photo.zip_unknown_person", N_("No registered person has ID number %(masked)s."),
                              field="photo", masked=mask_id_number(number))
    return person


def enrol_zip(session: Session, actor: Actor, store: EvidenceStore, engine: FaceEngine, rules: QualityRules,
              data: bytes) -> list[BulkRow]:
    """Enrol every photo in the archive that passes; report each file. The caller commits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ValidationError("photo.zip_invalid", N_("The file is not a readable ZIP archive."),
                              field="archive") from None
    rows = []
    with archive:
        for info in _photo_entries(archive):
            name = _display_name(info)
            path = PurePosixPath(name)
            person = None
            try:
                if path.suffix.lower() not in PHOTO_SUFFIXES:
                    raise ValidationError("photo.format", N_("The photo must be a readable JPEG or PNG image."),
                                          field="photo")
                person = _person_for(session, path.stem)
                photo = _read_entry(archive, info)
                with session.begin_nested():  # a refused photo leaves no trace, the others stay
                    enrol_photo(session, actor, store, engine, rules, person.id, photo)
            except DomainError as error:
                rows.append(BulkRow(name, person and person.id, person and person.name, error))
            else:
                rows.append(BulkRow(name, person.id, person.name))
    record(session, actor, "face.bulk_enrol", "person", None,
           after={"files": len(rows), "enrolled": sum(r.ok for r in rows)})
    return rows
