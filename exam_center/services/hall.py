"""The proctor's hall console (考场监考台): read models over a theory session's attempts, and the hall's own records.

The state changes themselves are the attempt service's (check-in, pause, extend, move, warn, expel…); this module
answers "what does the hall look like now" for the seat map and its 3-second refresh, records irregularities
(考场异常情况), and gathers everything the exam-room record (考场记录) prints.

Nothing here ever reads an answer's content or a key: only how many questions have an answer.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain.errors import N_, InvalidFields, NotFound, ValidationError
from exam_center.models import (
    Attempt,
    AttemptAnswer,
    AttemptEvent,
    AttemptStatus,
    AuditEvent,
    Duty,
    ExamApplication,
    ExamPart,
    ExamRoom,
    ExamSession,
    FaceCheck,
    FaceOutcome,
    OperationItem,
    Paper,
    Person,
    Seat,
    SessionCandidate,
    SessionStaff,
    StaffUser,
    utcnow,
)

from . import attempts, face_watch
from .audit import Actor, record
from .lookup import fetch

# An in-progress attempt whose terminal has not been heard from for longer than this is shown as MISSING.
MISSING_AFTER_SECONDS = 30
IRREGULARITY_CATEGORIES = ("environment", "candidate", "staff", "technical")
MAX_DESCRIPTION = 500

S = AttemptStatus
# The seat map's states: the attempt's status, plus "empty", "vacated" (its candidate was moved away) and "missing".
EMPTY, VACATED, MISSING = "empty", "vacated", "missing"
SEAT_STATES = (EMPTY, VACATED, *(s.value for s in S), MISSING)

_SESSION_NOT_FOUND = NotFound("hall.session_not_found", N_("No such exam session among those you proctor."),
                              field="session_id")


# --- which sessions a proctor may see --------------------------------------------------------------------------------

def proctor_sessions(session: Session, user_id: int) -> list[ExamSession]:
    """Theory sessions this staff member is assigned to (SessionStaff), the most recent first."""
    return list(session.scalars(
        sa.select(ExamSession).join(SessionStaff, SessionStaff.session_id == ExamSession.id)
        .where(SessionStaff.user_id == user_id, ExamSession.part == ExamPart.THEORY)
        .order_by(ExamSession.starts_at.desc(), ExamSession.id.desc())))


def assigned_session(session: Session, session_id: int, user_id: int) -> ExamSession:
    """The session if this user is assigned to it; otherwise "not found" (others' sessions are not confirmed)."""
    exam_session = fetch(session, ExamSession, session_id, _SESSION_NOT_FOUND)
    assigned = session.scalar(sa.select(SessionStaff.id).where(SessionStaff.session_id == exam_session.id,
                                                               SessionStaff.user_id == user_id))
    if assigned is None or exam_session.part is not ExamPart.THEORY:
        raise _SESSION_NOT_FOUND
    return exam_session


def candidate_of_session(session: Session, exam_session: ExamSession, candidate_id: int) -> SessionCandidate:
    candidate = fetch(session, SessionCandidate, candidate_id, _candidate_not_found())
    if candidate.session_id != exam_session.id:
        raise _candidate_not_found()
    return candidate


def _candidate_not_found() -> NotFound:
    return NotFound("hall.candidate_not_found", N_("No such candidate in this session."), field="candidate_id")


# --- the live state of the hall --------------------------------------------------------------------------------------

@dataclass
class SeatView:
    seat_id: int | None
    label: str
    state: str = EMPTY
    candidate_id: int | None = None
    attempt_id: int | None = None
    ticket_number: str | None = None
    name: str | None = None
    person_id: int | None = None
    has_photo: bool = False
    answered: int = 0
    total: int = 0
    remaining_seconds: int | None = None
    seen_seconds_ago: int | None = None
    warnings: int = 0
    moved_to: str | None = None        # for a vacated seat: where its candidate sits now
    original_seat: str | None = None   # for a moved candidate: the seat on the admission ticket

    @property
    def occupied(self) -> bool:
        return self.candidate_id is not None

    def as_json(self) -> dict:
        """What the console's refresh sends: state and progress, never answers, keys or ID numbers."""
        return {"seat_id": self.seat_id, "label": self.label, "state": self.state,
                "candidate_id": self.candidate_id, "ticket_number": self.ticket_number, "name": self.name,
                "answered": self.answered, "total": self.total, "remaining_seconds": self.remaining_seconds,
                "seen_seconds_ago": self.seen_seconds_ago, "warnings": self.warnings, "moved_to": self.moved_to}


@dataclass(frozen=True)
class Alert:
    kind: str                    # missing | paused | warning | no_face | several_faces | different_person
    seat: str
    name: str
    candidate_id: int
    at: dt.datetime | None = None
    reason: str | None = None
    seconds: int | None = None
    check_id: int | None = None   # face alerts: the monitoring snapshot that raised it (evidence)
    review_id: int | None = None  # face_review: the check-in face check waiting for the proctor

    def as_json(self) -> dict:
        return {"kind": self.kind, "seat": self.seat, "name": self.name, "candidate_id": self.candidate_id,
                "at": self.at.isoformat() if self.at else None, "reason": self.reason, "seconds": self.seconds,
                "check_id": self.check_id, "review_id": self.review_id}


@dataclass
class HallState:
    exam_session: ExamSession
    now: dt.datetime
    seats: list[SeatView]
    alerts: list[Alert]
    counts: dict[str, int]
    free_seats: list[tuple[int, str]]                # (seat id, label) nobody holds or is assigned to
    candidates: dict[int, SeatView] = field(default_factory=dict)   # by candidate id

    def as_json(self) -> dict:
        return {"session_id": self.exam_session.id, "now": self.now.isoformat(), "closed": self.closed,
                "missing_after_seconds": MISSING_AFTER_SECONDS, "counts": self.counts,
                "seats": [seat.as_json() for seat in self.seats], "alerts": [a.as_json() for a in self.alerts]}

    @property
    def closed(self) -> bool:
        return self.exam_session.status.value == "closed"

    def move_targets(self, candidate_id: int) -> list[tuple[int, str]]:
        """Free seats for this candidate, including their own ticket seat if they were moved away from it."""
        view = self.candidates.get(candidate_id)
        targets = list(self.free_seats)
        if view is not None and view.original_seat:
            own = next((s for s in self.seats if s.state == VACATED and s.moved_to == view.label
                        and s.seat_id is not None), None)
            if own is not None:
                targets.append((own.seat_id, own.label))
        return sorted(targets, key=lambda pair: natural_key(pair[1]))


def natural_key(label: str) -> tuple:
    """"A2" before "A10"; "02" before "10"."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label or ""))


_paper_facts_lock = threading.Lock()
_paper_facts: dict[int, tuple[int, float]] = {}   # paper id → (questions, duration seconds); papers never change


def _facts(session: Session, paper_ids: set[int]) -> dict[int, tuple[int, float]]:
    with _paper_facts_lock:
        known = {pid: _paper_facts[pid] for pid in paper_ids if pid in _paper_facts}
    missing = paper_ids - known.keys()
    if missing:
        for paper in session.scalars(sa.select(Paper).where(Paper.id.in_(missing))):
            facts = (paper.question_count, float(paper.snapshot["blueprint"]["duration_minutes"]) * 60)
            known[paper.id] = facts
            with _paper_facts_lock:
                if len(_paper_facts) > 20_000:
                    _paper_facts.clear()
                _paper_facts[paper.id] = facts
    return known


def _remaining(attempt: Attempt, duration: float, now: dt.datetime) -> float:
    """As attempts.remaining_seconds, with the duration known: no frozen paper loaded per seat per refresh."""
    return attempts.time_left(attempt, now, lambda: duration)


def hall_state(session: Session, exam_session: ExamSession, *, now: dt.datetime | None = None) -> HallState:
    now = now or utcnow()
    rows = session.execute(
        sa.select(SessionCandidate, Attempt, Person.id, Person.name, Person.photo_path)
        .join(ExamApplication, ExamApplication.id == SessionCandidate.application_id)
        .join(Person, Person.id == ExamApplication.person_id)
        .outerjoin(Attempt, Attempt.candidate_id == SessionCandidate.id)
        .where(SessionCandidate.session_id == exam_session.id)
        .order_by(SessionCandidate.id)).all()
    attempt_ids = [a.id for _c, a, *_ in rows if a is not None]
    answered: dict[int, int] = {}
    warnings: dict[int, list[AttemptEvent]] = {}
    if attempt_ids:
        answered = dict(session.execute(
            sa.select(AttemptAnswer.attempt_id, sa.func.count())
            .where(AttemptAnswer.attempt_id.in_(attempt_ids), sa.func.json_array_length(AttemptAnswer.chosen) > 0)
            .group_by(AttemptAnswer.attempt_id)).all())
        for event in session.scalars(sa.select(AttemptEvent).where(AttemptEvent.attempt_id.in_(attempt_ids),
                                                                   AttemptEvent.action == "warn")
                                     .order_by(AttemptEvent.at, AttemptEvent.id)):
            warnings.setdefault(event.attempt_id, []).append(event)
    facts = _facts(session, {c.paper_id for c, *_ in rows if c.paper_id})
    hall_seats = session.scalars(sa.select(Seat).where(Seat.room_id == exam_session.room_id)).all()
    seat_ids = {c.seat_id for c, *_ in rows} | {a.seat_id for _c, a, *_ in rows if a is not None}
    extra = set(seat_ids) - {s.id for s in hall_seats} - {None}
    if extra:
        hall_seats = [*hall_seats, *session.scalars(sa.select(Seat).where(Seat.id.in_(extra)))]
    labels = {s.id: s.label for s in hall_seats}

    views: dict[int, SeatView] = {s.id: SeatView(s.id, s.label) for s in hall_seats if s.active or s.id in seat_ids}
    unseated: list[SeatView] = []
    by_candidate: dict[int, SeatView] = {}
    alerts: list[Alert] = []
    counts: Counter[str] = Counter()
    assigned_seats: set[int] = set()
    for candidate, attempt, person_id, name, photo_path in rows:
        status = attempt.status if attempt is not None else S.SCHEDULED
        seat_id = attempt.seat_id if attempt is not None and attempt.seat_id else candidate.seat_id
        if candidate.seat_id:
            assigned_seats.add(candidate.seat_id)
        view = views.get(seat_id) if seat_id else None
        if view is None:
            view = SeatView(seat_id, labels.get(seat_id, "—"))
            unseated.append(view)
        questions, duration = facts.get(candidate.paper_id, (0, 0.0))
        view.candidate_id, view.ticket_number, view.name = candidate.id, candidate.ticket_number, name
        view.person_id, view.has_photo = person_id, bool(photo_path)
        view.attempt_id = attempt.id if attempt is not None else None
        view.total = questions
        view.answered = answered.get(view.attempt_id, 0) if attempt is not None else 0
        view.remaining_seconds = round(_remaining(attempt, duration, now)) if attempt is not None \
            else int(duration) if candidate.paper_id else None
        view.state = status.value
        if attempt is not None and attempt.last_seen_at is not None:
            view.seen_seconds_ago = max(0, int((now - attempt.last_seen_at).total_seconds()))
        if status is S.IN_PROGRESS and (view.seen_seconds_ago is None or view.seen_seconds_ago > MISSING_AFTER_SECONDS):
            view.state = MISSING
            alerts.append(Alert("missing", view.label, name, candidate.id, attempt.last_seen_at,
                                seconds=view.seen_seconds_ago))
        if status is S.PAUSED:
            pause = session.scalar(sa.select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id,
                                                                 AttemptEvent.action == "pause")
                                   .order_by(AttemptEvent.id.desc()).limit(1))
            alerts.append(Alert("paused", view.label, name, candidate.id, pause.at if pause else None,
                                reason=pause.reason if pause else None))
        for event in warnings.get(view.attempt_id, []) if attempt is not None else []:
            alerts.append(Alert("warning", view.label, name, candidate.id, event.at, reason=event.reason))
        view.warnings = len(warnings.get(view.attempt_id, [])) if attempt is not None else 0
        if candidate.seat_id and candidate.seat_id != seat_id:
            view.original_seat = labels.get(candidate.seat_id)
            own = views.get(candidate.seat_id)
            if own is not None and own.candidate_id is None:
                own.state, own.moved_to = VACATED, view.label
        counts[view.state] += 1
        by_candidate[candidate.id] = view
    # A seat is vacated only while nobody else sits there (the occupant's own state wins).
    for view in views.values():
        if view.candidate_id is not None:
            view.moved_to = None
    held = {v.seat_id for v in by_candidate.values() if v.seat_id}
    free = [(s.id, s.label) for s in hall_seats
            if s.active and s.room_id == exam_session.room_id and s.id not in held and s.id not in assigned_seats]
    seats = sorted(views.values(), key=lambda v: natural_key(v.label)) + unseated
    order = {"face_review": 0, "different_person": 1, "several_faces": 2, "no_face": 3, "missing": 4, "paused": 5,
             "warning": 6}
    alerts.extend(_face_alerts(session, by_candidate, now))
    alerts.extend(_face_reviews(session, by_candidate))
    alerts.sort(key=lambda a: (order[a.kind], natural_key(a.seat), a.at or now))
    return HallState(exam_session, now, seats, alerts, _summary(counts, len(rows)),
                     sorted(free, key=lambda pair: natural_key(pair[1])), by_candidate)


FACE_ALERT_MINUTES = 15


def _face_alerts(session: Session, by_candidate: dict[int, SeatView], now: dt.datetime) -> list[Alert]:
    """In-exam face monitoring alerts of the last minutes (each keeps its snapshot as evidence)."""
    views = {view.attempt_id: view for view in by_candidate.values() if view.attempt_id is not None}
    since = now - dt.timedelta(minutes=FACE_ALERT_MINUTES)
    found = []
    for check in face_watch.alerts_of_session(session, list(views)):
        view = views[check.attempt_id]
        if check.taken_at < since or view.state not in (S.IN_PROGRESS.value, S.PAUSED.value, MISSING):
            continue
        detail = f"{check.distance:.2f}" if check.distance is not None else str(check.faces)
        found.append(Alert(check.alert, view.label, view.name or "", view.candidate_id, check.taken_at,
                           reason=detail, check_id=check.id))
    return found


def _face_reviews(session: Session, by_candidate: dict[int, SeatView]) -> list[Alert]:
    """Check-in face decisions in the grey zone, waiting for the proctor to confirm or refuse (人工复核)."""
    if not by_candidate:
        return []
    pending = session.scalars(sa.select(FaceCheck).where(FaceCheck.candidate_id.in_(list(by_candidate)),
                                                         FaceCheck.outcome == FaceOutcome.REVIEW,
                                                         FaceCheck.resolution.is_(None))
                              .order_by(FaceCheck.created_at))
    found = []
    for check in pending:
        view = by_candidate[check.candidate_id]
        if view.state != S.SCHEDULED.value:
            continue  # checked in another way meanwhile: nothing left to decide
        detail = f"{check.distance:.2f}" if check.distance is not None else None
        found.append(Alert("face_review", view.label, view.name or "", check.candidate_id, check.created_at,
                           reason=detail, review_id=check.id))
    return found


def _summary(counts: Counter[str], scheduled: int) -> dict[str, int]:
    summary = {state: counts.get(state, 0) for state in (*(s.value for s in S), MISSING)}
    summary["scheduled_total"] = scheduled
    summary["present"] = scheduled - summary["scheduled"] - summary["absent"]
    summary["answering"] = summary["in_progress"] + summary[MISSING]
    return summary


def recent_events(session: Session, exam_session: ExamSession, *, limit: int | None = None,
                  candidate_id: int | None = None) -> list[dict]:
    """The session's attempt history (newest first), with the seat and name it concerns."""
    query = (sa.select(AttemptEvent, SessionCandidate.id, SessionCandidate.ticket_number, Person.name, Seat.label)
             .join(Attempt, Attempt.id == AttemptEvent.attempt_id)
             .join(SessionCandidate, SessionCandidate.id == Attempt.candidate_id)
             .join(ExamApplication, ExamApplication.id == SessionCandidate.application_id)
             .join(Person, Person.id == ExamApplication.person_id)
             .outerjoin(Seat, Seat.id == Attempt.seat_id)
             .where(SessionCandidate.session_id == exam_session.id)
             .order_by(AttemptEvent.at.desc(), AttemptEvent.id.desc()))
    if candidate_id is not None:
        query = query.where(SessionCandidate.id == candidate_id)
    if limit:
        query = query.limit(limit)
    return [{"at": e.at, "action": e.action, "actor": e.actor_label, "reason": e.reason, "details": e.details or {},
             "from_status": e.from_status, "to_status": e.to_status, "candidate_id": cid, "ticket_number": ticket,
             "name": name, "seat": label} for e, cid, ticket, name, label in session.execute(query)]


# --- irregularities (考场异常情况记录) ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Irregularity:
    at: dt.datetime
    category: str
    description: str
    actor: str                  # "staff:username"
    seat: str | None
    name: str | None


def report_irregularity(session: Session, actor: Actor, exam_session: ExamSession, *, category: str | None,
                        description: str | None, seat_id: int | None = None,
                        now: dt.datetime | None = None) -> Irregularity:
    """Record what happened. Tied to a seat with a candidate: on the attempt's history (the attempt keeps its
    status); otherwise for the hall as a whole, in the audit trail (action ``hall.irregularity``)."""
    now = now or utcnow()
    errors = []
    category = (category or "").strip()
    if category not in IRREGULARITY_CATEGORIES:
        errors.append(ValidationError("hall.category", N_("Choose the kind of irregularity."), field="category"))
    text = (description or "").strip()
    if not text:
        errors.append(ValidationError("hall.description", N_("Describe what happened."), field="description"))
    elif len(text) > MAX_DESCRIPTION:
        errors.append(ValidationError("hall.description_long", N_("Keep the description under %(max)s characters."),
                                      field="description", max=MAX_DESCRIPTION))
    seat = None
    if seat_id is not None:
        seat = session.get(Seat, seat_id) if isinstance(seat_id, int) else None
        if seat is None or seat.room_id != exam_session.room_id:
            errors.append(ValidationError("hall.seat", N_("Choose a seat of this hall, or none."), field="seat_id"))
    if errors:
        raise InvalidFields(errors)
    details = {"category": category, "seat": seat.label if seat else None}
    occupant = _occupant(session, exam_session, seat.id) if seat else None
    if occupant is not None and occupant.paper_id is not None:
        attempt = attempts.attempt_of_candidate(session, occupant.id)
        attempts.note(session, actor, attempt, "irregularity", text, details, now=now)
        name = session.scalar(sa.select(Person.name).join(ExamApplication, ExamApplication.person_id == Person.id)
                              .where(ExamApplication.id == occupant.application_id))
    else:
        record(session, actor, "hall.irregularity", "exam_session", exam_session.id,
               after={**details, "description": text})
        name = None
    session.flush()
    return Irregularity(now, category, text, f"{actor.type}:{actor.label}", details["seat"], name)


def _occupant(session: Session, exam_session: ExamSession, seat_id: int) -> SessionCandidate | None:
    """The candidate sitting at this seat now (after any move), if any."""
    moved_here = session.scalar(sa.select(SessionCandidate).join(Attempt, Attempt.candidate_id == SessionCandidate.id)
                                .where(SessionCandidate.session_id == exam_session.id, Attempt.seat_id == seat_id))
    if moved_here is not None:
        return moved_here
    ticket_seat = session.scalar(sa.select(SessionCandidate).where(SessionCandidate.session_id == exam_session.id,
                                                                   SessionCandidate.seat_id == seat_id))
    if ticket_seat is None:
        return None
    attempt = session.scalar(sa.select(Attempt).where(Attempt.candidate_id == ticket_seat.id))
    return None if attempt is not None and attempt.seat_id not in (None, seat_id) else ticket_seat


def irregularities(session: Session, exam_session: ExamSession) -> list[Irregularity]:
    """Both kinds, in time order: on attempts (attempt_events) and for the hall (the audit trail)."""
    found = [Irregularity(e.at, (e.details or {}).get("category", ""), e.reason or "", e.actor_label,
                          (e.details or {}).get("seat"), name)
             for e, name in session.execute(
                 sa.select(AttemptEvent, Person.name)
                 .join(Attempt, Attempt.id == AttemptEvent.attempt_id)
                 .join(SessionCandidate, SessionCandidate.id == Attempt.candidate_id)
                 .join(ExamApplication, ExamApplication.id == SessionCandidate.application_id)
                 .join(Person, Person.id == ExamApplication.person_id)
                 .where(SessionCandidate.session_id == exam_session.id, AttemptEvent.action == "irregularity"))]
    for event in session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "hall.irregularity",
                                                             AuditEvent.object_type == "exam_session",
                                                             AuditEvent.object_id == str(exam_session.id))):
        after = event.after or {}
        found.append(Irregularity(event.at, after.get("category", ""), after.get("description", ""),
                                  f"{event.actor_type}:{event.actor_label}", after.get("seat"), None))
    return sorted(found, key=lambda i: i.at)


# --- the exam-room record (考场记录) -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordFacts:
    exam_session: ExamSession
    centre_name: str
    hall_name: str
    item_code: str
    item_name: str
    proctors: list[str]
    rows: list[SeatView]            # candidates in seat order
    counts: dict[str, int]
    events: list[dict]              # oldest first
    irregularities: list[Irregularity]
    staff_names: dict[str, str]     # "staff:username" → display name


def record_facts(session: Session, exam_session: ExamSession, *, now: dt.datetime | None = None) -> RecordFacts:
    state = hall_state(session, exam_session, now=now)
    item = session.get(OperationItem, exam_session.operation_item_code)
    room = session.get(ExamRoom, exam_session.room_id)
    proctors = session.scalars(sa.select(StaffUser.display_name).join(SessionStaff, SessionStaff.user_id == StaffUser.id)
                               .where(SessionStaff.session_id == exam_session.id, SessionStaff.duty == Duty.PROCTOR)
                               .order_by(SessionStaff.id)).all()
    events = list(reversed(recent_events(session, exam_session)))
    found = irregularities(session, exam_session)
    usernames = {label.split(":", 1)[1] for label in [e["actor"] for e in events] + [i.actor for i in found]
                 if label.startswith("staff:")}
    staff_names = {f"staff:{u}": n for u, n in session.execute(
        sa.select(StaffUser.username, StaffUser.display_name).where(StaffUser.username.in_(usernames)))} \
        if usernames else {}
    centre_name = room.centre.name if room is not None else ""
    return RecordFacts(exam_session, centre_name, room.name if room else "", exam_session.operation_item_code,
                       item.name_zh if item else "", list(proctors),
                       [v for v in state.seats if v.occupied], state.counts, events, found, staff_names)



__all__ = [
    "IRREGULARITY_CATEGORIES",
    "MISSING_AFTER_SECONDS",
    "SEAT_STATES",
    "Alert",
    "HallState",
    "Irregularity",
    "RecordFacts",
    "SeatView",
    "assigned_session",
    "candidate_of_session",
    "hall_state",
    "irregularities",
    "natural_key",
    "proctor_sessions",
    "recent_events",
    "record_facts",
    "report_irregularity",
]
