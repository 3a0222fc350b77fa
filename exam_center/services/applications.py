"""Exam applications (考试申请): gather the facts, run the eligibility gate, keep the outcome.

Two ways in (Order 30, Art. 13):
- ``file_for_trainee``: a training institution files for a trainee enrolled in one of its classes;
  the hours are those verified from attendance in that class (一期一档).
- ``file_with_certificate``: the exam centre's counter files for a registered person who brings a
  training certificate (培训证明) from another institution; the hours stated on it are used.

Both run ``services.eligibility.check_application`` and store the application, ELIGIBLE or REFUSED
with every reason (a refusal is kept for the record). Malformed input raises and stores nothing,
as does a second open (eligible or scheduled) application for the same item and exam part.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from exam_center.domain.contact import parse_text
from exam_center.domain.errors import (
    FieldErrors,
    N_,
    Conflict,
    DomainError,
    InvalidFields,
    NotFound,
    RuleViolation,
    ValidationError,
)
from exam_center.domain.idcard import mask_id_number, parse_id_number
from exam_center.models import (
    ApplicationKind,
    ApplicationStatus,
    Attendance,
    Enrolment,
    ExamApplication,
    ExamPart,
    ExamResult,
    Lesson,
    LessonKind,
    OperationItem,
    Person,
    ReapplicationBan,
    TrainingClass,
)
from exam_center.models.base import MAX_ROW_ID

from .audit import Actor, record
from .eligibility import (
    ApplicationFacts,
    AttendedHours,
    CertificateHours,
    GateResult,
    ItemFacts,
    Sitting,
    check_application,
    check_request,
)
from .lookup import fetch

OPEN_STATUSES = (ApplicationStatus.ELIGIBLE, ApplicationStatus.SCHEDULED)
MAX_CERTIFICATE_HOURS = 2000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


# --- parsing plain values -----------------------------------------------------------------------

def parse_kind(raw: str | ApplicationKind | None) -> ApplicationKind:
    if isinstance(raw, ApplicationKind):
        return raw
    try:
        return ApplicationKind((raw or "").strip())
    except ValueError:
        raise ValidationError("application.kind_unknown", N_("Choose the kind of application."),
                              field="kind") from None


def parse_part(raw: str | ExamPart | None) -> ExamPart:
    if isinstance(raw, ExamPart):
        return raw
    try:
        return ExamPart((raw or "").strip())
    except ValueError:
        raise ValidationError("application.part_unknown", N_("Choose the theory or the practical exam."),
                              field="part") from None


def parse_date(raw: str | date | None, *, field: str, required: bool) -> date | None:
    if isinstance(raw, date):
        return raw
    text = (raw or "").strip()
    if not text:
        if required:
            raise ValidationError("date.empty", N_("Enter a date."), field=field)
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("date.invalid", N_("%(value)s is not a date in the form YYYY-MM-DD."),
                              field=field, value=text[:20]) from None


def parse_row_id(raw: Any, *, field: str, error: DomainError) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = str(raw or "").strip()
        if not text.isascii() or not text.isdigit():
            raise error
        value = int(text)
    if not 0 < value <= MAX_ROW_ID:
        raise error
    return value


def parse_hours(raw: Any, *, field: str) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise ValidationError("hours.empty", N_("Enter the class hours stated on the certificate."), field=field)
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_CERTIFICATE_HOURS:
        raise ValidationError("hours.invalid", N_("Class hours must be a whole number from 1 to %(max)s."),
                              field=field, max=MAX_CERTIFICATE_HOURS)
    return int(text)


def _collect(parsers: dict[str, Any], filed_on: date) -> dict[str, Any]:
    """Run every parser and the kind/part/off-post check; raise all their errors together."""
    errors = FieldErrors()
    values = {key: errors.take(parse) for key, parse in parsers.items()}
    if not errors.has("kind") and not errors.has("part"):
        try:
            check_request(values["kind"], values["part"], filed_on, values.get("off_post_since"))
        except InvalidFields as error:
            # An off-post date that did not parse is reported once, by its parser.
            for problem in error.errors:
                if not (problem.field == "off_post_since" and errors.has("off_post_since")):
                    errors.add(problem)
    errors.raise_any()
    return values


# --- filing --------------------------------------------------------------------------------------

def file_for_trainee(
    session: Session,
    actor: Actor,
    *,
    institution_id: int,
    enrolment_id: Any,
    kind: str | ApplicationKind | None,
    part: str | ExamPart | None,
    health_declared: bool,
    filed_on: date,
    off_post_since: str | date | None = None,
) -> ExamApplication:
    """An institution files for a trainee of one of its classes."""
    not_found = NotFound("application.enrolment_not_found",
                         N_("Choose a trainee enrolled in one of your classes."), field="enrolment_id")
    values = _collect({
        "enrolment_id": lambda: parse_row_id(enrolment_id, field="enrolment_id", error=ValidationError(
            not_found.code, not_found.message, field="enrolment_id")),
        "kind": lambda: parse_kind(kind),
        "part": lambda: parse_part(part),
        "off_post_since": lambda: parse_date(off_post_since, field="off_post_since", required=False),
    }, filed_on)
    enrolment = session.scalar(
        sa.select(Enrolment).join(TrainingClass, TrainingClass.id == Enrolment.class_id)
        .where(Enrolment.id == values["enrolment_id"], TrainingClass.institution_id == institution_id)
        .options(joinedload(Enrolment.training_class)))
    if enrolment is None:
        raise not_found
    training_class = enrolment.training_class
    theory, practical = _class_hours(session, enrolment.id)
    training = AttendedHours(theory, practical, training_class.theory_hours, training_class.practical_hours)
    return _file(session, actor, person_id=enrolment.person_id, item_code=training_class.operation_item_code,
                 kind=values["kind"], part=values["part"], filed_on=filed_on, health_declared=bool(health_declared),
                 training=training, trained_until=training_class.ends_on, off_post_since=values["off_post_since"],
                 institution_id=institution_id, training_class_id=training_class.id)


def file_with_certificate(
    session: Session,
    actor: Actor,
    *,
    id_number: str | None,
    operation_item_code: str | None,
    certificate_number: str | None,
    certificate_hours: Any,
    trained_until: str | date | None,
    kind: str | ApplicationKind | None,
    part: str | ExamPart | None,
    health_declared: bool,
    filed_on: date,
    off_post_since: str | date | None = None,
) -> ExamApplication:
    """The exam centre's counter files for a registered person with another institution's training certificate."""
    values = _collect({
        "citizen": lambda: parse_id_number(id_number),
        "item_code": lambda: parse_text(operation_item_code, field="operation_item_code", max_length=8),
        "certificate_number": lambda: parse_text(certificate_number, field="certificate_number", max_length=100),
        "certificate_hours": lambda: parse_hours(certificate_hours, field="certificate_hours"),
        "trained_until": lambda: parse_date(trained_until, field="trained_until", required=True),
        "kind": lambda: parse_kind(kind),
        "part": lambda: parse_part(part),
        "off_post_since": lambda: parse_date(off_post_since, field="off_post_since", required=False),
    }, filed_on)
    if values["trained_until"] > filed_on:
        raise ValidationError("application.certificate_future",
                              N_("The training on the certificate cannot end after the filing date %(filed_on)s."),
                              field="trained_until", filed_on=filed_on.isoformat())
    person = session.scalar(sa.select(Person).where(Person.id_number == values["citizen"].number))
    if person is None:
        raise NotFound("application.person_not_registered",
                       N_("No person with ID number %(masked)s is registered; register the person first."),
                       field="id_number", masked=mask_id_number(values["citizen"].number))
    training = CertificateHours(values["certificate_number"], values["certificate_hours"])
    return _file(session, actor, person_id=person.id, item_code=values["item_code"], kind=values["kind"],
                 part=values["part"], filed_on=filed_on, health_declared=bool(health_declared), training=training,
                 trained_until=values["trained_until"], off_post_since=values["off_post_since"])


def _file(session: Session, actor: Actor, *, person_id: int, item_code: str, kind: ApplicationKind, part: ExamPart,
          filed_on: date, health_declared: bool, training: AttendedHours | CertificateHours,
          trained_until: date | None, off_post_since: date | None, institution_id: int | None = None,
          training_class_id: int | None = None) -> ExamApplication:
    # Serialise filings for one person (PostgreSQL; SQLite writers are serialised already), so two
    # concurrent requests cannot both pass the open-application check.
    person = session.scalar(sa.select(Person).where(Person.id == person_id).with_for_update())
    item = session.get(OperationItem, item_code)
    if item is None or not (item.effective_from <= filed_on
                            and (item.effective_to is None or filed_on <= item.effective_to)):
        raise ValidationError("application.item_unknown",
                              N_("%(item)s is not an operation item of the catalogue in force on %(date)s."),
                              field="operation_item_code", item=item_code[:8], date=filed_on.isoformat())
    open_id = session.scalar(sa.select(ExamApplication.id).where(
        ExamApplication.person_id == person_id, ExamApplication.operation_item_code == item.code,
        ExamApplication.part == part, ExamApplication.status.in_(OPEN_STATUSES)))
    if open_id is not None:
        raise Conflict("application.open_exists",
                       N_("This person already has an open application (no. %(number)s) for this operation item"
                          " and exam part."), field="part", number=open_id)
    facts = ApplicationFacts(
        filed_on=filed_on, kind=kind, part=part, birth_date=person.birth_date, sex=person.sex,
        education=person.education, health_declared=health_declared, training=training,
        trained_until=trained_until, off_post_since=off_post_since,
        item=ItemFacts(item.code, item.category_code, item.min_education, item.theory_hours, item.practical_hours,
                       item.total_hours, item.review_hours),
        sittings=tuple(Sitting(part_, passed, taken_on) for part_, passed, taken_on in session.execute(
            sa.select(ExamResult.part, ExamResult.passed, ExamResult.taken_on)
            .where(ExamResult.person_id == person_id, ExamResult.operation_item_code == item.code))),
        ban_until=session.scalar(sa.select(sa.func.max(ReapplicationBan.until))
                                 .where(ReapplicationBan.person_id == person_id)),
    )
    result = check_application(facts)
    application = ExamApplication(
        person_id=person_id, operation_item_code=item.code, kind=kind, part=part, institution_id=institution_id,
        training_class_id=training_class_id,
        external_certificate=training.number if isinstance(training, CertificateHours) else None,
        external_hours=training.hours if isinstance(training, CertificateHours) else None,
        trained_until=trained_until, off_post_since=off_post_since,
        health_declared=health_declared, filed_on=filed_on, exam_deadline=result.exam_deadline,
        status=ApplicationStatus.ELIGIBLE if result.eligible else ApplicationStatus.REFUSED,
        gate=[_stored(reason) for reason in result.reasons], rule_set=result.rule_set.name)
    session.add(application)
    session.flush()
    record(session, actor, "application.file", "exam_application", application.id,
           after=_snapshot(application, person, result, training, off_post_since, trained_until))
    return application


def _class_hours(session: Session, enrolment_id: int) -> tuple[int, int]:
    """Class hours attended in the enrolment's class, by kind (from attendance, never typed in)."""
    rows = dict(session.execute(
        sa.select(Lesson.kind, sa.func.coalesce(sa.func.sum(Lesson.class_hours), 0))
        .join(Attendance, Attendance.lesson_id == Lesson.id)
        .where(Attendance.enrolment_id == enrolment_id)
        .group_by(Lesson.kind)).all())
    return int(rows.get(LessonKind.THEORY, 0)), int(rows.get(LessonKind.PRACTICAL, 0))


def _stored(reason: DomainError) -> dict[str, Any]:
    return {"code": reason.code, "message": reason.message, "field": reason.field, "params": reason.params}


def _snapshot(application: ExamApplication, person: Person, result: GateResult,
              training: AttendedHours | CertificateHours, off_post_since: date | None,
              trained_until: date | None) -> dict[str, Any]:
    hours = ({"certificate": training.number, "hours": training.hours} if isinstance(training, CertificateHours)
             else {"theory": training.theory, "practical": training.practical})
    return {"person": mask_id_number(person.id_number), "item": application.operation_item_code,
            "kind": application.kind, "part": application.part, "status": application.status,
            "filed_on": application.filed_on, "exam_deadline": application.exam_deadline,
            "rule_set": application.rule_set, "reasons": [r.code for r in result.reasons],
            "hours": hours, "trained_until": trained_until, "off_post_since": off_post_since,
            "institution_id": application.institution_id, "training_class_id": application.training_class_id}


# --- reading -------------------------------------------------------------------------------------

def gate_reasons(application: ExamApplication) -> list[DomainError]:
    """The stored reasons as domain errors again, so the edge can render them in the reader's language."""
    return [RuleViolation(r["code"], r["message"], field=r.get("field"), **(r.get("params") or {}))
            for r in application.gate or []]


def get_application(session: Session, application_id: int, *, institution_id: int | None = None) -> ExamApplication:
    """One application; with ``institution_id`` only that institution's own (others are 'not found')."""
    error = NotFound("application.not_found", N_("No such exam application."), field="application_id")
    application = fetch(session, ExamApplication, application_id, error)
    if institution_id is not None and application.institution_id != institution_id:
        raise error
    return application


def list_applications(session: Session, *, institution_id: int | None = None,
                      status: ApplicationStatus | None = None, limit: int = 50,
                      offset: int = 0) -> list[ExamApplication]:
    query = (sa.select(ExamApplication).options(joinedload(ExamApplication.person))
             .order_by(ExamApplication.id.desc()).limit(limit).offset(offset))
    if institution_id is not None:
        query = query.where(ExamApplication.institution_id == institution_id)
    if status is not None:
        query = query.where(ExamApplication.status == status)
    return list(session.scalars(query))


def trainees(session: Session, institution_id: int) -> list[Enrolment]:
    """The institution's enrolments, newest class first, for choosing whom to file for."""
    return list(session.scalars(
        sa.select(Enrolment).join(TrainingClass, TrainingClass.id == Enrolment.class_id)
        .where(TrainingClass.institution_id == institution_id)
        .options(joinedload(Enrolment.person), joinedload(Enrolment.training_class))
        .order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc(), Enrolment.id)))


def operation_items(session: Session, on: date) -> list[OperationItem]:
    items = session.scalars(sa.select(OperationItem).where(
        OperationItem.effective_from <= on,
        sa.or_(OperationItem.effective_to.is_(None), OperationItem.effective_to >= on))).all()
    return sorted(items, key=lambda item: item.code_key)
