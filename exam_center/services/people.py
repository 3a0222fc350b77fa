"""The person registry (人员库): candidates and holders, keyed by citizen ID number."""
from __future__ import annotations

import cv2
import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain.contact import parse_email, parse_person_name, parse_phone, parse_text
from exam_center.domain.education import parse_education
from exam_center.domain.errors import N_, Conflict, FieldErrors, NotFound, ValidationError
from exam_center.domain.idcard import mask_id_number, parse_id_number
from exam_center.evidence import EvidenceStore
from exam_center.models import Person

from .audit import Actor, record
from .lookup import fetch

MAX_PHOTO_BYTES = 5 * 1024 * 1024
_PHOTO_SUFFIX = {b"\xff\xd8\xff": ".jpg", b"\x89PNG": ".png"}


def person_snapshot(person: Person) -> dict:
    """Audit view of a person: the ID number masked (personal data is not copied into logs)."""
    return {"id_number": mask_id_number(person.id_number), "name": person.name, "education": person.education,
            "phone": person.phone[:3] + "****" + person.phone[-4:] if len(person.phone) >= 7 else "****",
            "employer": person.employer, "photo_sha256": person.photo_sha256}


def register_person(
    session: Session,
    actor: Actor,
    *,
    id_number: str,
    name: str,
    education: str,
    phone: str,
    email: str | None = None,
    address: str | None = None,
    employer: str | None = None,
) -> Person:
    errors = FieldErrors()
    values = {
        "id_number": errors.take(parse_id_number, id_number),
        "name": errors.take(parse_person_name, name),
        "education": errors.take(parse_education, education),
        "phone": errors.take(parse_phone, phone),
        "email": errors.take(parse_email, email),
        "address": errors.take(parse_text, address, field="address", max_length=200, required=False) or None,
        "employer": errors.take(parse_text, employer, field="employer", max_length=100, required=False) or None,
    }
    errors.raise_any()
    citizen = values.pop("id_number")
    if session.scalar(sa.select(Person.id).where(Person.id_number == citizen.number)):
        raise Conflict("person.duplicate", N_("A person with ID number %(masked)s is already registered."),
                       field="id_number", masked=mask_id_number(citizen.number))
    person = Person(id_number=citizen.number, sex=citizen.sex, birth_date=citizen.birth_date, **values)
    session.add(person)
    session.flush()
    record(session, actor, "person.register", "person", person.id, after=person_snapshot(person))
    return person


def get_person(session: Session, person_id: int) -> Person:
    return fetch(session, Person, person_id, NotFound("person.not_found", N_("No such person."), field="person_id"))


def find_person_by_id_number(session: Session, id_number: str) -> Person | None:
    return session.scalar(sa.select(Person).where(Person.id_number == parse_id_number(id_number).number))


def check_photo(data: bytes) -> str:
    """The file suffix of a readable JPEG or PNG photo within the size limit; a ValidationError otherwise."""
    if not data:
        raise ValidationError("photo.empty", N_("The photo file is empty."), field="photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError("photo.too_large", N_("The photo is larger than %(mb)s MB."), field="photo", mb=5)
    suffix = next((s for magic, s in _PHOTO_SUFFIX.items() if data.startswith(magic)), None)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if suffix else None
    if image is None:
        raise ValidationError("photo.format", N_("The photo must be a readable JPEG or PNG image."), field="photo")
    return suffix


def set_person_photo(session: Session, actor: Actor, store: EvidenceStore, person_id: int, data: bytes) -> Person:
    """Attach a registered photo (JPEG or PNG). Face-quality checks come with the face engine."""
    person = get_person(session, person_id)
    suffix = check_photo(data)
    before = person_snapshot(person)
    person.photo_path, person.photo_sha256 = store.put(data, kind="photos", suffix=suffix)
    record(session, actor, "person.photo_set", "person", person.id, before=before, after=person_snapshot(person))
    return person
