"""Autosave (自动保存): one answer per call, idempotent by a per-attempt sequence number, acknowledged after commit.

This is the hottest path on exam day (every click of every candidate), so it talks SQL directly instead of
loading ORM objects, and checks answers against each paper's small ``question_shapes`` rather than the
decoded paper.

``save_answer`` works in the caller's transaction: one ``SELECT … FOR UPDATE`` of the attempt's few columns
(which also orders the save against a concurrent pause, submit or timeout), one upsert that writes the answer
only if its sequence number is newer than the stored one, and one update of the attempt's high-water mark.

``save_committed`` is what the terminal calls: it saves and commits. On PostgreSQL the common case (in
progress, in time, the current sitting, a possible answer) is one autocommitted statement doing all three
writes as data-modifying CTEs: the attempt's lock, the checks, the upsert and the high-water mark in one
round trip, the answer checked against the question's shape in SQL. Anything else, and every save on SQLite,
takes ``save_answer`` in a transaction (which keeps each paper's shapes per process), which gives each
refusal its own error; the rare paths there (an overdue attempt, a save after the end) go through the ORM
state machine in ``attempts``.

A save may carry the terminal's *sitting token*: only the terminal the candidate last signed in at (and not
one they were moved away from) may save.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from exam_center.db import Database, DriverStatement
from exam_center.domain.errors import N_, Conflict, DomainError, ValidationError
from exam_center.models import Attempt, AttemptAnswer, AttemptStatus, Paper, utcnow
from exam_center.models.base import UTCDateTime
from question_bank.assembly import Paper as FrozenPaper

from . import attempts
from .recent import Recent, database_key
from .sittings import check_sitting

S = AttemptStatus
ANSWERS = AttemptAnswer.__table__
ATTEMPTS = Attempt.__table__
PAPERS = Paper.__table__
MAX_SEQ = 2**62


@dataclass(frozen=True)
class SaveAck:
    seq: int                 # the highest sequence number the server holds for this attempt
    applied: bool            # False: a stale or duplicate save, ignored
    remaining_seconds: float
    status: AttemptStatus


def save_committed(db: Database, attempt_id: int, *, position: int, chosen: Iterable[int], marked: bool,
                   seq: int, now: dt.datetime | None = None, sitting_token: str | None = None,
                   check_token: bool = False) -> SaveAck:
    """``save_answer``, committed: the acknowledgement it returns is durable. A refused save writes nothing
    (but an attempt it found overdue is finished all the same)."""
    now = now or utcnow()
    _check_seq(seq)
    if db.engine.dialect.name == "postgresql":
        ack = _save_in_one_statement(db, attempt_id, position, chosen, marked, seq, now, sitting_token,
                                     check_token)
        if ack is not None:
            return ack
    with db.sessions() as session:
        try:
            ack = save_answer(session, attempt_id, position=position, chosen=chosen, marked=marked, seq=seq,
                              now=now, sitting_token=sitting_token, check_token=check_token)
        except DomainError:
            session.commit()
            raise
        session.commit()
    return ack


def save_answer(session: Session, attempt_id: int, *, position: int, chosen: Iterable[int], marked: bool,
                seq: int, now: dt.datetime | None = None, sitting_token: str | None = None,
                check_token: bool = False) -> SaveAck:
    """Store one answer if ``seq`` is newer than what the server has for that question; acknowledge either way.

    With ``check_token`` the save must come from the attempt's current sitting (``sitting_token``).
    """
    now = now or utcnow()
    _check_seq(seq)
    postgres = session.get_bind().dialect.name == "postgresql"
    row = session.execute(_LOCK_ATTEMPT, {"attempt_id": attempt_id}).one_or_none()
    if row is None:
        raise attempts.attempt_not_found()
    if check_token:
        check_sitting(row.sitting_token, sitting_token)
    if row.status is not S.IN_PROGRESS or row.deadline_at is None or row.deadline_at <= now:
        return _save_out_of_time(session, attempt_id, position, seq, now)
    picked = possible_answer(question_shapes(session, row.paper_id), position, chosen)
    values = {"attempt_id": attempt_id, "position": position, "chosen": picked, "marked": bool(marked), "seq": seq,
              "saved_at": now}
    applied = _store(session, postgres, values)
    high = max(row.last_seq, seq)
    if applied:
        _forget_loaded(session, attempt_id)
    return SaveAck(high, applied, max(0.0, (row.deadline_at - now).total_seconds()), S.IN_PROGRESS)


def _check_seq(seq: int) -> None:
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or seq > MAX_SEQ:
        raise ValidationError("answer.seq", N_("The save has no valid sequence number."), field="seq")


def possible_answer(shapes: tuple[tuple[str, int], ...], position: int, chosen: Iterable[int]) -> list[int]:
    """The chosen options, sorted, if they answer question ``position`` of a paper with these shapes; else a
    ValidationError naming what is wrong."""
    if not isinstance(position, int) or isinstance(position, bool) or not 1 <= position <= len(shapes):
        raise ValidationError("answer.position", N_("There is no question %(position)s on this paper."),
                              field="position", position=position)
    question_type, option_count = shapes[position - 1]
    return attempts.valid_choice(question_type, option_count, chosen)


_SHAPES: Recent[tuple[tuple[str, int], ...]] = Recent(4096)


def question_shapes(bind: Session | Connection, paper_id: int) -> tuple[tuple[str, int], ...]:
    """Each question's (type, number of options) on a frozen paper, by position."""
    def load() -> tuple[tuple[str, int], ...]:
        row = bind.execute(_SHAPES_OF_PAPER, {"paper_id": paper_id}).one()
        shapes = json.loads(row.question_shapes) if row.question_shapes is not None \
            else FrozenPaper.from_dict(bind.execute(_SNAPSHOT, {"paper_id": paper_id}).scalar_one()).shapes()
        return tuple((question_type, int(count)) for question_type, count in shapes)
    return _SHAPES.get((database_key(bind), paper_id), load)


def _save_in_one_statement(db: Database, attempt_id: int, position: int, chosen: Iterable[int], marked: bool,
                           seq: int, now: dt.datetime, sitting_token: str | None, check_token: bool
                           ) -> SaveAck | None:
    """PostgreSQL, the common case, autocommitted; None when the save needs ``save_answer`` (nothing written).
    The statement itself checks the answer against the paper's question shapes: nothing is looked up first,
    so a process answers the first save of an attempt as fast as any other."""
    picked = _distinct_option_numbers(chosen)
    if picked is None or type(position) is not int or position < 1:  # (a bool is no position)
        return None  # save_answer says what is wrong
    row = _SAVE_IN_ONE.autocommitted_row(db.engine, {
        "attempt_id": attempt_id, "position": position, "chosen": picked,
        "highest_option": picked[-1] if picked else -1, "options_chosen": len(picked), "marked": bool(marked),
        "seq": seq, "saved_at": now, "any_token": not check_token, "token": sitting_token})
    if row is None:
        return None
    deadline_at, last_seq, accepted, applied = row
    if not accepted:
        return None
    return SaveAck(max(last_seq, seq), applied > 0, max(0.0, (deadline_at - now).total_seconds()), S.IN_PROGRESS)


def _distinct_option_numbers(chosen: Iterable[int]) -> list[int] | None:
    """The chosen option numbers sorted, if each is a plain int ≥ 0 (the statement checks them against the
    question); else None."""
    chosen = list(chosen)
    if not all(type(i) is int and i >= 0 for i in chosen):
        return None
    return sorted(set(chosen))


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
_SHAPES_OF_PAPER = sa.select(PAPERS.c.question_shapes).where(PAPERS.c.id == sa.bindparam("paper_id"))
_SNAPSHOT = sa.select(PAPERS.c.snapshot).where(PAPERS.c.id == sa.bindparam("paper_id"))


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
    return _keep_newer(insert(ANSWERS).values({c: sa.bindparam(c) for c in
                                               ("attempt_id", "position", "chosen", "marked", "seq", "saved_at")}))


def _keep_newer(statement):
    """An INSERT of an answer made an upsert that overwrites only an answer with an older sequence number."""
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


def _save_in_one() -> sa.Executable:
    """PostgreSQL, autocommitted: lock the attempt; if it is in progress, in time, (unless ``any_token``) at this
    sitting, and the answer fits its question on the attempt's paper, the upsert and the high-water mark as in
    ``_upsert_and_raise``. Answers the attempt's clock and high-water mark, whether the save was ``accepted``
    and how many rows it ``applied``. The lock is taken first (the upsert reads from it), so a pause or submit
    committed meanwhile is seen."""
    locked = (sa.select(ATTEMPTS.c.id, ATTEMPTS.c.status, ATTEMPTS.c.deadline_at, ATTEMPTS.c.paper_id,
                        ATTEMPTS.c.last_seq, ATTEMPTS.c.sitting_token)
              .where(ATTEMPTS.c.id == sa.bindparam("attempt_id")).with_for_update().cte("locked"))
    # The question's [type, number of options] (NULL past the last question), as ``possible_answer`` reads it.
    shape = sa.cast(PAPERS.c.question_shapes, postgresql.JSON).op("->")(
        sa.bindparam("position", type_=sa.Integer) - 1)
    accepted = (sa.select(locked.c.id).select_from(locked.join(PAPERS, PAPERS.c.id == locked.c.paper_id))
                .where(locked.c.status == sa.literal_column(f"'{S.IN_PROGRESS.value}'"),
                       locked.c.deadline_at > sa.bindparam("saved_at", type_=UTCDateTime),
                       sa.cast(shape.op("->>")(1), sa.Integer) > sa.bindparam("highest_option", type_=sa.Integer),
                       sa.or_(shape.op("->>")(0) == sa.literal_column("'multi'"),
                              sa.bindparam("options_chosen", type_=sa.Integer) <= 1),
                       sa.or_(sa.bindparam("any_token", type_=sa.Boolean),
                              locked.c.sitting_token == sa.bindparam("token", type_=sa.String)))
                .cte("accepted"))
    columns = ("position", "chosen", "marked", "seq", "saved_at")
    saved = _keep_newer(postgresql.insert(ANSWERS).from_select(
        ["attempt_id", *columns],
        sa.select(accepted.c.id, *(sa.bindparam(c, type_=ANSWERS.c[c].type) for c in columns)))).cte("saved")
    raised = _raise_high_water(sa.func.greatest).where(sa.exists(sa.select(saved.c.seq))).cte("raised")
    return sa.select(locked.c.deadline_at, locked.c.last_seq, sa.exists(sa.select(accepted.c.id)).label("accepted"),
                     sa.select(sa.func.count()).select_from(saved).scalar_subquery().label("applied")
                     ).add_cte(raised)


_UPSERT_AND_RAISE = _upsert_and_raise()
_SAVE_IN_ONE = DriverStatement(_save_in_one())
_UPSERT_SQLITE = _upsert(sqlite.insert)
_RAISE_SQLITE = _raise_high_water(sa.func.max)


def _forget_loaded(session: Session, attempt_id: int) -> None:
    """The SQL above bypassed the ORM: an Attempt already loaded in this session must reload what changed."""
    attempts.expire_loaded(session, attempt_id, ["last_seq", "last_seen_at"])
    for answer in [obj for obj in session.identity_map.values()
                   if isinstance(obj, AttemptAnswer) and obj.attempt_id == attempt_id]:
        session.expire(answer)


__all__ = ["SaveAck", "possible_answer", "question_shapes", "save_answer", "save_committed"]
