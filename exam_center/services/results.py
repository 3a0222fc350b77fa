"""Theory results of a session: the list, the publication deadline (10 working days), publishing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from exam_center.domain.errors import N_, Conflict
from exam_center.domain.idcard import mask_id_number
from exam_center.domain.rulesets import rule_set_on
from exam_center.domain.workdays import WorkdayCalendar
from exam_center.models import FINISHED, Attempt, AttemptStatus, ExamApplication, SessionCandidate, utcnow

from .audit import Actor, record
from .scheduling import get_exam_session, local_date


@dataclass(frozen=True)
class ResultRow:
    ticket_number: str
    name: str
    masked_id_number: str
    status: AttemptStatus
    score: float | None
    passed: bool | None
    score_cancelled: bool
    published: bool


@dataclass(frozen=True)
class SessionResults:
    rows: tuple[ResultRow, ...]
    exam_day: dt.date
    publish_by: dt.date
    publish_by_provisional: bool
    unfinished: int

    @property
    def published(self) -> bool:
        return bool(self.rows) and all(r.published for r in self.rows)


def session_results(session: Session, *, centre_id: int, session_id: int, calendar: WorkdayCalendar) -> SessionResults:
    exam_session = get_exam_session(session, session_id, centre_id)
    exam_day = local_date(exam_session.starts_at)
    publish_by = rule_set_on(exam_day).result_publish_deadline(exam_day, calendar)
    pairs = session.execute(
        sa.select(SessionCandidate, Attempt).outerjoin(Attempt, Attempt.candidate_id == SessionCandidate.id)
        .where(SessionCandidate.session_id == exam_session.id)
        .options(selectinload(SessionCandidate.application).selectinload(ExamApplication.person))
        .order_by(SessionCandidate.ticket_number)).all()
    rows = tuple(
        ResultRow(c.ticket_number, c.application.person.name, mask_id_number(c.application.person.id_number),
                  a.status if a else AttemptStatus.SCHEDULED, a.score if a else None, a.passed if a else None,
                  bool(a and a.score_cancelled), bool(a and a.published_at))
        for c, a in pairs)
    unfinished = sum(r.status not in FINISHED for r in rows)
    return SessionResults(rows, exam_day, publish_by, calendar.is_provisional(publish_by), unfinished)


def publish_results(session: Session, actor: Actor, *, centre_id: int, session_id: int,
                    calendar: WorkdayCalendar, now: dt.datetime | None = None) -> int:
    """Publish every result of the session at once; only when every candidate has finished or is marked absent."""
    now = now or utcnow()
    results = session_results(session, centre_id=centre_id, session_id=session_id, calendar=calendar)
    if not results.rows:
        raise Conflict("results.empty", N_("This session has no candidates."))
    if results.unfinished:
        raise Conflict("results.unfinished",
                       N_("%(count)s candidates have not finished (or have not been marked absent): results can be "
                          "published only when everyone has."), count=results.unfinished)
    if results.published:
        raise Conflict("results.already_published", N_("The results of this session are already published."))
    attempts = session.scalars(sa.select(Attempt).join(SessionCandidate, SessionCandidate.id == Attempt.candidate_id)
                               .where(SessionCandidate.session_id == session_id)).all()
    for attempt in attempts:
        attempt.published_at = now
    late = local_date(now) > results.publish_by
    record(session, actor, "results.publish", "exam_session", session_id,
           after={"results": len(attempts), "publish_by": results.publish_by, "late": late})
    return len(attempts)
