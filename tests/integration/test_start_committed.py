"""The start as the terminal makes it (``attempts.start_committed``): committed before it is answered, audited,
and on PostgreSQL a first start is two statements through the driver whose write happens only if nothing the
read saw has changed meanwhile; a change in between is never overwritten."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam_center.domain.errors import Conflict
from exam_center.models import Attempt, AttemptEvent, AttemptStatus, AuditEvent
from exam_center.services import attempts
from exam_center.services.audit import verify_chain
from exam_center.services.sittings import SittingEnded

from test_attempts import PROCTOR, T0, seated  # noqa: F401  (seated: a fixture)

S = AttemptStatus


def _checked_in(db, seated, *, sitting: str | None = None, extra_minutes: int = 0) -> int:
    with db.transaction() as s:
        attempt = attempts.check_in(s, PROCTOR, seated.candidate_id, now=T0)
        attempt.sitting_token = sitting
        if extra_minutes:
            attempts.extend(s, PROCTOR, attempt.id, extra_minutes, "迟到补时", now=T0)
        return attempt.id


def _history(db, attempt_id: int) -> tuple[Attempt, list[str], list[AuditEvent]]:
    with db.sessions() as s:
        actions = s.scalars(sa.select(AttemptEvent.action).where(AttemptEvent.attempt_id == attempt_id)
                            .order_by(AttemptEvent.id)).all()
        audited = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "attempt.start")).all()
        assert verify_chain(s).ok
        return s.get(Attempt, attempt_id), actions, audited


def test_a_first_start_is_committed_audited_and_keeps_time_given_before_it(db, seated):
    attempt_id = _checked_in(db, seated, sitting="terminal-a", extra_minutes=5)
    started = attempts.start_committed(db, attempt_id, now=T0, sitting_token="terminal-a", check_token=True,
                                       address="10.0.0.7")
    assert (started.first, started.status, started.deadline_at) == (True, S.IN_PROGRESS, T0 + dt.timedelta(minutes=35))
    assert started.question_count == 10 and started.questions_shown.startswith("[")
    attempt, actions, audited = _history(db, attempt_id)
    assert (attempt.status, attempt.started_at, attempt.deadline_at, attempt.remaining_seconds) == (
        S.IN_PROGRESS, T0, T0 + dt.timedelta(minutes=35), None)
    assert actions == ["check_in", "extend", "start"]
    assert [(e.actor_type, e.actor_label, e.source_address, e.before, e.after) for e in audited] == [
        ("candidate", "ticket:T0001", "10.0.0.7", {"status": "checked_in"},
         {"status": "in_progress", "reason": None})]
    again = attempts.start_committed(db, attempt_id, now=T0 + dt.timedelta(minutes=3), sitting_token="terminal-a",
                                     check_token=True)
    assert (again.first, again.deadline_at) == (False, T0 + dt.timedelta(minutes=35))
    assert _history(db, attempt_id)[1] == ["check_in", "extend", "start"]


def test_only_a_checked_in_candidate_at_the_current_sitting_starts(db, seated):
    with db.transaction() as s:
        attempt_id = attempts.attempt_of_candidate(s, seated.candidate_id).id
    with pytest.raises(Conflict) as refused:
        attempts.start_committed(db, attempt_id, now=T0)
    assert refused.value.code == "attempt.not_checked_in"
    _checked_in(db, seated, sitting="terminal-a")
    with pytest.raises(SittingEnded):
        attempts.start_committed(db, attempt_id, now=T0, sitting_token="terminal-b", check_token=True)
    attempt, actions, audited = _history(db, attempt_id)
    assert (attempt.status, actions, audited) == (S.CHECKED_IN, ["check_in"], [])


def test_on_postgresql_a_first_start_is_two_statements_through_the_driver(db, seated, statements):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite starts in a transaction")
    attempt_id = _checked_in(db, seated)
    through_sqlalchemy, through_driver = statements()
    assert attempts.start_committed(db, attempt_id, now=T0).first
    assert through_sqlalchemy == []
    assert len(through_driver) == 2 and through_driver[1].lstrip().startswith("WITH started AS")
    assert _history(db, attempt_id)[1] == ["check_in", "start"]


def _extend(db, attempt_id: int) -> None:
    with db.transaction() as s:
        attempts.extend(s, PROCTOR, attempt_id, 7, "终端故障", now=T0)


def _move(db, attempt_id: int) -> None:
    with db.transaction() as s:
        s.get(Attempt, attempt_id).sitting_token = None  # as ``attempts.move`` leaves it


def _expel(db, attempt_id: int) -> None:
    with db.transaction() as s:
        attempts.expel(s, PROCTOR, attempt_id, "夹带", now=T0)


def _other_terminal_starts(db, attempt_id: int) -> None:
    with db.transaction() as s:
        attempts.start(s, None, attempt_id, now=T0 - dt.timedelta(seconds=5))


@pytest.mark.parametrize("change,outcome", [
    (_extend, "started with the extension"),
    (_move, SittingEnded),
    (_expel, Conflict),
    (_other_terminal_starts, "started once, by the other"),
])
def test_a_change_between_the_read_and_the_write_is_not_overwritten(db, seated, monkeypatch, change, outcome):
    """PostgreSQL: the proctor acts (or a second terminal starts) just after the start's read; its write then
    changes nothing, and the start is decided again in a transaction, which sees the change."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite starts in a transaction")
    attempt_id = _checked_in(db, seated, sitting="terminal-a")
    read = attempts._FOR_START_ROW.autocommitted_row

    def read_then_change(engine, values):
        row = read(engine, values)
        change(db, attempt_id)
        return row

    monkeypatch.setattr(attempts._FOR_START_ROW, "autocommitted_row", read_then_change)
    if isinstance(outcome, type):
        with pytest.raises(outcome):
            attempts.start_committed(db, attempt_id, now=T0, sitting_token="terminal-a", check_token=True)
    else:
        started = attempts.start_committed(db, attempt_id, now=T0, sitting_token="terminal-a", check_token=True)
        assert started.first is (change is _extend)
    attempt, actions, audited = _history(db, attempt_id)
    assert actions.count("start") == len(audited) == (1 if change in (_extend, _other_terminal_starts) else 0)
    if change is _extend:
        assert attempt.deadline_at == T0 + dt.timedelta(minutes=37)
    if change is _other_terminal_starts:
        assert attempt.deadline_at == T0 + dt.timedelta(minutes=30, seconds=-5)
    if change is _move:
        assert (attempt.status, attempt.sitting_token) == (S.CHECKED_IN, None)
    if change is _expel:
        assert attempt.status is S.TERMINATED
