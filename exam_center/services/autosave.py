"""Autosave (自动保存): one answer per call, idempotent by a per-attempt sequence number, acknowledged after commit.

This is the hottest path on exam day (every click of every candidate), so it talks SQL directly instead of
loading ORM objects: one ``SELECT … FOR UPDATE`` of the attempt's few columns (which also orders the save
against a concurrent pause, submit or timeout), one upsert that writes the answer only if its sequence
number is newer than the stored one, and one update of the attempt's high-water mark (on PostgreSQL the
upsert and the update travel as one statement). The rare paths (an overdue attempt, a save after the end) go
through the ORM state machine in ``attempts``.

A save may carry the terminal's *sitting token*: only the terminal the candidate last signed in at (and not
one they were moved away from) may save.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exam_center.domain.errors import N_, Conflict, ValidationError
from exam_center.models import Attempt, AttemptAnswer, AttemptStatus, utcnow

from . import attempts
from .sittings import check_sitting

S = AttemptStatus
ANSWERS = AttemptAnswer.__table__
ATTEMPTS = Attempt.__table__
MAX_SEQ = 2**62


@dataclass(frozen=True)
class SaveAck:
    seq: int                 # the highest sequence number the server holds for this attempt
    applied: bool            # False: a stale or duplicate save, ignored
    remaining_seconds: float
    status: AttemptStatus


def save_answer(session: Session, attempt_id: int, *, position: int, chosen: Iterable[int], marked: bool,
                seq: int, now: dt.datetime | None = None, sitting_token: str | None = None,
                check_token: bool = False) -> SaveAck:
    """Store one answer if ``seq`` is newer than what the server has for that question; acknowledge either way.

    With ``check_token`` the save must come from the attempt's current sitting (``sitting_token``).
    """
    now = now or utcnow()
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or seq > MAX_SEQ:
        raise ValidationError("answer.seq", N_("The save has no valid sequence number."), field="seq")
    postgres = session.get_bind().dialect.name == "postgresql"
    row = session.execute(_LOCK_ATTEMPT, {"attempt_id": attempt_id}).one_or_none()
    if row is None:
        raise attempts.attempt_not_found()
    if check_token:
        check_sitting(row.sitting_token, sitting_token)
    if row.status is not S.IN_PROGRESS or row.deadline_at is None or row.deadline_at <= now:
        return _save_out_of_time(session, attempt_id, position, seq, now)
    question = attempts.question_of(session, row.paper_id, position)
    picked = attempts.valid_choice(question, chosen)
    values = {"attempt_id": attempt_id, "position": position, "chosen": picked, "marked": bool(marked), "seq": seq,
              "saved_at": now}
    applied = _store(session, postgres, values)
    high = max(row.last_seq, seq)
    if applied:
        _forget_loaded(session, attempt_id)
    return SaveAck(high, applied, max(0.0, (row.deadline_at - now).total_seconds()), S.IN_PROGRESS)


def _save_out_of_time(session: Session, attempt_id: int, position: int, seq: int, now: dt.datetime) -> SaveAck:
    """Not in progress (or just overdue, which finishes it now): a repeat is still acknowledged, news refused."""
    attempt = attempts.get_attempt(session, attempt_id)
    attempts.finish_if_overdue(session, attempt, now)
    held = session.scalar(sa.select(ANSWERS.c.seq).where(ANSWERS.c.attempt_id == attempt_id,
                                                         ANSWERS.c.position == position))
    if held is not None and held >= seq:
        return SaveAck(max(attempt.last_seq, seq), False, attempts.remaining_seconds(session, attempt, now),
                       attempt.status)
    raise Conflict("answer.not_in_progress",
                   N_("Answers can only be saved while the exam is in progress (now: %(status)s)."),
                   status=attempt.status.label_zh)


# The statements are built once: on the hot path, building them cost as much as running them.
_LOCK_ATTEMPT = (sa.select(ATTEMPTS.c.status, ATTEMPTS.c.deadline_at, ATTEMPTS.c.paper_id, ATTEMPTS.c.last_seq,
                           ATTEMPTS.c.sitting_token)
                 .where(ATTEMPTS.c.id == sa.bindparam("attempt_id")).with_for_update())


def _store(session: Session, postgres: bool, values: dict) -> bool:
    """Write the answer unless the stored one has the same or a newer sequence number and, if written, raise the
    attempt's high-water mark. True if written."""
    if postgres:  # one round trip: both writes as data-modifying CTEs
        return session.execute(_UPSERT_AND_RAISE, values).scalar_one() > 0
    applied = session.execute(_UPSERT_SQLITE, values).first() is not None
    if applied:
        session.execute(_RAISE_SQLITE, values)
    return applied


def _upsert(insert) -> sa.Executable:
    """The answer, unless the stored one has the same or a newer sequence number; RETURNING says which."""
    statement = insert(ANSWERS).values({c: sa.bindparam(c) for c in
                                        ("attempt_id", "position", "chosen", "marked", "seq", "saved_at")})
    return statement.on_conflict_do_update(
        index_elements=[ANSWERS.c.attempt_id, ANSWERS.c.position],
        set_={c: getattr(statement.excluded, c) for c in ("chosen", "marked", "seq", "saved_at")},
        where=ANSWERS.c.seq < statement.excluded.seq).returning(ANSWERS.c.seq)


def _raise_high_water(larger) -> sa.Update:
    return (sa.update(ATTEMPTS).where(ATTEMPTS.c.id == sa.bindparam("attempt_id"))
            .values(last_seq=larger(ATTEMPTS.c.last_seq, sa.bindparam("seq")), last_seen_at=sa.bindparam("saved_at")))


def _upsert_and_raise() -> sa.Executable:
    """PostgreSQL: the upsert, and the high-water update only if the upsert wrote a row; answers how many it wrote.
    (A data-modifying CTE runs to completion whether or not the main query reads it.)"""
    saved = _upsert(postgresql.insert).cte("saved")
    raised = _raise_high_water(sa.func.greatest).where(sa.exists(sa.select(saved.c.seq))).cte("raised")
    return sa.select(sa.func.count()).select_from(saved).add_cte(raised)


_UPSERT_AND_RAISE = _upsert_and_raise()
_UPSERT_SQLITE = _upsert(sqlite.insert)
_RAISE_SQLITE = _raise_high_water(sa.func.max)


def _forget_loaded(session: Session, attempt_id: int) -> None:
    """The SQL above bypassed the ORM: an Attempt already loaded in this session must reload what changed."""
    attempts.expire_loaded(session, attempt_id, ["last_seq", "last_seen_at"])
    for answer in [obj for obj in session.identity_map.values()
                   if isinstance(obj, AttemptAnswer) and obj.attempt_id == attempt_id]:
        session.expire(answer)


__all__ = ["SaveAck", "save_answer"]
