"""The theory-exam attempt (考试作答): state machine, server-owned clock, idempotent autosave, scoring.

States: scheduled → checked in → in progress ⇄ paused → submitted | timed out | terminated; absent.
Every transition is checked here, recorded in ``attempt_events`` and in the audit trail. Answer saves are
not audited one by one: the answer rows with their sequence numbers are the record.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from exam_center.db import Database, DriverStatement
from exam_center.domain.errors import N_, Conflict, NotFound, ValidationError
from exam_center.models import (FINISHED, Attempt, AttemptAnswer, AttemptEvent, AttemptStatus, ExamApplication,
                                ExamPart, ExamResult, Paper, ScoredResponse, Seat, SessionCandidate, utcnow)
from question_bank.assembly import Paper as FrozenPaper

from .audit import Actor, append_if, append_parameters, record
from .lookup import fetch
from .recent import Recent, database_key
from .scheduling import local_date
from .sittings import check_sitting

S = AttemptStatus
TRANSITIONS: dict[str, tuple[frozenset[AttemptStatus], AttemptStatus]] = {
    "check_in": (frozenset({S.SCHEDULED}), S.CHECKED_IN),
    "mark_absent": (frozenset({S.SCHEDULED}), S.ABSENT),
    "start": (frozenset({S.CHECKED_IN}), S.IN_PROGRESS),
    "pause": (frozenset({S.IN_PROGRESS}), S.PAUSED),
    "resume": (frozenset({S.PAUSED}), S.IN_PROGRESS),
    "submit": (frozenset({S.IN_PROGRESS}), S.SUBMITTED),
    "time_out": (frozenset({S.IN_PROGRESS}), S.TIMED_OUT),
    "terminate": (frozenset({S.CHECKED_IN, S.IN_PROGRESS, S.PAUSED}), S.TERMINATED),
}
MAX_EXTENSION_MINUTES = 60


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()[:500]
    if required and not text:
        raise ValidationError("attempt.reason_required", N_("Give the reason for this action."), field="reason")
    return text or None


def _target(action: str, status: AttemptStatus) -> AttemptStatus:
    """The state ``action`` leads to from ``status``, or a Conflict naming the state that forbids it."""
    allowed, target = TRANSITIONS[action]
    if status not in allowed:
        raise Conflict("attempt.transition", N_("This cannot be done while the attempt is %(status)s."),
                       status=status.label_zh)
    return target


def _transition(session: Session, actor: Actor, attempt: Attempt, action: str, *, reason: str | None = None,
                details: dict | None = None, now: dt.datetime) -> None:
    before, attempt.status = attempt.status, _target(action, attempt.status)
    _event(session, actor, attempt.id, action, before, attempt.status, reason, details, now)


_EVENTS = AttemptEvent.__table__
_INSERT_EVENT = _EVENTS.insert().values({c.name: sa.bindparam(c.name) for c in _EVENTS.columns if c.name != "id"})


def _event(session: Session, actor: Actor, attempt_id: int, action: str, before: AttemptStatus | None,
           after: AttemptStatus | None, reason: str | None, details: dict | None, now: dt.datetime) -> None:
    session.execute(_INSERT_EVENT, _event_row(actor, attempt_id, action, before, after, reason, details, now))
    _audit(session, actor, attempt_id, action, before, after, reason, details, now)


def _event_row(actor: Actor, attempt_id: int, action: str, before: AttemptStatus | None,
               after: AttemptStatus | None, reason: str | None, details: dict | None, now: dt.datetime) -> dict:
    return {"attempt_id": attempt_id, "at": now, "action": action, "from_status": before.value if before else None,
            "to_status": after.value if after else None, "actor_label": f"{actor.type}:{actor.label}",
            "reason": reason, "details": details}


def _audit(session: Session, actor: Actor, attempt_id: int, action: str, before: AttemptStatus | None,
           after: AttemptStatus | None, reason: str | None, details: dict | None, now: dt.datetime) -> None:
    record(session, actor, f"attempt.{action}", "attempt", attempt_id, **_audited(before, after, reason, details),
           at=now)


def _audited(before: AttemptStatus | None, after: AttemptStatus | None, reason: str | None,
             details: dict | None) -> dict:
    return {"before": {"status": before} if before else None,
            "after": {"status": after, "reason": reason, **(details or {})}}


def note(session: Session, actor: Actor, attempt: Attempt, action: str, reason: str | None,
         details: dict | None = None, *, now: dt.datetime | None = None) -> None:
    """Put something on the attempt's history without changing its state (e.g. an irregularity report)."""
    _event(session, actor, attempt.id, action, attempt.status, attempt.status, reason, details, now or utcnow())


def get_attempt(session: Session, attempt_id: int, *, lock: bool = False) -> Attempt:
    if lock and session.get_bind().dialect.name == "postgresql":
        fetch(session, Attempt, attempt_id, attempt_not_found())
        return session.scalar(sa.select(Attempt).where(Attempt.id == attempt_id).with_for_update()
                              .execution_options(populate_existing=True))
    return fetch(session, Attempt, attempt_id, attempt_not_found())


def attempt_not_found() -> NotFound:
    return NotFound("attempt.not_found", N_("No such exam attempt."), field="attempt_id")


def attempt_of_candidate(session: Session, candidate_id: int) -> Attempt:
    """The candidate's attempt, created (scheduled) on first use from the frozen paper of a closed session."""
    candidate = fetch(session, SessionCandidate, candidate_id,
                      NotFound("attempt.candidate_not_found", N_("No such candidate."), field="candidate_id"))
    attempt = session.scalar(sa.select(Attempt).where(Attempt.candidate_id == candidate.id))
    if attempt is not None:
        return attempt
    if candidate.paper_id is None:
        raise Conflict("attempt.no_paper", N_("The session is not closed yet: no paper has been drawn."))
    attempt = Attempt(candidate_id=candidate.id, paper_id=candidate.paper_id, status=S.SCHEDULED,
                      seat_id=candidate.seat_id)
    session.add(attempt)
    session.flush()
    return attempt


_PAPERS: Recent[FrozenPaper] = Recent(64)


def paper_of(session: Session, attempt: Attempt) -> FrozenPaper:
    """The attempt's frozen paper."""
    return paper_by_id(session, attempt.paper_id)


def paper_by_id(session: Session, paper_id: int) -> FrozenPaper:
    """A frozen paper, decoded. Papers never change once drawn; a page, its clock and the scoring may each ask
    for it within one request, so each process keeps the last few decoded (a decoded paper is thousands of
    objects: the hot paths, start and save, do not decode it at all)."""
    return _PAPERS.get((database_key(session), paper_id),
                       lambda: FrozenPaper.from_dict(session.get(Paper, paper_id).snapshot))


def remaining_seconds(session: Session, attempt: Attempt, now: dt.datetime) -> float:
    """Server-side time left; the terminal only displays it."""
    return time_left(attempt, now, lambda: paper_of(session, attempt).duration_seconds)


def questions_shown(session: Session, paper_id: int, *, with_text: bool) -> tuple[int, str]:
    """How many questions the paper has and, ``with_text``, the questions as the terminal shows them (JSON, as
    stored with the paper; else ``"[]"``): one read, which fetches the text only when it is wanted."""
    if with_text:
        return tuple(session.execute(_COUNT_AND_SHOWN, {"paper_id": paper_id}).one())
    return session.execute(_COUNT, {"paper_id": paper_id}).scalar_one(), "[]"


def time_left(attempt: Attempt, now: dt.datetime, duration: Callable[[], float]) -> float:
    """The clock rule; ``duration`` (the paper's, in seconds) is asked for only before the start."""
    if attempt.status is S.IN_PROGRESS:
        return max(0.0, (attempt.deadline_at - now).total_seconds())
    if attempt.status is S.PAUSED:
        return attempt.remaining_seconds or 0.0
    if attempt.status in FINISHED:
        return 0.0
    return duration() + (attempt.remaining_seconds or 0.0)


# --- proctor and candidate actions --------------------------------------------------------------

def check_in(session: Session, actor: Actor, candidate_id: int, *, now: dt.datetime | None = None) -> Attempt:
    """The proctor confirms the candidate's identity (face and ID-card checks will feed this same step)."""
    attempt = attempt_of_candidate(session, candidate_id)
    _transition(session, actor, attempt, "check_in", now=now or utcnow())
    return attempt


def mark_absent(session: Session, actor: Actor, candidate_id: int, *, now: dt.datetime | None = None) -> Attempt:
    attempt = attempt_of_candidate(session, candidate_id)
    _transition(session, actor, attempt, "mark_absent", now=now or utcnow())
    attempt.finished_at = now or utcnow()
    return attempt


@dataclass(frozen=True)
class Started:
    """What a start leaves behind: the attempt's clock columns, as ``time_left`` and the terminal read them."""

    id: int
    status: AttemptStatus
    paper_id: int
    deadline_at: dt.datetime | None
    remaining_seconds: float | None
    last_seq: int
    first: bool  # False: it had started before (a reload, or a second terminal), nothing was changed
    question_count: int
    questions_shown: str  # JSON, as stored with the paper


def expire_loaded(session: Session, attempt_id: int, attributes: list[str] | None = None) -> None:
    """SQL that bypassed the ORM changed the attempt: a copy already loaded in this session must reload it."""
    loaded = session.identity_map.get(identity_key(Attempt, attempt_id))
    if loaded is not None:
        session.expire(loaded, attributes)


def candidate_actor(candidate_id: int, ticket_number: str, address: str | None = None) -> Actor:
    """The candidate as the actor of their own actions at the terminal."""
    return Actor("candidate", str(candidate_id), f"ticket:{ticket_number}", address)


def start(session: Session, actor: Actor | None, attempt_id: int, *, now: dt.datetime | None = None,
          sitting_token: str | None = None, check_token: bool = False, address: str | None = None) -> Started:
    """Start the clock (checked in → in progress); a started attempt goes on untouched.

    One locking read (with the candidate's ticket for the audit, and the paper's duration and questions as
    shown, stored ready-encoded), one update, the attempt event and the audit event. Without ``actor`` the
    candidate starts it themself (from ``address``); with ``check_token`` only the terminal of the current
    sitting may (``sitting_token``). The terminal calls ``start_committed``.
    """
    now = now or utcnow()
    row = session.execute(_LOCK_FOR_START, {"attempt_id": attempt_id}).one_or_none()
    if row is None:
        raise attempt_not_found()
    if check_token:
        check_sitting(row.sitting_token, sitting_token)
    if row.status in (S.IN_PROGRESS, S.PAUSED):
        return Started(attempt_id, row.status, row.paper_id, row.deadline_at, row.remaining_seconds, row.last_seq,
                       False, row.question_count, row.questions_shown)
    if row.status is S.SCHEDULED:
        raise Conflict("attempt.not_checked_in",
                       N_("The proctor has not confirmed your identity yet. Please wait at your seat."))
    target = _target("start", row.status)
    deadline = _deadline(now, row.duration_seconds, row.remaining_seconds)
    session.execute(_START, {"attempt_id": attempt_id, "status": target, "now": now, "deadline_at": deadline})
    _event(session, actor or candidate_actor(row.candidate_id, row.ticket_number, address), attempt_id, "start",
           row.status, target, None, None, now)
    expire_loaded(session, attempt_id)
    return Started(attempt_id, target, row.paper_id, deadline, None, row.last_seq, True, row.question_count,
                   row.questions_shown)


def start_committed(db: Database, attempt_id: int, *, now: dt.datetime | None = None,
                    sitting_token: str | None = None, check_token: bool = False,
                    address: str | None = None) -> Started:
    """The candidate's ``start`` at the terminal, committed: what it answers is durable.

    A whole hall starts at the same moment, and every start appends to the one audit chain. On PostgreSQL a
    first start is therefore two autocommitted statements through the driver: a plain read, then the update
    with its attempt event and audit record, on condition that nothing the read saw has changed. The chain's
    lock is held inside the server for that one statement, not across a round trip to a commit. Anything else
    (a reload, a refusal, a change in between, and every start on SQLite) takes ``start`` in a transaction.
    """
    now = now or utcnow()
    if db.engine.dialect.name == "postgresql":
        started = _first_start_in_two_statements(db, attempt_id, now, sitting_token, check_token, address)
        if started is not None:
            return started
    with db.sessions() as session:
        started = start(session, None, attempt_id, now=now, sitting_token=sitting_token, check_token=check_token,
                        address=address)
        session.commit()
    return started


def _first_start_in_two_statements(db: Database, attempt_id: int, now: dt.datetime, sitting_token: str | None,
                                   check_token: bool, address: str | None) -> Started | None:
    """PostgreSQL: a checked-in attempt started, autocommitted; None if ``start`` must see to it."""
    row = _FOR_START_ROW.autocommitted_row(db.engine, {"attempt_id": attempt_id})
    if row is None:
        return None
    (status, paper_id, _deadline_at, remaining, last_seq, token, candidate_id, ticket_number, duration,
     question_count, questions_shown) = row
    if status is not S.CHECKED_IN:
        return None
    if check_token:
        check_sitting(token, sitting_token)
    actor = candidate_actor(candidate_id, ticket_number, address)
    deadline = _deadline(now, duration, remaining)
    started = _START_IF_UNCHANGED.autocommitted_row(db.engine, {
        "attempt_id": attempt_id, "status": S.IN_PROGRESS, "now": now, "deadline_at": deadline,
        "read_token": token, "read_remaining": remaining,
        **_event_row(actor, attempt_id, "start", status, S.IN_PROGRESS, None, None, now),
        **append_parameters(actor, "attempt.start", "attempt", attempt_id,
                            **_audited(status, S.IN_PROGRESS, None, None), at=now)})
    if started is None:
        return None  # changed since the read: nothing was written
    return Started(attempt_id, S.IN_PROGRESS, paper_id, deadline, None, last_seq, True, question_count,
                   questions_shown)


def _deadline(now: dt.datetime, duration_seconds: float, remaining_seconds: float | None) -> dt.datetime:
    """A start's deadline: the paper's time, plus what the proctor added before the start."""
    return now + dt.timedelta(seconds=duration_seconds + (remaining_seconds or 0.0))


_ATTEMPTS = Attempt.__table__
_CANDIDATES = SessionCandidate.__table__
_PAPER_ROWS = Paper.__table__
_FOR_START = (sa.select(_ATTEMPTS.c.status, _ATTEMPTS.c.paper_id, _ATTEMPTS.c.deadline_at,
                        _ATTEMPTS.c.remaining_seconds, _ATTEMPTS.c.last_seq, _ATTEMPTS.c.sitting_token,
                        _ATTEMPTS.c.candidate_id, _CANDIDATES.c.ticket_number, _PAPER_ROWS.c.duration_seconds,
                        _PAPER_ROWS.c.question_count, _PAPER_ROWS.c.questions_shown)
              .join(_CANDIDATES, _CANDIDATES.c.id == _ATTEMPTS.c.candidate_id)
              .join(_PAPER_ROWS, _PAPER_ROWS.c.id == _ATTEMPTS.c.paper_id)
              .where(_ATTEMPTS.c.id == sa.bindparam("attempt_id")))
_LOCK_FOR_START = _FOR_START.with_for_update(of=_ATTEMPTS)
_FOR_START_ROW = DriverStatement(_FOR_START)
_COUNT = sa.select(_PAPER_ROWS.c.question_count).where(_PAPER_ROWS.c.id == sa.bindparam("paper_id"))
_COUNT_AND_SHOWN = (sa.select(_PAPER_ROWS.c.question_count, _PAPER_ROWS.c.questions_shown)
                    .where(_PAPER_ROWS.c.id == sa.bindparam("paper_id")))
_START = (sa.update(_ATTEMPTS).where(_ATTEMPTS.c.id == sa.bindparam("attempt_id"))
          .values(status=sa.bindparam("status", type_=_ATTEMPTS.c.status.type), started_at=sa.bindparam("now"),
                  deadline_at=sa.bindparam("deadline_at"), remaining_seconds=None, last_seen_at=sa.bindparam("now")))


def _start_if_unchanged() -> sa.Executable:
    """PostgreSQL: the start's update, if the attempt is still checked in with the sitting and extra time the
    read saw, and only then its attempt event and audit record, as data-modifying CTEs of one statement.
    Answers the audit record's id; no row if nothing was written."""
    started = (_START.where(_ATTEMPTS.c.status == sa.literal_column(f"'{S.CHECKED_IN.value}'"),
                            _ATTEMPTS.c.sitting_token.is_not_distinct_from(sa.bindparam("read_token", type_=sa.String)),
                            _ATTEMPTS.c.remaining_seconds.is_not_distinct_from(
                                sa.bindparam("read_remaining", type_=sa.Float)))
               .returning(_ATTEMPTS.c.id).cte("started"))
    columns = [c.name for c in _EVENTS.columns if c.name != "id"]
    logged = _EVENTS.insert().from_select(
        columns, sa.select(*(sa.bindparam(c, type_=_EVENTS.c[c].type) for c in columns)).select_from(started))
    audited = append_if(started).cte("audited")
    return sa.select(audited.c.id).add_cte(logged.cte("logged"), audited)


_START_IF_UNCHANGED = DriverStatement(_start_if_unchanged())


def pause(session: Session, actor: Actor, attempt_id: int, reason: str, *, now: dt.datetime | None = None) -> Attempt:
    now = now or utcnow()
    attempt = get_attempt(session, attempt_id, lock=True)
    reason = _reason(reason, required=True)
    finish_if_overdue(session, attempt, now)
    left = remaining_seconds(session, attempt, now)
    _transition(session, actor, attempt, "pause", reason=reason, details={"remaining_seconds": round(left, 1)},
                now=now)
    attempt.remaining_seconds, attempt.deadline_at = left, None
    return attempt


def resume(session: Session, actor: Actor, attempt_id: int, reason: str | None = None, *,
           now: dt.datetime | None = None) -> Attempt:
    now = now or utcnow()
    attempt = get_attempt(session, attempt_id, lock=True)
    _transition(session, actor, attempt, "resume", reason=_reason(reason, required=False), now=now)
    attempt.deadline_at = now + dt.timedelta(seconds=attempt.remaining_seconds or 0.0)
    attempt.remaining_seconds = None
    return attempt


def extend(session: Session, actor: Actor, attempt_id: int, minutes: int, reason: str, *,
           now: dt.datetime | None = None) -> Attempt:
    now = now or utcnow()
    attempt = get_attempt(session, attempt_id, lock=True)
    reason = _reason(reason, required=True)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        raise ValidationError("attempt.extension", N_("Extend by 1 to %(max)s minutes."), field="minutes",
                              max=MAX_EXTENSION_MINUTES)
    finish_if_overdue(session, attempt, now)
    if attempt.status in FINISHED:
        raise Conflict("attempt.finished", N_("The attempt has already ended."))
    if attempt.status is S.IN_PROGRESS:
        attempt.deadline_at += dt.timedelta(minutes=minutes)
    else:
        attempt.remaining_seconds = (attempt.remaining_seconds or 0.0) + minutes * 60
    _event(session, actor, attempt.id, "extend", attempt.status, attempt.status, reason, {"minutes": minutes}, now)
    return attempt


def move(session: Session, actor: Actor, attempt_id: int, seat_id: int, reason: str, *,
         now: dt.datetime | None = None) -> Attempt:
    """To a spare seat/terminal: the attempt, its answers and its clock go along unchanged."""
    now = now or utcnow()
    attempt = get_attempt(session, attempt_id, lock=True)
    reason = _reason(reason, required=True)
    if attempt.status in FINISHED:
        raise Conflict("attempt.finished", N_("The attempt has already ended."))
    candidate = session.get(SessionCandidate, attempt.candidate_id)
    seat = session.get(Seat, seat_id) if isinstance(seat_id, int) else None
    current = session.get(Seat, attempt.seat_id) if attempt.seat_id else None
    if seat is None or not seat.active or seat.room_id != candidate.session.room_id:
        raise ValidationError("attempt.seat", N_("Choose a free seat of this hall."), field="seat_id")
    taken = session.scalar(sa.select(Attempt.id).join(SessionCandidate, SessionCandidate.id == Attempt.candidate_id)
                           .where(SessionCandidate.session_id == candidate.session_id, Attempt.seat_id == seat.id,
                                  Attempt.id != attempt.id))
    assigned = session.scalar(sa.select(SessionCandidate.id).where(SessionCandidate.session_id == candidate.session_id,
                                                                    SessionCandidate.seat_id == seat.id,
                                                                    SessionCandidate.id != candidate.id))
    if taken or assigned:
        raise Conflict("attempt.seat_taken", N_("Seat %(seat)s is taken."), field="seat_id", seat=seat.label)
    before_seat = current.label if current else None
    attempt.seat_id = seat.id
    attempt.sitting_token = None  # the old terminal is shut out; the candidate signs in at the new seat
    _event(session, actor, attempt.id, "move", attempt.status, attempt.status, reason,
           {"from_seat": before_seat, "to_seat": seat.label}, now)
    return attempt


def warn(session: Session, actor: Actor, attempt_id: int, reason: str, *, now: dt.datetime | None = None) -> Attempt:
    """口头警告 (rules.md §5.1): recorded; the candidate goes on."""
    now = now or utcnow()
    attempt = get_attempt(session, attempt_id)
    reason = _reason(reason, required=True)
    if attempt.status in FINISHED:
        raise Conflict("attempt.finished", N_("The attempt has already ended."))
    _event(session, actor, attempt.id, "warn", attempt.status, attempt.status, reason, None, now)
    return attempt


def expel(session: Session, actor: Actor, attempt_id: int, reason: str, *, now: dt.datetime | None = None) -> Attempt:
    """责令离开考场并取消本场考试成绩: the attempt ends, its score is cancelled."""
    now = now or utcnow()
    attempt = get_attempt(session, attempt_id, lock=True)
    reason = _reason(reason, required=True)
    _transition(session, actor, attempt, "terminate", reason=reason, details={"score_cancelled": True}, now=now)
    attempt.finished_at, attempt.deadline_at, attempt.score_cancelled = now, None, True
    _score(session, attempt, now, cancelled=True)
    return attempt


# --- answers --------------------------------------------------------------------------------------

def valid_choice(question_type: str, option_count: int, chosen: Iterable[int]) -> list[int]:
    """The chosen option indices, sorted and checked against the question's type and number of options."""
    try:
        picked = sorted({int(i) for i in chosen})
    except (TypeError, ValueError):
        picked = [-1]
    if any(not 0 <= i < option_count for i in picked) or (question_type != "multi" and len(picked) > 1):
        raise ValidationError("answer.choice", N_("That is not a possible answer to this question."), field="chosen")
    return picked


def heartbeat(session: Session, attempt_id: int, *, now: dt.datetime | None = None) -> Attempt:
    now = now or utcnow()
    attempt = get_attempt(session, attempt_id)
    finish_if_overdue(session, attempt, now)
    attempt.last_seen_at = now
    return attempt


# --- the end --------------------------------------------------------------------------------------

def submit(session: Session, actor: Actor, attempt_id: int, *, now: dt.datetime | None = None) -> Attempt:
    now = now or utcnow()
    attempt = get_attempt(session, attempt_id, lock=True)
    if finish_if_overdue(session, attempt, now):
        return attempt
    _transition(session, actor, attempt, "submit", now=now)
    attempt.finished_at, attempt.deadline_at = now, None
    _score(session, attempt, now)
    return attempt


def finish_if_overdue(session: Session, attempt: Attempt, now: dt.datetime) -> bool:
    if attempt.status is S.IN_PROGRESS and attempt.deadline_at is not None and attempt.deadline_at <= now:
        _transition(session, Actor.system("clock"), attempt, "time_out", now=now)
        attempt.finished_at, attempt.deadline_at = attempt.deadline_at, None
        _score(session, attempt, now)
        return True
    return False


def finish_overdue(session: Session, *, now: dt.datetime | None = None) -> int:
    """Time out every attempt whose deadline has passed, terminal or not (the server's sweeper calls this)."""
    now = now or utcnow()
    due = session.scalars(sa.select(Attempt.id).where(Attempt.status == S.IN_PROGRESS, Attempt.deadline_at <= now)).all()
    for attempt_id in due:
        finish_if_overdue(session, get_attempt(session, attempt_id, lock=True), now)
    return len(due)


def _score(session: Session, attempt: Attempt, now: dt.datetime, *, cancelled: bool = False) -> None:
    """Score from the frozen paper: exact for true/false and single choice, all-or-nothing for multiple choice."""
    paper = paper_of(session, attempt)
    answers = {a.position: a for a in session.scalars(sa.select(AttemptAnswer)
                                                      .where(AttemptAnswer.attempt_id == attempt.id))}
    total = 0.0
    for question in paper.questions:
        answer = answers.get(question.position)
        chosen = tuple(answer.chosen) if answer else ()
        correct = chosen == tuple(sorted(question.key))
        points = question.points if correct else 0.0
        total += points
        session.add(ScoredResponse(paper_id=attempt.paper_id, position=question.position, item_id=question.item_id,
                                   item_version_id=question.version_id,
                                   chosen=sorted(question.option_order[i] for i in chosen),
                                   correct=correct, points=points, scored_at=now))
    candidate = session.get(SessionCandidate, attempt.candidate_id)
    application = session.get(ExamApplication, candidate.application_id)
    exam_day = local_date(attempt.started_at or now)
    attempt.score = 0.0 if cancelled else total
    # The pass mark travels with the paper (the blueprint's, by default the rule set's 80 of 100).
    attempt.passed = False if cancelled else total >= float(paper.blueprint["pass_mark"])
    session.add(ExamResult(person_id=application.person_id, operation_item_code=application.operation_item_code,
                           part=ExamPart.THEORY, application_id=application.id, score=attempt.score,
                           passed=attempt.passed, taken_on=exam_day))
    session.flush()
