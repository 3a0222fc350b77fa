"""Exam-centre scheduling (考务编排): halls, sessions, candidates into seats, staff without conflicts of interest,
closing a session with every candidate's paper drawn and frozen, rosters.

Every use case takes the exam centre it acts for (``centre_id``): an exam administrator sees and changes only the
sessions, halls and staff of their own centre; anything else is simply not found.
"""
from __future__ import annotations

import csv
import io
import random
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from exam_center.domain.contact import parse_text
from exam_center.domain.errors import N_, Conflict, DomainError, NotFound, RuleViolation, ValidationError
from exam_center.domain.idcard import mask_id_number
from exam_center.models import (
    ApplicationKind, ApplicationStatus, Device, DeviceKind, Duty, ExamApplication, ExamPart, ExamRoom, ExamSession,
    OperationItem, Organisation, OrganisationKind, Role, RoomKind, Seat, SessionCandidate, SessionStaff,
    SessionStatus, StaffAffiliation, StaffUser, Station, utcnow,
)
from exam_center.models.base import MAX_ROW_ID

from .audit import Actor, record
from .blueprints import definition_of, ensure_default_blueprint
from .lookup import fetch
from .organisations import get_exam_centre
from .papers import MAX_PAPERS_PER_CALL, draw_papers

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
PRACTICAL_MINUTES_DEFAULT = 60
MIN_MINUTES, MAX_MINUTES = 10, 480
MAX_SIMULATOR_ADDRESS = 247
TICKET_SEQUENCE_DIGITS = 6

PART_ROOM_KIND = {ExamPart.THEORY: RoomKind.THEORY, ExamPart.PRACTICAL: RoomKind.PRACTICAL}
DUTY_ROLE = {Duty.PROCTOR: Role.PROCTOR, Duty.EXAMINER: Role.EXAMINER}


# --- small helpers -------------------------------------------------------------------------------------------


def local_date(moment: datetime, zone: ZoneInfo = LOCAL_ZONE) -> date:
    return moment.astimezone(zone).date()


def local_text(moment: datetime, zone: ZoneInfo = LOCAL_ZONE) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def parse_local_datetime(raw: str | None, zone: ZoneInfo = LOCAL_ZONE, *, field: str = "starts_at") -> datetime:
    """A wall-clock time typed on a page ("2026-07-01T09:00" or "2026-07-01 09:00") in the centre's zone."""
    text = (raw or "").strip()
    try:
        if not 16 <= len(text) <= 19:
            raise ValueError(text)
        value = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise ValidationError("session.starts_at_format",
                              N_("Enter the start as a date and time, for example 2026-07-01 09:00."),
                              field=field) from None
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zone)


def parse_int(raw: object, *, field: str, minimum: int, maximum: int) -> int:
    """A whole number typed on a page, within bounds."""
    text = str(raw if raw is not None else "").strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 9:
        raise ValidationError("number.invalid", N_("Enter a whole number."), field=field)
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValidationError("number.range", N_("Enter a number from %(min)s to %(max)s."), field=field,
                              min=minimum, max=maximum)
    return value


class SchedulingRefused(RuleViolation):
    """Several candidates were refused at once; each reason is listed (nothing was scheduled)."""

    def __init__(self, errors: list[DomainError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.code, first.message, field=first.field, **first.params)


def _centre(session: Session, centre_id: int) -> Organisation:
    return get_exam_centre(session, centre_id, Conflict(
        "session.organisation_kind", N_("Exam sessions belong to an exam centre."), field="centre_id"))


def _lock_centre(session: Session, centre_id: int) -> None:
    """Serialise changes to one centre's sessions (ticket numbers, seats, staff) on PostgreSQL.

    SQLite already serialises writers (BEGIN IMMEDIATE).
    """
    session.execute(sa.select(Organisation.id).where(Organisation.id == centre_id).with_for_update())


_SESSION_NOT_FOUND = NotFound("session.not_found", N_("No such exam session."), field="session_id")


def get_exam_session(session: Session, session_id: int, centre_id: int | None = None) -> ExamSession:
    row = fetch(session, ExamSession, session_id, _SESSION_NOT_FOUND)
    if centre_id is not None and row.centre_id != centre_id:
        raise _SESSION_NOT_FOUND
    return row


def _open_session(session: Session, centre_id: int, session_id: int) -> ExamSession:
    """The session, locked for change, which must still be open."""
    _centre(session, centre_id)
    _lock_centre(session, centre_id)
    row = get_exam_session(session, session_id, centre_id)
    session.refresh(row)
    if row.status is not SessionStatus.OPEN:
        raise Conflict("session.closed", N_("The session is closed: its candidates, seats and staff no longer change."))
    return row


def _room(session: Session, centre_id: int, room_id: int) -> ExamRoom:
    error = NotFound("room.not_found", N_("No such exam room."), field="room_id")
    room = fetch(session, ExamRoom, room_id, error)
    if room.centre_id != centre_id:
        raise error
    return room


def _usable_places(session: Session, room: ExamRoom, operation_item_code: str) -> list[Seat] | list[Station]:
    """Active seats of a theory hall; active stations of a practical hall serving the item (or any item)."""
    if room.kind is RoomKind.THEORY:
        return list(session.scalars(sa.select(Seat).where(Seat.room_id == room.id, Seat.active.is_(True))
                                    .order_by(Seat.label)))
    return list(session.scalars(sa.select(Station).where(
        Station.room_id == room.id, Station.active.is_(True),
        sa.or_(Station.operation_item_code.is_(None), Station.operation_item_code == operation_item_code))
        .order_by(Station.label)))


def session_snapshot(row: ExamSession) -> dict:
    return {"centre_id": row.centre_id, "room_id": row.room_id, "part": row.part,
            "operation_item": row.operation_item_code, "blueprint_id": row.blueprint_id,
            "starts_at": row.starts_at, "duration_minutes": row.duration_minutes, "capacity": row.capacity,
            "status": row.status}


# --- halls: seats bound to terminals, stations bound to simulators ---------------------------------------------


def _seat(session: Session, centre_id: int, seat_id: int) -> Seat:
    error = NotFound("seat.not_found", N_("No such seat."), field="seat_id")
    seat = fetch(session, Seat, seat_id, error)
    if seat.room.centre_id != centre_id:
        raise error
    return seat


def bind_terminal(session: Session, actor: Actor, *, centre_id: int, seat_id: int,
                  terminal_id: int | None) -> Seat:
    """Bind a seat to an exam terminal of the same centre (one terminal per seat), or unbind it (None)."""
    _centre(session, centre_id)
    seat = _seat(session, centre_id, seat_id)
    before = {"terminal_id": seat.terminal_id}
    if terminal_id is not None:
        error = NotFound("device.not_found", N_("No such exam terminal at this centre."), field="terminal_id")
        device = fetch(session, Device, terminal_id, error)
        if device.organisation_id != centre_id or device.kind is not DeviceKind.EXAM_TERMINAL:
            raise error
        if not device.active:
            raise Conflict("device.inactive", N_("The terminal %(name)s is deactivated."), field="terminal_id",
                           name=device.name)
        other = session.scalar(sa.select(Seat).where(Seat.terminal_id == device.id, Seat.id != seat.id))
        if other is not None:
            raise Conflict("seat.terminal_taken",
                           N_("The terminal %(name)s is already bound to seat %(seat)s of %(room)s."),
                           field="terminal_id", name=device.name, seat=other.label, room=other.room.name)
    seat.terminal_id = terminal_id
    session.flush()
    record(session, actor, "room.seat_bind", "seat", seat.id, before=before, after={"terminal_id": terminal_id})
    return seat


def parse_simulator_address(raw: str | None) -> str | None:
    """A serial-bus address "1" … "247" (blank: not bound)."""
    text = (raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_SIMULATOR_ADDRESS):
        raise ValidationError("station.address", N_("The simulator address is a number from 1 to %(max)s."),
                              field="simulator_address", max=MAX_SIMULATOR_ADDRESS)
    return str(int(text))


def bind_station(session: Session, actor: Actor, *, centre_id: int, station_id: int, simulator_address: str | None,
                 operation_item_code: str | None) -> Station:
    """Set a station's simulator address (unique within its hall) and the operation item it serves (None: any)."""
    _centre(session, centre_id)
    error = NotFound("station.not_found", N_("No such station."), field="station_id")
    station = fetch(session, Station, station_id, error)
    if station.room.centre_id != centre_id:
        raise error
    address = parse_simulator_address(simulator_address)
    item_code = (operation_item_code or "").strip() or None
    if item_code is not None and session.get(OperationItem, item_code) is None:
        raise ValidationError("item.operation_item", N_("There is no special-operation item %(item_code)s."),
                              field="operation_item_code", item_code=item_code[:8])
    if address is not None:
        other = session.scalar(sa.select(Station).where(Station.room_id == station.room_id, Station.id != station.id,
                                                        Station.simulator_address == address))
        if other is not None:
            raise Conflict("station.address_taken",
                           N_("Address %(address)s is already used by station %(station)s in this hall."),
                           field="simulator_address", address=address, station=other.label)
    before = {"simulator_address": station.simulator_address, "operation_item": station.operation_item_code}
    station.simulator_address, station.operation_item_code = address, item_code
    session.flush()
    record(session, actor, "room.station_bind", "station", station.id, before=before,
           after={"simulator_address": address, "operation_item": item_code})
    return station


def list_halls(session: Session, centre_id: int) -> list[ExamRoom]:
    return list(session.scalars(sa.select(ExamRoom).where(ExamRoom.centre_id == centre_id)
                                .options(selectinload(ExamRoom.seats), selectinload(ExamRoom.stations))
                                .order_by(ExamRoom.name)))


def centre_terminals(session: Session, centre_id: int) -> list[Device]:
    return list(session.scalars(sa.select(Device).where(Device.organisation_id == centre_id,
                                                        Device.kind == DeviceKind.EXAM_TERMINAL,
                                                        Device.active.is_(True)).order_by(Device.name)))


# --- sessions ---------------------------------------------------------------------------------------------------


def create_session(session: Session, actor: Actor, *, centre_id: int, room_id: int, part: ExamPart,
                   operation_item_code: str, starts_at: datetime, capacity: int,
                   duration_minutes: int | None = None, zone: ZoneInfo = LOCAL_ZONE,
                   now: datetime | None = None) -> ExamSession:
    """A session in a hall of the centre. Theory: the item's blueprint gives the duration; practical: entered."""
    _centre(session, centre_id)
    _lock_centre(session, centre_id)
    room = _room(session, centre_id, room_id)
    if not room.active:
        raise Conflict("room.inactive", N_("%(room)s is out of use."), field="room_id", room=room.name)
    if PART_ROOM_KIND[part] is not room.kind:
        message = (N_("A theory session needs a theory hall; %(room)s is a practical hall.") if part is ExamPart.THEORY
                   else N_("A practical session needs a practical hall; %(room)s is a theory hall."))
        raise RuleViolation("session.room_kind", message, field="room_id", room=room.name)
    code = (operation_item_code or "").strip()
    if not code or session.get(OperationItem, code) is None:
        raise ValidationError("item.operation_item", N_("There is no special-operation item %(item_code)s."),
                              field="operation_item_code", item_code=code[:8])
    if starts_at.tzinfo is None:
        raise ValidationError("session.naive_time", N_("The start time needs its time zone."), field="starts_at")
    if starts_at <= (now or utcnow()):
        raise ValidationError("session.past", N_("The session must start in the future."), field="starts_at")
    places = len(_usable_places(session, room, code))
    if not isinstance(capacity, int) or capacity < 1:
        raise ValidationError("session.capacity_min", N_("The capacity must be at least 1."), field="capacity")
    if capacity > places:
        raise RuleViolation("session.capacity_places",
                            N_("The capacity %(capacity)s exceeds the %(places)s usable places of %(room)s."),
                            field="capacity", capacity=capacity, places=places, room=room.name)
    blueprint_id = None
    if part is ExamPart.THEORY:
        blueprint = ensure_default_blueprint(session, actor, code, local_date(starts_at, zone))
        blueprint_id, minutes = blueprint.id, definition_of(blueprint).duration_minutes
    else:
        minutes = PRACTICAL_MINUTES_DEFAULT if duration_minutes is None else duration_minutes
        if not isinstance(minutes, int) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise ValidationError("session.duration", N_("The duration must be %(min)s to %(max)s minutes."),
                                  field="duration_minutes", min=MIN_MINUTES, max=MAX_MINUTES)
    ends_at = starts_at + timedelta(minutes=minutes)
    overlapping = session.scalars(sa.select(ExamSession).where(
        ExamSession.room_id == room.id, ExamSession.starts_at < ends_at,
        ExamSession.starts_at > starts_at - timedelta(minutes=MAX_MINUTES))).all()
    for other in overlapping:
        if other.starts_at + timedelta(minutes=other.duration_minutes) > starts_at:
            raise Conflict("session.room_busy", N_("%(room)s is already in use from %(start)s to %(end)s."),
                           field="starts_at", room=room.name, start=local_text(other.starts_at, zone),
                           end=local_text(other.starts_at + timedelta(minutes=other.duration_minutes), zone))
    row = ExamSession(centre_id=centre_id, room_id=room.id, part=part, operation_item_code=code,
                      blueprint_id=blueprint_id, starts_at=starts_at, duration_minutes=minutes, capacity=capacity,
                      status=SessionStatus.OPEN)
    session.add(row)
    session.flush()
    record(session, actor, "session.create", "exam_session", row.id, after=session_snapshot(row))
    return row


def list_sessions(session: Session, centre_id: int) -> list[ExamSession]:
    return list(session.scalars(sa.select(ExamSession).where(ExamSession.centre_id == centre_id)
                                .options(selectinload(ExamSession.room), selectinload(ExamSession.candidates),
                                         selectinload(ExamSession.staff))
                                .order_by(ExamSession.starts_at.desc(), ExamSession.id.desc())))


# --- conflicts of interest (培考分离) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InterestConflict:
    staff_id: int
    staff_name: str
    institution_id: int
    institution_name: str


def _conflicts(session: Session, session_id: int, *, user_ids: Iterable[int] | None = None,
               institution_ids: Iterable[int] | None = None) -> list[InterestConflict]:
    """Ties between staff (assigned, or the given users) and institutions (of the candidates, or the given ones)."""
    query = (sa.select(StaffUser.id, StaffUser.display_name, Organisation.id, Organisation.name)
             .select_from(StaffAffiliation)
             .join(StaffUser, StaffUser.id == StaffAffiliation.user_id)
             .join(Organisation, Organisation.id == StaffAffiliation.institution_id))
    if user_ids is None:
        query = query.where(StaffAffiliation.user_id.in_(
            sa.select(SessionStaff.user_id).where(SessionStaff.session_id == session_id)))
    else:
        query = query.where(StaffAffiliation.user_id.in_(list(user_ids)))
    if institution_ids is None:
        query = query.where(StaffAffiliation.institution_id.in_(
            sa.select(ExamApplication.institution_id).join(SessionCandidate,
                                                           SessionCandidate.application_id == ExamApplication.id)
            .where(SessionCandidate.session_id == session_id, ExamApplication.institution_id.is_not(None))))
    else:
        query = query.where(StaffAffiliation.institution_id.in_(list(institution_ids)))
    return [InterestConflict(*row) for row in session.execute(query.order_by(StaffUser.id, Organisation.id))]


def staff_ties(session: Session, session_id: int) -> dict[int, InterestConflict]:
    """Institution id → a tie of the session's assigned staff to it: its trainees cannot join the session."""
    query = (sa.select(StaffUser.id, StaffUser.display_name, Organisation.id, Organisation.name)
             .select_from(StaffAffiliation)
             .join(StaffUser, StaffUser.id == StaffAffiliation.user_id)
             .join(Organisation, Organisation.id == StaffAffiliation.institution_id)
             .where(StaffAffiliation.user_id.in_(sa.select(SessionStaff.user_id)
                                                 .where(SessionStaff.session_id == session_id))))
    ties: dict[int, InterestConflict] = {}
    for row in session.execute(query.order_by(StaffUser.id)):
        ties.setdefault(row[2], InterestConflict(*row))
    return ties


def session_conflicts(session: Session, session_id: int) -> list[InterestConflict]:
    """Assigned staff bound to the institution of a candidate in the session (e.g. a tie recorded later)."""
    return _conflicts(session, session_id)


# --- scheduling candidates ----------------------------------------------------------------------------------------


def _next_ticket_sequence(session: Session, prefix: str) -> int:
    last = session.scalar(sa.select(sa.func.max(SessionCandidate.ticket_number))
                          .where(SessionCandidate.ticket_number.startswith(prefix, autoescape=True),
                                 sa.func.length(SessionCandidate.ticket_number)
                                 == len(prefix) + TICKET_SEQUENCE_DIGITS))
    return int(last[len(prefix):]) + 1 if last else 1


def ticket_prefix(exam_session: ExamSession, zone: ZoneInfo = LOCAL_ZONE) -> str:
    """Session date (8) + centre (4): 12 characters; a 6-digit sequence follows (18 in all)."""
    return f"{local_date(exam_session.starts_at, zone):%Y%m%d}{exam_session.centre_id % 10000:04d}"


def schedule(session: Session, actor: Actor, *, centre_id: int, session_id: int, application_ids: Sequence[int],
             zone: ZoneInfo = LOCAL_ZONE, rng: random.Random | None = None) -> list[SessionCandidate]:
    """Seat eligible applications in an open session at random free places; all of them or none.

    Refused (every reason listed): not eligible, another item or part, the session is after the application's
    exam deadline, the candidate's institution is tied to assigned staff, not enough free places.
    """
    exam_session = _open_session(session, centre_id, session_id)
    ids = list(dict.fromkeys(application_ids))
    if not ids:
        raise ValidationError("schedule.none", N_("Choose at least one application to schedule."),
                              field="application_ids")
    storable = [i for i in ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ROW_ID]
    applications = {a.id: a for a in session.scalars(
        sa.select(ExamApplication).where(ExamApplication.id.in_(storable))
        .options(selectinload(ExamApplication.person), selectinload(ExamApplication.institution)))}
    day = local_date(exam_session.starts_at, zone)
    staff_ties = {c.institution_id: c for c in _conflicts(
        session, exam_session.id,
        institution_ids={a.institution_id for a in applications.values() if a.institution_id is not None})}
    refusals: list[DomainError] = []
    for application_id in ids:
        application = applications.get(application_id)
        if application is None:
            refusals.append(NotFound("application.not_found", N_("No such exam application: %(id)s."),
                                     field="application_ids", id=application_id))
            continue
        name = application.person.name
        if application.status is not ApplicationStatus.ELIGIBLE:
            refusals.append(RuleViolation("schedule.not_eligible",
                                          N_("%(name)s: the application is not waiting to be scheduled."),
                                          field="application_ids", name=name))
        elif application.operation_item_code != exam_session.operation_item_code:
            refusals.append(RuleViolation(
                "schedule.wrong_item",
                N_("%(name)s applied for item %(item)s; this session examines %(session_item)s."),
                field="application_ids", name=name, item=application.operation_item_code,
                session_item=exam_session.operation_item_code))
        elif application.part is not exam_session.part:
            refusals.append(RuleViolation(
                "schedule.wrong_part",
                N_("%(name)s applied for the theory exam; this is a practical session.")
                if application.part is ExamPart.THEORY
                else N_("%(name)s applied for the practical exam; this is a theory session."),
                field="application_ids", name=name))
        elif day > application.exam_deadline:
            refusals.append(RuleViolation(
                "schedule.deadline",
                N_("%(name)s must be examined by %(deadline)s, the deadline set when the application was filed; "
                   "this session is on %(date)s."),
                field="application_ids", name=name, deadline=application.exam_deadline.isoformat(),
                date=day.isoformat()))
        elif application.institution_id in staff_ties:
            tie = staff_ties[application.institution_id]
            refusals.append(RuleViolation(
                "schedule.conflict_of_interest",
                N_("%(name)s was trained by %(institution)s, to which %(staff)s (assigned to this session) is "
                   "bound: conflict of interest."),
                field="application_ids", name=name, institution=tie.institution_name, staff=tie.staff_name))
    taken = {c.seat_id if exam_session.part is ExamPart.THEORY else c.station_id
             for c in exam_session.candidates}
    free = [p for p in _usable_places(session, exam_session.room, exam_session.operation_item_code)
            if p.id not in taken]
    room_left = min(exam_session.capacity - len(exam_session.candidates), len(free))
    if len(ids) > room_left:
        refusals.append(RuleViolation("schedule.capacity",
                                      N_("The session has %(free)s free places; %(count)s candidates were chosen."),
                                      field="application_ids", free=max(room_left, 0), count=len(ids)))
    if refusals:
        raise SchedulingRefused(refusals)
    places = (rng or secrets.SystemRandom()).sample(free, len(ids))
    prefix = ticket_prefix(exam_session, zone)
    sequence = _next_ticket_sequence(session, prefix)
    rows = []
    for offset, (application_id, place) in enumerate(zip(ids, places)):
        application = applications[application_id]
        row = SessionCandidate(session_id=exam_session.id, application_id=application_id,
                               ticket_number=f"{prefix}{sequence + offset:0{TICKET_SEQUENCE_DIGITS}d}",
                               **({"seat_id": place.id} if exam_session.part is ExamPart.THEORY
                                  else {"station_id": place.id}))
        application.status = ApplicationStatus.SCHEDULED
        session.add(row)
        rows.append(row)
    session.flush()
    session.refresh(exam_session, ["candidates"])
    record(session, actor, "session.schedule", "exam_session", exam_session.id,
           after={"candidates": [{"application_id": r.application_id, "ticket": r.ticket_number,
                                  "seat_id": r.seat_id, "station_id": r.station_id} for r in rows]})
    return rows


def unschedule(session: Session, actor: Actor, *, centre_id: int, session_id: int,
               application_id: int) -> ExamApplication:
    """Take a candidate out of an open session; the application waits to be scheduled again."""
    exam_session = _open_session(session, centre_id, session_id)
    candidate = session.scalar(sa.select(SessionCandidate).where(SessionCandidate.session_id == exam_session.id,
                                                                 SessionCandidate.application_id == application_id))
    if candidate is None:
        raise NotFound("schedule.not_in_session", N_("This application is not scheduled in this session."),
                       field="application_id")
    application = candidate.application
    before = {"application_id": application.id, "ticket": candidate.ticket_number, "seat_id": candidate.seat_id,
              "station_id": candidate.station_id}
    session.delete(candidate)
    application.status = ApplicationStatus.ELIGIBLE
    session.flush()
    session.refresh(exam_session, ["candidates"])
    record(session, actor, "session.unschedule", "exam_session", exam_session.id, before=before)
    return application


def schedulable_applications(session: Session, exam_session: ExamSession) -> list[ExamApplication]:
    """Eligible applications for the session's item and part (the page shows which ones it would refuse)."""
    return list(session.scalars(
        sa.select(ExamApplication).where(ExamApplication.status == ApplicationStatus.ELIGIBLE,
                                         ExamApplication.operation_item_code == exam_session.operation_item_code,
                                         ExamApplication.part == exam_session.part)
        .options(selectinload(ExamApplication.person), selectinload(ExamApplication.institution))
        .order_by(ExamApplication.exam_deadline, ExamApplication.id).limit(500)))


# --- staff -----------------------------------------------------------------------------------------------------


def _centre_user(session: Session, centre_id: int, user_id: int, field: str = "user_id") -> StaffUser:
    user = fetch(session, StaffUser, user_id, NotFound("staff.not_found", N_("No such staff account."), field=field))
    if user.organisation_id != centre_id:
        raise RuleViolation("staff.other_centre", N_("%(name)s does not belong to this exam centre."), field=field,
                            name=user.display_name)
    return user


def assign_staff(session: Session, actor: Actor, *, centre_id: int, session_id: int, user_id: int,
                 duty: Duty) -> SessionStaff:
    """A proctor (监考) or, for practical sessions, an examiner (考评) — never one tied to a candidate's institution."""
    exam_session = _open_session(session, centre_id, session_id)
    user = _centre_user(session, centre_id, user_id)
    if not user.active:
        raise Conflict("staff.inactive", N_("The account of %(name)s is deactivated."), field="user_id",
                       name=user.display_name)
    if duty is Duty.EXAMINER and exam_session.part is not ExamPart.PRACTICAL:
        raise RuleViolation("staff.examiner_theory", N_("Examiners are assigned to practical sessions only."),
                            field="duty")
    if user.role is not DUTY_ROLE[duty]:
        message = (N_("%(name)s is not a proctor.") if duty is Duty.PROCTOR else N_("%(name)s is not an examiner."))
        raise RuleViolation("staff.role", message, field="user_id", name=user.display_name)
    if session.scalar(sa.select(SessionStaff.id).where(SessionStaff.session_id == exam_session.id,
                                                       SessionStaff.user_id == user.id)):
        raise Conflict("staff.duplicate", N_("%(name)s is already assigned to this session."), field="user_id",
                       name=user.display_name)
    ties = _conflicts(session, exam_session.id, user_ids=[user.id])
    if ties:
        raise RuleViolation(
            "staff.conflict_of_interest",
            N_("%(name)s is bound to %(institution)s, which trained a candidate in this session: conflict of "
               "interest; choose someone else."),
            field="user_id", name=user.display_name, institution="、".join(t.institution_name for t in ties))
    row = SessionStaff(session_id=exam_session.id, user_id=user.id, duty=duty)
    session.add(row)
    session.flush()
    session.refresh(exam_session, ["staff"])
    record(session, actor, "session.staff_assign", "exam_session", exam_session.id,
           after={"user_id": user.id, "duty": duty})
    return row


def remove_staff(session: Session, actor: Actor, *, centre_id: int, session_id: int, user_id: int) -> None:
    exam_session = _open_session(session, centre_id, session_id)
    row = session.scalar(sa.select(SessionStaff).where(SessionStaff.session_id == exam_session.id,
                                                       SessionStaff.user_id == user_id))
    if row is None:
        raise NotFound("staff.not_assigned", N_("This person is not assigned to this session."), field="user_id")
    before = {"user_id": row.user_id, "duty": row.duty}
    session.delete(row)
    session.flush()
    session.refresh(exam_session, ["staff"])
    record(session, actor, "session.staff_remove", "exam_session", exam_session.id, before=before)


def assignable_staff(session: Session, centre_id: int) -> list[StaffUser]:
    return list(session.scalars(sa.select(StaffUser).where(StaffUser.organisation_id == centre_id,
                                                           StaffUser.role.in_([Role.PROCTOR, Role.EXAMINER]),
                                                           StaffUser.active.is_(True))
                                .order_by(StaffUser.role, StaffUser.display_name)))


def add_affiliation(session: Session, actor: Actor, *, centre_id: int, user_id: int, institution_id: int,
                    note: str = "") -> StaffAffiliation:
    """Record a tie between a centre's staff member and a training institution (former teacher, relative, …)."""
    _centre(session, centre_id)
    user = _centre_user(session, centre_id, user_id)
    error = NotFound("affiliation.institution", N_("No such training institution."), field="institution_id")
    institution = fetch(session, Organisation, institution_id, error)
    if institution.kind is not OrganisationKind.TRAINING_INSTITUTION:
        raise error
    note = parse_text(note, field="note", max_length=200, required=False)
    if session.scalar(sa.select(StaffAffiliation.id).where(StaffAffiliation.user_id == user.id,
                                                           StaffAffiliation.institution_id == institution.id)):
        raise Conflict("affiliation.duplicate", N_("The tie between %(name)s and %(institution)s is already recorded."),
                       field="institution_id", name=user.display_name, institution=institution.name)
    row = StaffAffiliation(user_id=user.id, institution_id=institution.id, note=note)
    session.add(row)
    session.flush()
    record(session, actor, "staff.affiliation_add", "staff_affiliation", row.id,
           after={"user_id": user.id, "institution_id": institution.id, "note": note})
    return row


def remove_affiliation(session: Session, actor: Actor, *, centre_id: int, affiliation_id: int) -> None:
    error = NotFound("affiliation.not_found", N_("No such recorded tie."), field="affiliation_id")
    row = fetch(session, StaffAffiliation, affiliation_id, error)
    if session.get(StaffUser, row.user_id).organisation_id != centre_id:
        raise error
    before = {"user_id": row.user_id, "institution_id": row.institution_id, "note": row.note}
    session.delete(row)
    session.flush()
    record(session, actor, "staff.affiliation_remove", "staff_affiliation", affiliation_id, before=before)


def list_affiliations(session: Session, centre_id: int) -> list[tuple[StaffAffiliation, StaffUser, Organisation]]:
    return list(session.execute(
        sa.select(StaffAffiliation, StaffUser, Organisation)
        .join(StaffUser, StaffUser.id == StaffAffiliation.user_id)
        .join(Organisation, Organisation.id == StaffAffiliation.institution_id)
        .where(StaffUser.organisation_id == centre_id)
        .order_by(StaffUser.display_name, Organisation.name)).all())


# --- closing: roster fixed, papers drawn and frozen --------------------------------------------------------------


def close_session(session: Session, actor: Actor, *, centre_id: int, session_id: int) -> ExamSession:
    """Fix the roster; for theory, draw every candidate's paper (one secret seed each) in this transaction.

    If the bank cannot satisfy the blueprint the shortage is raised (``papers.BankShortage``) and the caller's
    rollback leaves the session open with no paper drawn.
    """
    exam_session = _open_session(session, centre_id, session_id)
    candidates = list(exam_session.candidates)
    if not candidates:
        raise RuleViolation("session.close_empty", N_("Schedule at least one candidate before closing the session."))
    duties = {s.duty for s in exam_session.staff}
    if Duty.PROCTOR not in duties:
        raise RuleViolation("session.close_proctor", N_("Assign at least one proctor before closing the session."))
    if exam_session.part is ExamPart.PRACTICAL and Duty.EXAMINER not in duties:
        raise RuleViolation("session.close_examiner",
                            N_("Assign at least one examiner before closing a practical session."))
    ties = session_conflicts(session, exam_session.id)
    if ties:
        raise RuleViolation("session.close_conflict",
                            N_("%(name)s is bound to %(institution)s, which trained a candidate in this session: "
                               "conflict of interest; remove them before closing."),
                            name=ties[0].staff_name, institution=ties[0].institution_name)
    paper_ids: list[int] = []
    if exam_session.part is ExamPart.THEORY:
        seeds = [secrets.randbits(62) for _ in candidates]
        for start in range(0, len(seeds), MAX_PAPERS_PER_CALL):
            drawn = draw_papers(session, actor, exam_session.blueprint_id,
                                seeds=seeds[start:start + MAX_PAPERS_PER_CALL])
            paper_ids.extend(p.id for p in drawn)
        for candidate, paper_id in zip(candidates, paper_ids):
            candidate.paper_id = paper_id
    exam_session.status = SessionStatus.CLOSED
    exam_session.closed_at = utcnow()
    session.flush()
    record(session, actor, "session.close", "exam_session", exam_session.id, before={"status": SessionStatus.OPEN},
           after={"status": SessionStatus.CLOSED, "candidates": len(candidates), "papers": paper_ids})
    return exam_session


# --- rosters -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    ticket_number: str
    name: str
    masked_id_number: str
    place: str
    institution: str | None
    kind: ApplicationKind
    paper_id: int | None
    application_id: int
    candidate_id: int


def roster(session: Session, *, centre_id: int, session_id: int) -> list[RosterRow]:
    """The session's candidates in seat (station) order."""
    exam_session = get_exam_session(session, session_id, centre_id)
    rows = session.execute(
        sa.select(SessionCandidate, ExamApplication, Seat.label, Station.label)
        .join(ExamApplication, ExamApplication.id == SessionCandidate.application_id)
        .outerjoin(Seat, Seat.id == SessionCandidate.seat_id)
        .outerjoin(Station, Station.id == SessionCandidate.station_id)
        .where(SessionCandidate.session_id == exam_session.id)
        .options(selectinload(ExamApplication.person), selectinload(ExamApplication.institution))).all()
    result = [RosterRow(c.ticket_number, a.person.name, mask_id_number(a.person.id_number), seat or station or "",
                        a.institution.name if a.institution else None, a.kind, c.paper_id, a.id, c.id)
              for c, a, seat, station in rows]
    return sorted(result, key=lambda r: (len(r.place), r.place, r.ticket_number))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula would be run by a spreadsheet: make it plain text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_roster(session: Session, actor: Actor, *, centre_id: int, session_id: int, header: Sequence[str],
                  row_cells: Callable[[RosterRow], Sequence[object]]) -> bytes:
    """The roster as CSV in UTF-8 with a BOM (Excel reads it as UTF-8); the export is audited."""
    rows = roster(session, centre_id=centre_id, session_id=session_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row_cells(row)])
    record(session, actor, "session.roster_export", "exam_session", session_id, after={"rows": len(rows)})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
