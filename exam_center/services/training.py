"""Training records (培训档案): classes, enrolments, lessons and attendance; verified hours from attendance.

Every use case that touches an existing class takes ``institution_id``: the institution the acting staff
member belongs to. A class of another institution is refused (培训机构 see only their own archives).
Hours are never typed in: a lesson is worth whole 45-minute class hours of its duration (AQ 8011-2023:
an offline 学时 is at least 45 minutes) and a trainee's hours are the sum over the lessons attended.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from exam_center.domain.contact import parse_person_name, parse_text
from exam_center.domain.errors import (
    FieldErrors,
    N_,
    Conflict,
    Forbidden,
    NotFound,
    ValidationError,
)
from exam_center.domain.idcard import mask_id_number, parse_id_number
from exam_center.evidence import EvidenceStore
from exam_center.models import (
    Attendance,
    AttendanceMethod,
    Enrolment,
    Lesson,
    LessonKind,
    OperationItem,
    Organisation,
    OrganisationKind,
    Person,
    TrainingClass,
)
from exam_center.models.base import MAX_ROW_ID

from .audit import Actor, record
from .lookup import fetch
from .people import MAX_PHOTO_BYTES, register_person, set_person_photo

MAX_CLASS_SIZE = 100          # local rule (rules.md §6.2): classes of at most 100 trainees
MINUTES_PER_CLASS_HOUR = 45   # AQ 8011-2023: an offline class hour is at least 45 minutes
MAX_PLANNED_HOURS = 1000
MIN_PHOTO_SIDE = 100          # pixels; the face-quality gate comes with the face engine
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class VerifiedHours:
    """Class hours (学时) a trainee was recorded at, by kind; never typed in."""

    theory: int = 0
    practical: int = 0

    @property
    def total(self) -> int:
        return self.theory + self.practical


def verified_hours(session: Session, person_id: int, operation_item_code: str,
                   institution_id: int | None = None) -> VerifiedHours:
    """Attended class hours of a person in classes for an operation item (optionally of one institution)."""
    query = (sa.select(Lesson.kind, sa.func.coalesce(sa.func.sum(Lesson.class_hours), 0))
             .join(Attendance, Attendance.lesson_id == Lesson.id)
             .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
             .join(TrainingClass, TrainingClass.id == Enrolment.class_id)
             .where(Enrolment.person_id == person_id, TrainingClass.operation_item_code == operation_item_code)
             .group_by(Lesson.kind))
    if institution_id is not None:
        query = query.where(TrainingClass.institution_id == institution_id)
    hours = dict(session.execute(query).all())
    return VerifiedHours(int(hours.get(LessonKind.THEORY, 0)), int(hours.get(LessonKind.PRACTICAL, 0)))


# --- parsing what people type -----------------------------------------------------------------------------

def _text(raw: object) -> str:
    return unicodedata.normalize("NFKC", "" if raw is None else str(raw)).strip()


def _parse_date(raw: object, *, field: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        value = raw
    else:
        text = _text(raw)
        if not text:
            raise ValidationError("date.empty", N_("Enter a date."), field=field)
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError("date.format", N_("'%(value)s' is not a date; write it as YYYY-MM-DD."),
                                  field=field, value=text[:20]) from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError("date.range", N_("The date must lie between %(first)s and %(last)s."), field=field,
                              first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat())
    return value


def _parse_time(raw: object, *, field: str) -> dt.time:
    if isinstance(raw, dt.time):
        return raw.replace(second=0, microsecond=0)
    text = _text(raw)
    if not text:
        raise ValidationError("time.empty", N_("Enter a time."), field=field)
    match = _TIME.match(text)
    if not match:
        raise ValidationError("time.format", N_("'%(value)s' is not a time; write it as HH:MM, e.g. 08:30."),
                              field=field, value=text[:20])
    return dt.time(int(match.group(1)), int(match.group(2)))


def _parse_int(raw: object, *, field: str, minimum: int, maximum: int) -> int:
    if isinstance(raw, bool):
        raise ValidationError("number.format", N_("'%(value)s' is not a whole number."), field=field, value=raw)
    if isinstance(raw, int):
        value = raw
    else:
        text = _text(raw)
        if not text:
            raise ValidationError("number.empty", N_("Enter a number."), field=field)
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise ValidationError("number.format", N_("'%(value)s' is not a whole number."), field=field,
                                  value=text[:20])
        value = int(text)
    if not minimum <= value <= maximum:
        raise ValidationError("number.range", N_("Enter a number from %(min)s to %(max)s."), field=field,
                              min=minimum, max=maximum)
    return value


def _parse_enum(enum_type, raw: object, *, field: str, message: str):
    if isinstance(raw, enum_type):
        return raw
    try:
        return enum_type(_text(raw))
    except ValueError:
        raise ValidationError(f"{field}.choice", message, field=field) from None


def class_hours_of(starts_at: dt.time, ends_at: dt.time) -> int:
    """Whole 45-minute class hours in a lesson's duration (a class hour is ≥ 45 minutes)."""
    minutes = (ends_at.hour * 60 + ends_at.minute) - (starts_at.hour * 60 + starts_at.minute)
    return max(minutes, 0) // MINUTES_PER_CLASS_HOUR


# --- snapshots for the audit trail ------------------------------------------------------------------------

def class_snapshot(c: TrainingClass) -> dict:
    return {"institution_id": c.institution_id, "operation_item_code": c.operation_item_code, "name": c.name,
            "starts_on": c.starts_on, "ends_on": c.ends_on, "theory_hours": c.theory_hours,
            "practical_hours": c.practical_hours, "teachers": c.teachers, "capacity": c.capacity}


def lesson_snapshot(lesson: Lesson) -> dict:
    return {"class_id": lesson.class_id, "day": lesson.day, "starts_at": lesson.starts_at.strftime("%H:%M"),
            "ends_at": lesson.ends_at.strftime("%H:%M"), "kind": lesson.kind, "class_hours": lesson.class_hours,
            "topic": lesson.topic}


# --- lookups scoped to the institution --------------------------------------------------------------------

def get_class(session: Session, class_id: int, institution_id: int | None = None) -> TrainingClass:
    """The class; refused if it belongs to another institution than ``institution_id`` (when given)."""
    training_class = fetch(session, TrainingClass, class_id,
                           NotFound("training_class.not_found", N_("No such training class."), field="class_id"))
    if institution_id is not None and training_class.institution_id != institution_id:
        raise Forbidden("training_class.other_institution",
                        N_("This training class belongs to another training institution."), field="class_id")
    return training_class


def get_lesson(session: Session, lesson_id: int, institution_id: int | None = None) -> Lesson:
    lesson = fetch(session, Lesson, lesson_id, NotFound("lesson.not_found", N_("No such lesson."), field="lesson_id"))
    get_class(session, lesson.class_id, institution_id)
    return lesson


def list_classes(session: Session, institution_id: int) -> list[tuple[TrainingClass, int]]:
    """The institution's classes, newest first, with the number of trainees enrolled."""
    enrolled = (sa.select(sa.func.count(Enrolment.id)).where(Enrolment.class_id == TrainingClass.id)
                .correlate(TrainingClass).scalar_subquery())
    rows = session.execute(sa.select(TrainingClass, enrolled)
                           .where(TrainingClass.institution_id == institution_id)
                           .options(selectinload(TrainingClass.operation_item))
                           .order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc()))
    return [(c, int(n)) for c, n in rows]


def _institution(session: Session, institution_id: int) -> Organisation:
    org = fetch(session, Organisation, institution_id,
                NotFound("organisation.not_found", N_("No such organisation."), field="institution_id"))
    if org.kind is not OrganisationKind.TRAINING_INSTITUTION:
        raise Conflict("training_class.organisation_kind", N_("Training classes belong to a training institution."),
                       field="institution_id")
    return org


# --- classes ----------------------------------------------------------------------------------------------

def create_class(
    session: Session,
    actor: Actor,
    *,
    institution_id: int,
    operation_item_code: str,
    name: str,
    starts_on: dt.date | str,
    ends_on: dt.date | str,
    theory_hours: int | str | None = None,
    practical_hours: int | str | None = None,
    teachers: str,
    capacity: int | str,
) -> TrainingClass:
    """Open a class (一期). Planned hours default to the outline's and may not fall below them."""
    institution = _institution(session, institution_id)
    errors = FieldErrors()
    name = errors.take(parse_text, name, field="name", max_length=60)
    teachers = errors.take(parse_text, teachers, field="teachers", max_length=200)
    capacity = errors.take(_parse_int, capacity, field="capacity", minimum=1, maximum=MAX_CLASS_SIZE)
    starts = errors.take(_parse_date, starts_on, field="starts_on")
    ends = errors.take(_parse_date, ends_on, field="ends_on")
    if starts and ends and ends < starts:
        errors.add(ValidationError("training_class.dates_order",
                                   N_("The class cannot end (%(ends)s) before it starts (%(starts)s)."),
                                   field="ends_on", ends=ends.isoformat(), starts=starts.isoformat()))
    code = _text(operation_item_code)
    item = session.get(OperationItem, code) if code else None
    if item is None:
        errors.add(ValidationError("training_class.operation_item", N_("Choose an operation item from the catalogue."),
                                   field="operation_item_code"))
    elif starts and item.effective_to is not None and item.effective_to <= starts:
        errors.add(ValidationError("training_class.item_retired",
                                   N_("The operation item %(code)s was withdrawn from the catalogue on %(date)s."),
                                   field="operation_item_code", code=item.code, date=item.effective_to.isoformat()))
    planned = {}
    for field, raw, outline in (("theory_hours", theory_hours, item.theory_hours if item else None),
                                ("practical_hours", practical_hours, item.practical_hours if item else None)):
        if raw is None or _text(raw) == "":
            if item is None:
                continue
            if outline is None:
                errors.add(ValidationError(
                    "training_class.hours_needed",
                    N_("The catalogue gives no outline hours for this part of the item; enter the planned hours."),
                    field=field))
                continue
            planned[field] = outline
            continue
        value = errors.take(_parse_int, raw, field=field, minimum=0, maximum=MAX_PLANNED_HOURS)
        if value is None:
            continue
        if outline is not None and value < outline:
            errors.add(ValidationError("training_class.hours_below_outline",
                                       N_("The training outline requires at least %(min)s class hours here."),
                                       field=field, min=outline))
            continue
        planned[field] = value
    if item is not None and len(planned) == 2 and not errors.has("theory_hours") and not errors.has("practical_hours"):
        total = planned["theory_hours"] + planned["practical_hours"]
        if item.total_hours is not None and total < item.total_hours:
            errors.add(ValidationError(
                "training_class.total_below_outline",
                N_("The training outline requires at least %(min)s class hours in total; %(given)s are planned."),
                field="theory_hours", min=item.total_hours, given=total))
        elif total == 0:
            errors.add(ValidationError("training_class.no_hours", N_("Plan at least one class hour."),
                                       field="theory_hours"))
    errors.raise_any()
    if session.scalar(sa.select(TrainingClass.id).where(TrainingClass.institution_id == institution.id,
                                                        TrainingClass.name == name)):
        raise Conflict("training_class.duplicate_name", N_("Your institution already has a class named '%(name)s'."),
                       field="name", name=name)
    training_class = TrainingClass(institution_id=institution.id, operation_item_code=item.code, name=name,
                                   starts_on=starts, ends_on=ends, teachers=teachers, capacity=capacity, **planned)
    session.add(training_class)
    session.flush()
    record(session, actor, "training_class.create", "training_class", training_class.id,
           after=class_snapshot(training_class))
    return training_class


# --- enrolment --------------------------------------------------------------------------------------------

def check_photo(data: bytes) -> None:
    """A readable JPEG or PNG of at least 100×100 pixels and at most 5 MB."""
    if not data:
        raise ValidationError("photo.empty", N_("The photo file is empty."), field="photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError("photo.too_large", N_("The photo is larger than %(mb)s MB."), field="photo", mb=5)
    readable = data.startswith((b"\xff\xd8\xff", b"\x89PNG"))
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if readable else None
    if image is None:
        raise ValidationError("photo.format", N_("The photo must be a readable JPEG or PNG image."), field="photo")
    height, width = image.shape[:2]
    if min(height, width) < MIN_PHOTO_SIDE:
        raise ValidationError("photo.too_small",
                              N_("The photo is %(width)s×%(height)s pixels; it needs at least %(min)s×%(min)s."),
                              field="photo", width=width, height=height, min=MIN_PHOTO_SIDE)


def enrol(
    session: Session,
    actor: Actor,
    *,
    class_id: int,
    institution_id: int | None,
    id_number: str,
    name: str,
    education: str | None = None,
    phone: str | None = None,
    photo: bytes | None = None,
    store: EvidenceStore | None = None,
) -> Enrolment:
    """Enrol a person, registering them first if their ID number is new.

    A person already registered keeps their registered data; the name typed must match it.
    """
    training_class = get_class(session, class_id, institution_id)
    errors = FieldErrors()
    citizen = errors.take(parse_id_number, id_number)
    typed_name = errors.take(parse_person_name, name)
    if photo is not None:
        errors.take(check_photo, photo)
    errors.raise_any()
    person = session.scalar(sa.select(Person).where(Person.id_number == citizen.number))
    if person is not None:
        if person.name != typed_name:
            raise Conflict("enrolment.name_mismatch",
                           N_("ID number %(masked)s is registered under another name; check the name and the "
                              "ID number."), field="name", masked=mask_id_number(citizen.number))
        if session.scalar(sa.select(Enrolment.id).where(Enrolment.class_id == training_class.id,
                                                        Enrolment.person_id == person.id)):
            raise Conflict("enrolment.duplicate", N_("%(name)s is already enrolled in this class."),
                           field="id_number", name=person.name)
    # Concurrent enrolments into the last place queue on the class row (PostgreSQL; SQLite writes one at a time).
    session.execute(sa.select(TrainingClass.id).where(TrainingClass.id == training_class.id).with_for_update())
    enrolled = session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.class_id == training_class.id))
    if enrolled >= training_class.capacity:
        raise Conflict("enrolment.class_full", N_("The class is full: all %(capacity)s places are taken."),
                       capacity=training_class.capacity)
    if person is None:
        person = register_person(session, actor, id_number=citizen.number, name=typed_name,
                                 education=education or "", phone=phone or "")
    enrolment = Enrolment(class_id=training_class.id, person_id=person.id)
    session.add(enrolment)
    session.flush()
    record(session, actor, "training_class.enrol", "training_class", training_class.id,
           after={"enrolment_id": enrolment.id, "person_id": person.id,
                  "id_number": mask_id_number(person.id_number), "name": person.name})
    if photo is not None:
        if store is None:
            raise ValueError("enrol() with a photo needs the evidence store")
        set_person_photo(session, actor, store, person.id, photo)
    return enrolment


def set_trainee_photo(session: Session, actor: Actor, store: EvidenceStore, *, enrolment_id: int,
                      institution_id: int | None, photo: bytes) -> Person:
    """Replace the registered photo of a trainee of one's own class."""
    enrolment = get_enrolment(session, enrolment_id, institution_id)
    check_photo(photo)
    return set_person_photo(session, actor, store, enrolment.person_id, photo)


def get_enrolment(session: Session, enrolment_id: int, institution_id: int | None) -> Enrolment:
    enrolment = fetch(session, Enrolment, enrolment_id,
                      NotFound("enrolment.not_found", N_("No such trainee in this class."), field="enrolment_id"))
    get_class(session, enrolment.class_id, institution_id)
    return enrolment


# --- lessons and attendance -------------------------------------------------------------------------------

def add_lesson(
    session: Session,
    actor: Actor,
    *,
    class_id: int,
    institution_id: int | None,
    day: dt.date | str,
    starts_at: dt.time | str,
    ends_at: dt.time | str,
    kind: LessonKind | str,
    topic: str = "",
) -> Lesson:
    """A dated lesson of the class; its class hours come from its duration."""
    training_class = get_class(session, class_id, institution_id)
    errors = FieldErrors()
    day = errors.take(_parse_date, day, field="day")
    start = errors.take(_parse_time, starts_at, field="starts_at")
    end = errors.take(_parse_time, ends_at, field="ends_at")
    kind = errors.take(_parse_enum, LessonKind, kind, field="kind", message=N_("Choose theory or practical."))
    topic = errors.take(parse_text, topic, field="topic", max_length=100, required=False)
    if day and not training_class.starts_on <= day <= training_class.ends_on:
        errors.add(ValidationError("lesson.outside_class",
                                   N_("The lesson day must lie within the class dates, %(starts)s to %(ends)s."),
                                   field="day", starts=training_class.starts_on.isoformat(),
                                   ends=training_class.ends_on.isoformat()))
    hours = 0
    if start and end:
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        hours = class_hours_of(start, end)
        if minutes <= 0:
            errors.add(ValidationError("lesson.times_order", N_("The lesson must end after it starts."),
                                       field="ends_at"))
        elif hours == 0:
            errors.add(ValidationError(
                "lesson.too_short",
                N_("The lesson lasts %(minutes)s minutes, which is not one class hour: a class hour needs at "
                   "least %(per_hour)s minutes."), field="ends_at", minutes=minutes, per_hour=MINUTES_PER_CLASS_HOUR))
    errors.raise_any()
    clash = session.scalar(sa.select(Lesson).where(Lesson.class_id == training_class.id, Lesson.day == day,
                                                   Lesson.starts_at < end, Lesson.ends_at > start).limit(1))
    if clash is not None:
        raise Conflict("lesson.overlap", N_("The class already has a lesson from %(starts)s to %(ends)s that day."),
                       field="starts_at", starts=clash.starts_at.strftime("%H:%M"),
                       ends=clash.ends_at.strftime("%H:%M"))
    lesson = Lesson(class_id=training_class.id, day=day, starts_at=start, ends_at=end, kind=kind,
                    class_hours=hours, topic=topic)
    session.add(lesson)
    session.flush()
    record(session, actor, "training_class.lesson_add", "lesson", lesson.id, after=lesson_snapshot(lesson))
    return lesson


def _parse_attendance(method: AttendanceMethod | str, reason: str | None) -> tuple[AttendanceMethod, str | None]:
    errors = FieldErrors()
    method = errors.take(_parse_enum, AttendanceMethod, method, field="method",
                         message=N_("Choose how attendance was checked: face, ID card or manual."))
    reason = errors.take(parse_text, reason, field="reason", max_length=200, required=False)
    if method is AttendanceMethod.MANUAL and not reason and not errors.has("reason"):
        errors.add(ValidationError("attendance.reason_required",
                                   N_("Manual attendance needs a reason (e.g. the ID card reader failed)."),
                                   field="reason"))
    errors.raise_any()
    return method, reason or None


def _recorder(actor: Actor) -> int | None:
    return int(actor.id) if actor.type == "staff" and actor.id and actor.id.isdigit() else None


def _check_lesson_day(lesson: Lesson, today: dt.date | None) -> None:
    today = today or dt.date.today()
    if lesson.day > today:
        raise Conflict("attendance.future_lesson",
                       N_("The lesson on %(day)s has not taken place yet; attendance can be recorded from that day."),
                       day=lesson.day.isoformat())


def record_attendance(
    session: Session,
    actor: Actor,
    *,
    lesson_id: int,
    enrolment_id: int,
    institution_id: int | None,
    method: AttendanceMethod | str,
    reason: str | None = None,
    today: dt.date | None = None,
) -> Attendance:
    """One trainee present at one lesson (once); manual records need a reason."""
    return record_attendance_bulk(session, actor, lesson_id=lesson_id, enrolment_ids=[enrolment_id],
                                  institution_id=institution_id, method=method, reason=reason, today=today)[0]


def record_attendance_bulk(
    session: Session,
    actor: Actor,
    *,
    lesson_id: int,
    enrolment_ids: Iterable[int],
    institution_id: int | None,
    method: AttendanceMethod | str,
    reason: str | None = None,
    today: dt.date | None = None,
) -> list[Attendance]:
    """Several trainees present at one lesson, all or nothing."""
    lesson = get_lesson(session, lesson_id, institution_id)
    method, reason = _parse_attendance(method, reason)
    ids = list(dict.fromkeys(enrolment_ids))
    if any(not isinstance(i, int) or isinstance(i, bool) or not 0 < i <= MAX_ROW_ID for i in ids):
        raise NotFound("attendance.not_in_class", N_("Only trainees enrolled in this lesson's class can attend it."),
                       field="enrolment_ids")
    if not ids:
        raise ValidationError("attendance.nobody", N_("Tick at least one trainee."), field="enrolment_ids")
    _check_lesson_day(lesson, today)
    enrolments = {e.id: e for e in session.scalars(sa.select(Enrolment).where(Enrolment.id.in_(ids))
                                                    .options(selectinload(Enrolment.person)))}
    if any(i not in enrolments or enrolments[i].class_id != lesson.class_id for i in ids):
        raise NotFound("attendance.not_in_class", N_("Only trainees enrolled in this lesson's class can attend it."),
                       field="enrolment_ids")
    already = session.scalars(sa.select(Attendance.enrolment_id).where(Attendance.lesson_id == lesson.id,
                                                                       Attendance.enrolment_id.in_(ids))).all()
    if already:
        raise Conflict("attendance.duplicate", N_("Attendance of %(name)s at this lesson is already recorded."),
                       field="enrolment_ids", name=enrolments[already[0]].person.name)
    records = [Attendance(lesson_id=lesson.id, enrolment_id=i, method=method, reason=reason,
                          recorded_by_id=_recorder(actor)) for i in ids]
    session.add_all(records)
    session.flush()
    record(session, actor, "training_class.attendance", "lesson", lesson.id,
           after={"enrolment_ids": ids, "method": method, "reason": reason, "class_hours": lesson.class_hours})
    return records


# --- the class record (一期一档) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TraineeHours:
    enrolment: Enrolment
    hours: VerifiedHours
    planned: VerifiedHours

    @property
    def complete(self) -> bool:
        return (self.hours.theory >= self.planned.theory and self.hours.practical >= self.planned.practical
                and self.hours.total >= self.planned.total)


def class_hours(session: Session, training_class: TrainingClass) -> list[TraineeHours]:
    """Verified hours of every trainee in this class, from its attendance, against the class's planned hours."""
    rows = session.execute(sa.select(Attendance.enrolment_id, Lesson.kind, sa.func.sum(Lesson.class_hours))
                           .join(Lesson, Lesson.id == Attendance.lesson_id)
                           .where(Lesson.class_id == training_class.id)
                           .group_by(Attendance.enrolment_id, Lesson.kind))
    sums: dict[int, dict[LessonKind, int]] = {}
    for enrolment_id, kind, hours in rows:
        sums.setdefault(enrolment_id, {})[kind] = int(hours or 0)
    planned = VerifiedHours(training_class.theory_hours, training_class.practical_hours)
    enrolments = session.scalars(sa.select(Enrolment).where(Enrolment.class_id == training_class.id)
                                 .options(selectinload(Enrolment.person)).order_by(Enrolment.id))
    return [TraineeHours(e, VerifiedHours(sums.get(e.id, {}).get(LessonKind.THEORY, 0),
                                          sums.get(e.id, {}).get(LessonKind.PRACTICAL, 0)), planned)
            for e in enrolments]


def lesson_attendance(session: Session, lesson: Lesson) -> dict[int, Attendance]:
    """enrolment id → attendance record, for one lesson."""
    return {a.enrolment_id: a for a in session.scalars(sa.select(Attendance).where(Attendance.lesson_id == lesson.id))}


KIND_ZH = {LessonKind.THEORY: "理论", LessonKind.PRACTICAL: "实操"}
METHOD_ZH = {AttendanceMethod.FACE: "人脸识别", AttendanceMethod.ID_CARD: "身份证读卡", AttendanceMethod.MANUAL: "人工"}
ARCHIVE_SHEETS = ("班级信息", "学员", "课次", "考勤", "学时汇总")


def class_archive(session: Session, class_id: int, institution_id: int | None) -> dict:
    """The whole record of one class (一期一档) as plain data, Chinese labels (a fixed archive format)."""
    c = get_class(session, class_id, institution_id)
    item = c.operation_item
    info = {"班级编号": c.id, "班级名称": c.name, "培训机构": c.institution.name,
            "统一社会信用代码": c.institution.credit_code, "操作项目代码": item.code, "操作项目": item.name_zh,
            "开班日期": c.starts_on.isoformat(), "结业日期": c.ends_on.isoformat(),
            "计划理论学时": c.theory_hours, "计划实操学时": c.practical_hours,
            "计划总学时": c.theory_hours + c.practical_hours, "授课教师": c.teachers, "班额": c.capacity,
            "大纲理论学时": item.theory_hours, "大纲实操学时": item.practical_hours, "大纲总学时": item.total_hours}
    hours = class_hours(session, c)
    trainees = [{"学员序号": n, "身份证号": t.enrolment.person.id_number, "姓名": t.enrolment.person.name,
                 "性别": "男" if t.enrolment.person.sex == "M" else "女",
                 "出生日期": t.enrolment.person.birth_date.isoformat(),
                 "文化程度": t.enrolment.person.education.label_zh, "联系电话": t.enrolment.person.phone,
                 "登记照片SHA256": t.enrolment.person.photo_sha256 or "",
                 "报名时间": t.enrolment.enrolled_at.isoformat(timespec="seconds")}
                for n, t in enumerate(hours, start=1)]
    number = {t.enrolment.id: n for n, t in enumerate(hours, start=1)}
    lessons = list(c.lessons)
    lesson_rows = [{"课次序号": n, "日期": l.day.isoformat(), "开始": l.starts_at.strftime("%H:%M"),
                    "结束": l.ends_at.strftime("%H:%M"), "类别": KIND_ZH[l.kind], "学时": l.class_hours,
                    "内容": l.topic} for n, l in enumerate(lessons, start=1)]
    lesson_number = {l.id: n for n, l in enumerate(lessons, start=1)}
    people = {t.enrolment.id: t.enrolment.person for t in hours}
    records = session.scalars(sa.select(Attendance).join(Lesson, Lesson.id == Attendance.lesson_id)
                              .where(Lesson.class_id == c.id).options(selectinload(Attendance.lesson))
                              .order_by(Lesson.day, Lesson.starts_at, Attendance.enrolment_id))
    attendance = [{"课次序号": lesson_number[a.lesson_id], "日期": a.lesson.day.isoformat(),
                   "学员序号": number[a.enrolment_id], "姓名": people[a.enrolment_id].name,
                   "身份证号": people[a.enrolment_id].id_number, "考勤方式": METHOD_ZH[a.method],
                   "人工原因": a.reason or "", "学时": a.lesson.class_hours,
                   "记录时间": a.recorded_at.isoformat(timespec="seconds")} for a in records]
    summary = [{"学员序号": number[t.enrolment.id], "姓名": t.enrolment.person.name,
                "身份证号": t.enrolment.person.id_number, "理论学时": t.hours.theory, "实操学时": t.hours.practical,
                "总学时": t.hours.total, "计划理论学时": t.planned.theory, "计划实操学时": t.planned.practical,
                "是否达到计划学时": "是" if t.complete else "否"} for t in hours]
    return {"班级信息": info, "学员": trainees, "课次": lesson_rows, "考勤": attendance, "学时汇总": summary}


def _archive_xlsx(archive: dict) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = ARCHIVE_SHEETS[0]
    sheet.append(["项目", "内容"])
    for key, value in archive[ARCHIVE_SHEETS[0]].items():
        sheet.append([key, "" if value is None else value])
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 40
    for title in ARCHIVE_SHEETS[1:]:
        sheet = book.create_sheet(title)
        rows = archive[title]
        headers = list(rows[0]) if rows else _EMPTY_HEADERS[title]
        sheet.append(headers)
        for row in rows:
            sheet.append([row[h] for h in headers])
        for column, header in enumerate(headers, start=1):
            sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = \
                22 if header in ("身份证号", "记录时间", "报名时间", "内容", "人工原因") else 12
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    # ID numbers stay text (Excel would turn 18 digits into a rounded number).
    for sheet in book.worksheets[1:]:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_EMPTY_HEADERS = {
    "学员": ["学员序号", "身份证号", "姓名", "性别", "出生日期", "文化程度", "联系电话", "登记照片SHA256", "报名时间"],
    "课次": ["课次序号", "日期", "开始", "结束", "类别", "学时", "内容"],
    "考勤": ["课次序号", "日期", "学员序号", "姓名", "身份证号", "考勤方式", "人工原因", "学时", "记录时间"],
    "学时汇总": ["学员序号", "姓名", "身份证号", "理论学时", "实操学时", "总学时", "计划理论学时", "计划实操学时",
             "是否达到计划学时"],
}


def export_archive(session: Session, actor: Actor, *, class_id: int, institution_id: int | None,
                   fmt: str) -> tuple[bytes, str, str]:
    """(content, filename, mimetype) of the class archive as xlsx or JSON; the export is audited."""
    if fmt not in ("xlsx", "json"):
        raise ValidationError("export.format", N_("Export as xlsx or json."), field="format")
    archive = class_archive(session, class_id, institution_id)
    if fmt == "xlsx":
        content = _archive_xlsx(archive)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = json.dumps(archive, ensure_ascii=False, indent=2).encode("utf-8")
        mimetype = "application/json"
    record(session, actor, "training_class.export", "training_class", class_id,
           after={"format": fmt, "trainees": len(archive["学员"]), "lessons": len(archive["课次"]),
                  "attendance": len(archive["考勤"])})
    return content, f"class-{class_id}-archive.{fmt}", mimetype
