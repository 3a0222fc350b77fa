"""Saves as the terminal makes them (``autosave.save_committed``): committed before they are acknowledged, on
PostgreSQL as one statement in the common case, and every refusal the same as in a transaction, with nothing
written."""
from __future__ import annotations

import datetime as dt
import threading

import psycopg
import pytest
import sqlalchemy as sa

from exam_center.domain.errors import Conflict, NotFound, ValidationError
from exam_center.models import Attempt, AttemptAnswer, AttemptStatus
from exam_center.services import attempts, autosave
from exam_center.services.sittings import SittingEnded

from conftest import run_in_threads
from test_attempts import PROCTOR, T0, _paper, _started, seated  # noqa: F401  (seated: a fixture)

SOON = T0 + dt.timedelta(minutes=1)


def _save(db, attempt_id: int, **changes) -> autosave.SaveAck:
    values = {"position": 1, "chosen": [0], "marked": False, "seq": 1, "now": SOON, **changes}
    return autosave.save_committed(db, attempt_id, **values)


def _stored(db) -> dict[int, tuple[int, list[int], bool]]:
    with db.sessions() as s:
        return {a.position: (a.seq, a.chosen, a.marked) for a in s.scalars(sa.select(AttemptAnswer))}


def _sitting(db, attempt_id: int, token: str | None) -> None:
    with db.transaction() as s:
        s.get(Attempt, attempt_id).sitting_token = token


def test_committed_saves_are_durable_idempotent_and_raise_the_high_water_mark(db, seated):
    attempt_id = _started(db, seated)
    first = _save(db, attempt_id, seq=5, marked=True)
    assert (first.applied, first.seq, first.status, first.remaining_seconds) == (True, 5, AttemptStatus.IN_PROGRESS,
                                                                                 29 * 60)
    duplicate, stale = _save(db, attempt_id, seq=5, marked=True), _save(db, attempt_id, seq=3, chosen=[1])
    assert (duplicate.applied, stale.applied, stale.seq) == (False, False, 5)
    other = _save(db, attempt_id, position=2, seq=4, chosen=[1])
    assert (other.applied, other.seq) == (True, 5)  # new for question 2; the attempt's mark stays 5
    assert _stored(db) == {1: (5, [0], True), 2: (4, [1], False)}
    with db.sessions() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.last_seq == 5 and attempt.last_seen_at == SOON


def test_on_postgresql_a_common_save_is_one_statement(db, seated, statements):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no data-modifying CTEs: every save takes the transaction")
    attempt_id = _started(db, seated)
    through_sqlalchemy, through_driver = statements()
    # The attempt's first save too: nothing is looked up before it.
    assert _save(db, attempt_id, position=2, seq=2).applied
    assert not _save(db, attempt_id, position=2, seq=2).applied
    assert through_sqlalchemy == []
    assert len(through_driver) == 2 and all(s.lstrip().startswith("WITH locked AS") for s in through_driver)


def test_on_postgresql_the_one_statement_takes_every_possible_answer(db, seated, statements):
    """The statement checks answers against the paper's question shapes itself: every question, its last option,
    and all options of a multiple-choice question, are stored by it, none sent on to the transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the one-statement save is PostgreSQL's")
    attempt_id = _started(db, seated)
    questions = _paper(db, attempt_id).questions
    assert {q.type for q in questions} >= {"single", "multi"}
    through_sqlalchemy, through_driver = statements()
    for seq, question in enumerate(questions, start=1):
        options = list(range(len(question.options)))
        chosen = options if question.type == "multi" else options[-1:]
        assert _save(db, attempt_id, position=question.position, chosen=chosen, seq=seq).applied
    assert through_sqlalchemy == [] and len(through_driver) == len(questions)
    stored = _stored(db)
    assert {position: chosen for position, (_seq, chosen, _marked) in stored.items()} == {
        q.position: list(range(len(q.options))) if q.type == "multi" else [len(q.options) - 1] for q in questions}


def test_a_save_on_a_connection_that_died_fails_and_the_next_one_is_stored(db, seated):
    """The one statement goes past SQLAlchemy's error handling: a dead connection must leave the pool anyway."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the one-statement save is PostgreSQL's")
    attempt_id = _started(db, seated)
    _save(db, attempt_id, seq=1)  # every pooled connection used just now: the idle ping will not look at them
    with psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    with pytest.raises(psycopg.OperationalError):
        _save(db, attempt_id, position=3, seq=2)
    assert _save(db, attempt_id, position=3, seq=3).applied
    assert _stored(db)[3][0] == 3


@pytest.mark.parametrize("changes,code", [
    ({"position": 0}, "answer.position"), ({"position": 11}, "answer.position"), ({"position": True}, "answer.position"),
    ({"chosen": [9]}, "answer.choice"), ({"chosen": ["x"]}, "answer.choice"), ({"chosen": [-1]}, "answer.choice"),
    ({"seq": 0}, "answer.seq"), ({"seq": True}, "answer.seq"), ({"seq": 2**62 + 1}, "answer.seq"),
])
def test_bad_committed_saves_are_refused_and_write_nothing(db, seated, changes, code):
    attempt_id = _started(db, seated)
    with pytest.raises(ValidationError) as refused:
        _save(db, attempt_id, **changes)
    assert refused.value.code == code
    assert _stored(db) == {}


def test_two_options_on_a_single_choice_question_are_refused_when_committed(db, seated):
    attempt_id = _started(db, seated)
    single = next(q for q in _paper(db, attempt_id).questions if q.type == "single")
    with pytest.raises(ValidationError):
        _save(db, attempt_id, position=single.position, chosen=[0, 1])
    assert _stored(db) == {}


def test_only_the_current_sitting_saves(db, seated):
    attempt_id = _started(db, seated)
    _sitting(db, attempt_id, "this-terminal")
    assert _save(db, attempt_id, seq=1, sitting_token="this-terminal", check_token=True).applied
    for held in ("other-terminal", None):
        with pytest.raises(SittingEnded) as refused:
            _save(db, attempt_id, seq=2, chosen=[1], sitting_token=held, check_token=True)
        assert refused.value.code == "terminal.replaced"
    _sitting(db, attempt_id, None)  # the proctor moved the candidate
    with pytest.raises(SittingEnded) as refused:
        _save(db, attempt_id, seq=3, chosen=[1], sitting_token="this-terminal", check_token=True)
    assert refused.value.code == "terminal.moved"
    assert _stored(db) == {1: (1, [0], False)}


def test_committed_saves_outside_the_exam_time(db, seated):
    attempt_id = _started(db, seated)
    with pytest.raises(NotFound):
        _save(db, 10**9)
    with db.transaction() as s:
        attempts.pause(s, PROCTOR, attempt_id, "停电", now=SOON)
    with pytest.raises(Conflict) as refused:
        _save(db, attempt_id, now=SOON + dt.timedelta(seconds=1))
    assert refused.value.code == "answer.not_in_progress"
    with db.transaction() as s:
        attempts.resume(s, PROCTOR, attempt_id, now=SOON + dt.timedelta(minutes=1))
    assert _save(db, attempt_id, seq=2, now=SOON + dt.timedelta(minutes=2)).applied
    # After the deadline (30 minutes, one of them paused) the save finishes the attempt instead of storing.
    late = T0 + dt.timedelta(minutes=31, seconds=1)
    with pytest.raises(Conflict):
        _save(db, attempt_id, position=2, seq=3, now=late)
    with db.sessions() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.status is AttemptStatus.TIMED_OUT and attempt.finished_at == T0 + dt.timedelta(minutes=31)
    # A repeat of an acknowledged save is still acknowledged after the end; nothing new is stored.
    repeat = _save(db, attempt_id, seq=2, now=late)
    assert (repeat.applied, repeat.status) == (False, AttemptStatus.TIMED_OUT)
    assert _stored(db) == {1: (2, [0], False)}


def test_racing_committed_saves_keep_the_newest_answer_and_the_highest_number(db, seated):
    attempt_id = _started(db, seated)
    order = [7, 2, 9, 4, 1, 8, 3, 6, 5, 10, 12, 11]

    def save(n: int) -> None:
        seq = order[n]
        _save(db, attempt_id, position=1 + seq % 2, chosen=[seq % 2], marked=seq == 12, seq=seq)

    assert run_in_threads(save, len(order)) == []
    assert _stored(db) == {1: (12, [0], True), 2: (11, [1], False)}
    with db.sessions() as s:
        assert s.get(Attempt, attempt_id).last_seq == 12


def test_saves_racing_a_pause_are_stored_before_it_or_refused(db, seated):
    """Whatever was acknowledged is stored; after the pause nothing more is."""
    attempt_id = _started(db, seated)
    acknowledged: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def act(n: int) -> None:
        if n == 5:
            with db.transaction() as s:
                attempts.pause(s, PROCTOR, attempt_id, "考场秩序", now=SOON)
            return
        try:
            ack = _save(db, attempt_id, position=1 + n % 10, seq=n + 1, chosen=[n % 2])
        except Conflict:
            with lock:
                refused.append(n + 1)
        else:
            with lock:
                acknowledged.append(n + 1 if ack.applied else -1)

    assert run_in_threads(act, 10) == []
    stored = _stored(db)
    assert sorted(seq for seq, _chosen, _marked in stored.values()) == sorted(acknowledged)
    assert len(acknowledged) + len(refused) == 9
    with db.sessions() as s:
        paused_at = s.scalar(sa.select(Attempt.status).where(Attempt.id == attempt_id))
        assert paused_at is AttemptStatus.PAUSED
    with pytest.raises(Conflict):
        _save(db, attempt_id, position=10, seq=99)


def test_question_shapes_are_the_papers(db, seated):
    attempt_id = _started(db, seated)
    paper = _paper(db, attempt_id)
    with db.sessions() as s:
        assert autosave.question_shapes(s, paper_id=s.get(Attempt, attempt_id).paper_id) == tuple(
            (q.type, len(q.options)) for q in paper.questions)
