"""The attempt state machine, the server-owned clock, idempotent saves and scoring from the frozen paper."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from exam_center.domain.errors import Conflict, NotFound, ValidationError
from exam_center.models import (Attempt, AttemptAnswer, AttemptEvent,
                                AttemptStatus, AuditEvent, ExamApplication, ExamPart, ExamResult, ExamRoom,
                                ExamSession, OrganisationKind, RoomKind, ScoredResponse, Seat, SessionCandidate,
                                SessionStatus)
from exam_center.services import attempts, autosave, papers
from exam_center.services.audit import Actor, verify_chain
from exam_center.domain.idcard import make_id_number

from exam_day import scheduled_candidate, small_exam_bank
from conftest import SYSTEM, run_in_threads

T0 = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.timezone.utc)
PROCTOR = Actor("staff", "99", "proctor")
CANDIDATE = Actor("candidate", "1", "ticket")


@dataclass
class Seated:
    candidate_id: int
    spare_seat_id: int
    other_hall_seat_id: int


@pytest.fixture
def seated(db, world) -> Seated:
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    with db.transaction() as s:
        blueprint = small_exam_bank(s)
        paper = papers.draw_papers(s, SYSTEM, blueprint.id, seeds=[7])[0]
        room = ExamRoom(centre_id=centre, name="理论一", kind=RoomKind.THEORY)
        other = ExamRoom(centre_id=centre, name="理论二", kind=RoomKind.THEORY)
        s.add_all([room, other])
        s.flush()
        seats = [Seat(room_id=room.id, label=f"{n:02d}") for n in (1, 2)] + [Seat(room_id=other.id, label="01")]
        s.add_all(seats)
        exam = ExamSession(centre_id=centre, room_id=room.id, part=ExamPart.THEORY, operation_item_code="1.2",
                           blueprint_id=blueprint.id, starts_at=T0, duration_minutes=30, capacity=2,
                           status=SessionStatus.CLOSED)
        s.add(exam)
        s.flush()
        candidate = scheduled_candidate(s, exam_session_id=exam.id, seat_id=seats[0].id, paper_id=paper.id,
                                        id_number=make_id_number("110105", dt.date(1990, 1, 1), 11), name="张三",
                                        ticket_number="T0001")
        return Seated(candidate.id, seats[1].id, seats[2].id)


def _paper(db, attempt_id):
    with db.sessions() as s:
        return attempts.paper_of(s, s.get(Attempt, attempt_id))


def _started(db, seated) -> int:
    with db.transaction() as s:
        attempt = attempts.check_in(s, PROCTOR, seated.candidate_id, now=T0)
        attempts.start(s, CANDIDATE, attempt.id, now=T0)
        return attempt.id


def test_the_happy_path_scores_from_the_frozen_paper(db, seated):
    attempt_id = _started(db, seated)
    paper = _paper(db, attempt_id)
    with db.transaction() as s:
        for seq, q in enumerate(paper.questions, start=1):
            chosen = list(q.key) if q.position != 1 else [1 - q.key[0]]   # question 1 answered wrongly
            ack = autosave.save_answer(s, attempt_id, position=q.position, chosen=chosen, marked=False, seq=seq,
                                       now=T0 + dt.timedelta(minutes=1))
            assert ack.applied and ack.seq == seq
        attempts.submit(s, CANDIDATE, attempt_id, now=T0 + dt.timedelta(minutes=10))
    with db.sessions() as s:
        attempt = s.get(Attempt, attempt_id)
        assert (attempt.status, attempt.score, attempt.passed) == (AttemptStatus.SUBMITTED, 90.0, True)
        result = s.scalar(sa.select(ExamResult))
        assert (result.part, result.score, result.passed) == (ExamPart.THEORY, 90.0, True)
        responses = s.scalars(sa.select(ScoredResponse).order_by(ScoredResponse.position)).all()
        assert len(responses) == 10 and [r.correct for r in responses].count(False) == 1
        # Chosen options are stored as authored (original indices), for item statistics.
        q2 = paper.questions[1]
        assert responses[1].chosen == sorted(q2.option_order[i] for i in q2.key)
        events = [e.action for e in s.scalars(sa.select(AttemptEvent).order_by(AttemptEvent.id))]
        assert events == ["check_in", "start", "submit"]
        assert verify_chain(s).ok


def test_multiple_choice_is_all_or_nothing(db, seated):
    attempt_id = _started(db, seated)
    multi = next(q for q in _paper(db, attempt_id).questions if q.type == "multi")
    with db.transaction() as s:
        autosave.save_answer(s, attempt_id, position=multi.position, chosen=[multi.key[0]], marked=False, seq=1,
                             now=T0)
        attempts.submit(s, CANDIDATE, attempt_id, now=T0 + dt.timedelta(minutes=1))
    with db.sessions() as s:
        response = s.scalar(sa.select(ScoredResponse).where(ScoredResponse.position == multi.position))
        assert response.correct is False and response.points == 0


def test_stale_and_duplicate_saves_are_ignored_but_acknowledged(db, seated):
    attempt_id = _started(db, seated)
    with db.transaction() as s:
        assert autosave.save_answer(s, attempt_id, position=1, chosen=[0], marked=True, seq=5, now=T0).applied
        duplicate = autosave.save_answer(s, attempt_id, position=1, chosen=[0], marked=True, seq=5, now=T0)
        stale = autosave.save_answer(s, attempt_id, position=1, chosen=[1], marked=False, seq=3, now=T0)
        assert (duplicate.applied, stale.applied, stale.seq) == (False, False, 5)
        # A later save for another question with a lower number than question 1's is still new for it.
        assert autosave.save_answer(s, attempt_id, position=2, chosen=[0], marked=False, seq=4, now=T0).applied
    with db.sessions() as s:
        answer = s.scalar(sa.select(AttemptAnswer).where(AttemptAnswer.position == 1))
        assert (answer.chosen, answer.marked, answer.seq) == ([0], True, 5)


def test_concurrent_saves_keep_the_newest_answer_and_the_highest_number(db, seated):
    """Saves racing on two connections (a retry overtaking its original): the newest number wins every time."""
    attempt_id = _started(db, seated)
    order = [7, 2, 9, 4, 1, 8, 3, 6, 5, 10, 12, 11]

    def save(n: int) -> None:
        seq = order[n]
        with db.transaction() as s:
            autosave.save_answer(s, attempt_id, position=1 + seq % 2, chosen=[seq % 2], marked=seq == 12, seq=seq,
                                 now=T0 + dt.timedelta(seconds=seq))

    assert run_in_threads(save, len(order)) == []
    with db.sessions() as s:
        stored = {a.position: (a.seq, a.chosen, a.marked) for a in s.scalars(sa.select(AttemptAnswer))}
        attempt = s.get(Attempt, attempt_id)
        assert stored == {1: (12, [0], True), 2: (11, [1], False)}
        assert attempt.last_seq == 12 and attempt.last_seen_at is not None


def test_a_save_to_an_unknown_attempt_is_refused(db, seated):
    with db.transaction() as s, pytest.raises(NotFound):
        autosave.save_answer(s, 10**9, position=1, chosen=[0], marked=False, seq=1, now=T0)


@pytest.mark.parametrize("kwargs,code", [
    ({"position": 0}, "answer.position"), ({"position": 11}, "answer.position"),
    ({"chosen": [9]}, "answer.choice"), ({"chosen": ["x"]}, "answer.choice"),
    ({"seq": 0}, "answer.seq"), ({"seq": True}, "answer.seq"),
])
def test_bad_saves_are_refused(db, seated, kwargs, code):
    attempt_id = _started(db, seated)
    values = {"position": 1, "chosen": [0], "marked": False, "seq": 1, **kwargs}
    with pytest.raises(ValidationError) as refused, db.transaction() as s:
        autosave.save_answer(s, attempt_id, now=T0, **values)
    assert refused.value.code == code
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AttemptAnswer)) == 0


def test_two_options_on_a_single_choice_question_are_refused(db, seated):
    attempt_id = _started(db, seated)
    single = next(q for q in _paper(db, attempt_id).questions if q.type == "single")
    with pytest.raises(ValidationError), db.transaction() as s:
        autosave.save_answer(s, attempt_id, position=single.position, chosen=[0, 1], marked=False, seq=1, now=T0)


def test_pause_stops_the_clock_and_extension_adds_time(db, seated):
    attempt_id = _started(db, seated)
    with db.transaction() as s:
        with pytest.raises(ValidationError):
            attempts.pause(s, PROCTOR, attempt_id, "", now=T0 + dt.timedelta(minutes=10))
    with db.transaction() as s:
        attempts.pause(s, PROCTOR, attempt_id, "停电", now=T0 + dt.timedelta(minutes=10))
    with db.transaction() as s:
        attempt = s.get(Attempt, attempt_id)
        # Twenty minutes of pause later, twenty minutes are still left.
        assert attempts.remaining_seconds(s, attempt, T0 + dt.timedelta(minutes=30)) == 20 * 60
        with pytest.raises(Conflict):
            autosave.save_answer(s, attempt_id, position=1, chosen=[0], marked=False, seq=1,
                                 now=T0 + dt.timedelta(minutes=31))
    with db.transaction() as s:
        attempts.resume(s, PROCTOR, attempt_id, "恢复供电", now=T0 + dt.timedelta(minutes=40))
        attempts.extend(s, PROCTOR, attempt_id, 5, "终端故障耽误", now=T0 + dt.timedelta(minutes=40))
        attempt = s.get(Attempt, attempt_id)
        assert attempt.deadline_at == T0 + dt.timedelta(minutes=40 + 20 + 5)
    for minutes in (0, 61):
        with pytest.raises(ValidationError), db.transaction() as s:
            attempts.extend(s, PROCTOR, attempt_id, minutes, "理由", now=T0 + dt.timedelta(minutes=41))


def test_the_server_times_out_overdue_attempts_by_itself(db, seated):
    attempt_id = _started(db, seated)
    with db.transaction() as s:
        autosave.save_answer(s, attempt_id, position=1, chosen=[0], marked=False, seq=1, now=T0)
        assert attempts.finish_overdue(s, now=T0 + dt.timedelta(minutes=29)) == 0
        assert attempts.finish_overdue(s, now=T0 + dt.timedelta(minutes=30)) == 1
    with db.sessions() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.status is AttemptStatus.TIMED_OUT and attempt.finished_at == T0 + dt.timedelta(minutes=30)
        assert attempt.score is not None
    with pytest.raises(Conflict), db.transaction() as s:
        autosave.save_answer(s, attempt_id, position=2, chosen=[0], marked=False, seq=2,
                             now=T0 + dt.timedelta(minutes=31))


def test_a_late_save_finishes_the_attempt_instead_of_storing(db, seated):
    attempt_id = _started(db, seated)
    with pytest.raises(Conflict), db.transaction() as s:
        autosave.save_answer(s, attempt_id, position=1, chosen=[0], marked=False, seq=1,
                             now=T0 + dt.timedelta(minutes=30, seconds=1))
    with db.transaction() as s:
        attempts.heartbeat(s, attempt_id, now=T0 + dt.timedelta(minutes=30, seconds=1))
    with db.sessions() as s:
        assert s.get(Attempt, attempt_id).status is AttemptStatus.TIMED_OUT


def test_moving_to_a_spare_seat_keeps_answers_and_clock(db, seated):
    attempt_id = _started(db, seated)
    with db.transaction() as s:
        autosave.save_answer(s, attempt_id, position=1, chosen=[0], marked=False, seq=1, now=T0)
        with pytest.raises(ValidationError):
            attempts.move(s, PROCTOR, attempt_id, seated.other_hall_seat_id, "终端故障", now=T0)
    with db.transaction() as s:
        attempts.move(s, PROCTOR, attempt_id, seated.spare_seat_id, "终端黑屏", now=T0 + dt.timedelta(minutes=3))
        attempt = s.get(Attempt, attempt_id)
        assert attempt.seat_id == seated.spare_seat_id
        assert attempts.remaining_seconds(s, attempt, T0 + dt.timedelta(minutes=3)) == 27 * 60
        assert len(attempt.answers) == 1


def test_warning_and_expulsion(db, seated):
    attempt_id = _started(db, seated)
    with db.transaction() as s:
        attempts.warn(s, PROCTOR, attempt_id, "左顾右盼", now=T0)
        assert s.get(Attempt, attempt_id).status is AttemptStatus.IN_PROGRESS
        attempts.expel(s, PROCTOR, attempt_id, "携带手机查阅答案", now=T0 + dt.timedelta(minutes=5))
    with db.sessions() as s:
        attempt = s.get(Attempt, attempt_id)
        assert (attempt.status, attempt.score_cancelled, attempt.score, attempt.passed) == \
            (AttemptStatus.TERMINATED, True, 0.0, False)
        actions = s.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "attempt")).all()
        assert actions == ["attempt.check_in", "attempt.start", "attempt.warn", "attempt.terminate"]


@pytest.mark.parametrize("action", ["start", "pause", "resume", "submit"])
def test_transitions_out_of_order_are_refused(db, seated, action):
    with db.transaction() as s:
        attempt = attempts.attempt_of_candidate(s, seated.candidate_id)
        attempt_id = attempt.id
    call = {"start": lambda s: attempts.start(s, CANDIDATE, attempt_id, now=T0),
            "pause": lambda s: attempts.pause(s, PROCTOR, attempt_id, "理由", now=T0),
            "resume": lambda s: attempts.resume(s, PROCTOR, attempt_id, now=T0),
            "submit": lambda s: attempts.submit(s, CANDIDATE, attempt_id, now=T0)}[action]
    with pytest.raises(Conflict) as refused, db.transaction() as s:
        call(s)
    # Starting before the proctor's check-in gets its own message at the terminal.
    assert refused.value.code == ("attempt.not_checked_in" if action == "start" else "attempt.transition")


def test_absent_candidates_are_recorded(db, seated):
    with db.transaction() as s:
        attempt = attempts.mark_absent(s, PROCTOR, seated.candidate_id, now=T0)
        assert attempt.status is AttemptStatus.ABSENT
    with pytest.raises(Conflict), db.transaction() as s:
        attempts.check_in(s, PROCTOR, seated.candidate_id, now=T0)


def test_restarting_a_started_attempt_changes_nothing(db, seated):
    attempt_id = _started(db, seated)
    with db.transaction() as s:
        attempt = attempts.start(s, CANDIDATE, attempt_id, now=T0 + dt.timedelta(minutes=12))
        assert attempt.deadline_at == T0 + dt.timedelta(minutes=30)


def test_results_are_published_once_everyone_has_finished(app, db, seated, world, login_as):
    from exam_center.domain.workdays import WorkdayCalendar
    from exam_center.services import results
    from exam_center.models import Role
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    with db.sessions() as s:
        session_id = s.get(SessionCandidate, seated.candidate_id).session_id
    calendar = WorkdayCalendar()
    attempt_id = _started(db, seated)
    with pytest.raises(Conflict) as refused, db.transaction() as s:
        results.publish_results(s, PROCTOR, centre_id=centre, session_id=session_id, calendar=calendar)
    assert refused.value.code == "results.unfinished"
    with db.transaction() as s:
        attempts.submit(s, CANDIDATE, attempt_id, now=T0 + dt.timedelta(minutes=5))
    with db.sessions() as s:
        summary = results.session_results(s, centre_id=centre, session_id=session_id, calendar=calendar)
    # Exam on Saturday 5 December 2026 (local): ten working days later is Friday 18 December.
    assert (summary.exam_day, summary.publish_by) == (dt.date(2026, 12, 5), dt.date(2026, 12, 18))
    assert [r.score for r in summary.rows] == [0.0] and not summary.published
    client = login_as(Role.EXAM_ADMIN)
    page = client.get(f"/centre/sessions/{session_id}/results").get_data(as_text=True)
    assert "2026-12-18" in page and "T0001" in page
    from conftest import csrf_token
    response = client.post(f"/centre/sessions/{session_id}/results",
                           data={"csrf_token": csrf_token(client, f"/centre/sessions/{session_id}/results")})
    assert response.status_code == 302
    with db.sessions() as s:
        assert s.get(Attempt, attempt_id).published_at is not None
    with pytest.raises(Conflict) as refused, db.transaction() as s:
        results.publish_results(s, PROCTOR, centre_id=centre, session_id=session_id, calendar=calendar)
    assert refused.value.code == "results.already_published"


def test_a_failed_theory_exam_opens_exactly_one_make_up(db, seated):
    """The result written at scoring is what the eligibility gate counts: one make-up, then retraining."""
    from exam_center.models import ApplicationStatus as Status
    from exam_center.models import Person
    from exam_center.services import applications
    attempt_id = _started(db, seated)
    with db.transaction() as s:
        attempts.submit(s, CANDIDATE, attempt_id, now=T0 + dt.timedelta(minutes=5))   # nothing answered: 0 points
    with db.transaction() as s:
        s.get(ExamApplication, s.get(SessionCandidate, seated.candidate_id).application_id).status = Status.REFUSED
        person = s.scalar(sa.select(Person))
        result = s.scalar(sa.select(ExamResult))
        assert (result.passed, result.taken_on) == (False, dt.date(2026, 12, 5))

        def file(kind, filed_on):
            return applications.file_with_certificate(
                s, SYSTEM, id_number=person.id_number, operation_item_code="1.2", certificate_number="PX-2026-001",
                certificate_hours=148, trained_until=dt.date(2026, 11, 1), kind=kind, part="theory",
                health_declared=True, filed_on=filed_on)
        makeup = file("makeup", dt.date(2026, 12, 20))
        assert makeup.status is Status.ELIGIBLE, makeup.gate
        makeup.status = Status.REFUSED  # taken and failed again:
        s.add(ExamResult(person_id=person.id, operation_item_code="1.2", part=ExamPart.THEORY, score=60,
                         passed=False, taken_on=dt.date(2026, 12, 30)))
        s.flush()
        second = file("makeup", dt.date(2027, 1, 5))
        assert second.status is Status.REFUSED
        assert "eligibility.retraining_required" in [reason["code"] for reason in second.gate]


@pytest.mark.parametrize("committed", [False, True], ids=["in a transaction", "as the terminal starts"])
def test_a_hall_starting_at_once_keeps_one_audit_chain(db, world, committed):
    """Starts racing (and each started twice: a reload) append one start each, to one unbroken chain."""
    from exam_center.models import AuditEvent
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    with db.transaction() as s:
        blueprint = small_exam_bank(s)
        drawn = papers.draw_papers(s, SYSTEM, blueprint.id, seeds=list(range(1, 7)))
        room = ExamRoom(centre_id=centre, name="理论三", kind=RoomKind.THEORY)
        s.add(room)
        s.flush()
        exam = ExamSession(centre_id=centre, room_id=room.id, part=ExamPart.THEORY, operation_item_code="1.2",
                           blueprint_id=blueprint.id, starts_at=T0, duration_minutes=30, capacity=6,
                           status=SessionStatus.CLOSED)
        s.add(exam)
        s.flush()
        attempt_ids = []
        for n, paper in enumerate(drawn):
            candidate = scheduled_candidate(s, exam_session_id=exam.id, seat_id=None, paper_id=paper.id,
                                            id_number=make_id_number("110105", dt.date(1990, 1, 1 + n), 11),
                                            name="考生", ticket_number=f"T1{n:03d}")
            attempt_ids.append(attempts.check_in(s, PROCTOR, candidate.id, now=T0).id)
    firsts: list[bool] = []

    def start(n: int) -> None:
        if committed:
            firsts.append(attempts.start_committed(db, attempt_ids[n % 6], now=T0, address="10.0.0.1").first)
            return
        with db.transaction() as s:
            firsts.append(attempts.start(s, None, attempt_ids[n % 6], now=T0, address="10.0.0.1").first)

    assert run_in_threads(start, 12) == []
    assert sorted(firsts) == [False] * 6 + [True] * 6
    with db.sessions() as s:
        assert verify_chain(s).ok
        started = s.scalars(sa.select(AttemptEvent.attempt_id).where(AttemptEvent.action == "start")).all()
        assert sorted(started) == sorted(attempt_ids)
        audited = s.scalars(sa.select(AuditEvent.object_id).where(AuditEvent.action == "attempt.start")).all()
        assert sorted(map(int, audited)) == sorted(attempt_ids)
        for attempt in s.scalars(sa.select(Attempt).where(Attempt.id.in_(attempt_ids))):
            assert attempt.status is AttemptStatus.IN_PROGRESS and attempt.deadline_at == T0 + dt.timedelta(minutes=30)
