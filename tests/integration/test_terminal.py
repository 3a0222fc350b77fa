"""The candidate's exam terminal: sign-in by ticket, the exam page's JSON API, autosave, the server's clock."""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from exam_center.cli import _start_attempt_sweeper
from exam_center.domain.idcard import make_id_number
from exam_center.models import (ApplicationStatus, Attempt, AttemptAnswer, AttemptStatus, AuditEvent,
                                ExamApplication, ExamPart, ExamRoom, ExamSession, OrganisationKind, Role, RoomKind,
                                Seat, SessionCandidate, SessionStatus, utcnow)
from exam_center.services import attempts, papers
from exam_center.services.audit import Actor
from exam_center.services import sign_in_tries
from exam_center.web.session import CANDIDATE_KEY as SESSION_KEY

from exam_day import scheduled_candidate, small_exam_bank
from conftest import SYSTEM

PROCTOR = Actor("staff", "99", "proctor")
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _id_number_ending_in_x() -> str:
    for sequence in range(1, 999):
        number = make_id_number("110105", dt.date(1985, 3, 4), sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no X check character found")


@dataclass
class Hall:
    tickets: dict[str, str]          # ticket → last 6 ID characters
    candidates: dict[str, int]       # ticket → candidate id


@pytest.fixture
def hall(db, world) -> Hall:
    """A closed theory session with candidates A1 and B2 (papers drawn), and C3 in a session still open."""
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    with db.transaction() as s:
        blueprint = small_exam_bank(s)
        drawn = papers.draw_papers(s, SYSTEM, blueprint.id, seeds=[7, 8])
        room = ExamRoom(centre_id=centre, name="理论一", kind=RoomKind.THEORY)
        s.add(room)
        s.flush()
        seats = [Seat(room_id=room.id, label=f"{n:02d}") for n in (1, 2, 3)]
        s.add_all(seats)
        closed = ExamSession(centre_id=centre, room_id=room.id, part=ExamPart.THEORY, operation_item_code="1.2",
                             blueprint_id=blueprint.id, starts_at=dt.datetime(2026, 12, 5, 1, tzinfo=dt.UTC),
                             duration_minutes=30, capacity=3, status=SessionStatus.CLOSED)
        still_open = ExamSession(centre_id=centre, room_id=room.id, part=ExamPart.THEORY, operation_item_code="1.2",
                                 blueprint_id=blueprint.id,
                                 starts_at=dt.datetime(2026, 12, 6, 1, tzinfo=dt.UTC),
                                 duration_minutes=30, capacity=3, status=SessionStatus.OPEN)
        s.add_all([closed, still_open])
        s.flush()
        tickets, candidates = {}, {}
        numbers = [make_id_number("110105", dt.date(1990, 1, 1), 11), _id_number_ending_in_x(),
                   make_id_number("110105", dt.date(1991, 2, 2), 13)]
        for n, (ticket, name, number, exam, paper) in enumerate([("A1", "张三", numbers[0], closed, drawn[0]),
                                                                 ("B2", "李四", numbers[1], closed, drawn[1]),
                                                                 ("C3", "王五", numbers[2], still_open, None)]):
            candidate = scheduled_candidate(s, exam_session_id=exam.id, seat_id=seats[n].id,
                                            paper_id=paper.id if paper else None, id_number=number, name=name,
                                            ticket_number=f"2026T{ticket}")
            tickets[f"2026T{ticket}"] = number[-6:]
            candidates[f"2026T{ticket}"] = candidate.id
    return Hall(tickets, candidates)


A, B, C = "2026TA1", "2026TB2", "2026TC3"


def sign_in(client, ticket: str, tail: str):
    page = client.get("/terminal/", follow_redirects=True)  # a signed-in candidate lands on the exam page
    token = META_CSRF.search(page.get_data(as_text=True)).group(1)
    return client.post("/terminal/", data={"csrf_token": token, "ticket_number": ticket, "id_tail": tail})


def refusal_code(response) -> str | None:
    match = re.search(r'class="alert"[^>]*data-code="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


class Terminal:
    """A signed-in candidate's browser: the page's JSON calls with the CSRF header."""

    def __init__(self, client) -> None:
        self.client = client
        page = client.get("/terminal/exam")
        assert page.status_code == 200, page.status_code
        self.token = META_CSRF.search(page.get_data(as_text=True)).group(1)

    def post(self, name: str, body: dict | None = None, **kwargs):
        return self.client.post(f"/terminal/api/{name}", json=body or {}, headers={"X-CSRFToken": self.token},
                                **kwargs)

    def state(self):
        return self.client.get("/terminal/api/state")

    def save(self, position: int, chosen: list[int], seq: int, marked: bool = False):
        return self.post("save", {"position": position, "chosen": chosen, "marked": marked, "seq": seq})


def _terminal(app, hall: Hall, ticket: str) -> Terminal:
    client = app.test_client()
    assert sign_in(client, ticket, hall.tickets[ticket]).status_code == 302
    return Terminal(client)


def _check_in(db, hall: Hall, ticket: str) -> int:
    with db.transaction() as s:
        return attempts.check_in(s, PROCTOR, hall.candidates[ticket]).id


def _started(app, db, hall: Hall, ticket: str = A) -> tuple[Terminal, int]:
    attempt_id = _check_in(db, hall, ticket)
    terminal = _terminal(app, hall, ticket)
    response = terminal.post("start")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "in_progress"
    return terminal, attempt_id


def _attempt(db, attempt_id: int) -> Attempt:
    with db.sessions() as s:
        return s.get(Attempt, attempt_id)


def _paper(db, attempt_id: int):
    with db.sessions() as s:
        return attempts.paper_of(s, s.get(Attempt, attempt_id))


# --- sign-in ---------------------------------------------------------------------------------------

def test_sign_in_with_ticket_and_id_tail_opens_the_exam_page(app, client, db, hall):
    assert client.get("/terminal/").status_code == 200
    response = sign_in(client, A, hall.tickets[A])
    assert response.status_code == 302 and response.headers["Location"].endswith("/terminal/exam")
    with client.session_transaction() as cookie:
        attempt_id = cookie[SESSION_KEY]
    page = client.get("/terminal/exam")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "张三" in text and A in text
    assert hall.tickets[A] not in text.replace(A, "")  # the ID number is shown masked
    # A signed-in candidate going back to the sign-in page is sent to the exam.
    assert client.get("/terminal/").headers["Location"].endswith("/terminal/exam")
    with db.sessions() as s:
        assert s.get(Attempt, attempt_id).candidate_id == hall.candidates[A]
        assert s.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "terminal.sign_in"


def test_the_x_of_an_id_number_is_case_insensitive(client, hall):
    assert hall.tickets[B].endswith("X")
    assert sign_in(client, B, hall.tickets[B].lower()).status_code == 302
    assert sign_in(client, B, " " + hall.tickets[B] + " ").status_code == 302


@pytest.mark.parametrize("ticket,tail,code", [
    (A, "000000", "terminal.wrong_credentials"),
    ("2026T999", "000000", "terminal.wrong_credentials"),
    (C, None, "terminal.not_ready"),
])
def test_wrong_or_unready_sign_ins_are_refused(client, hall, ticket, tail, code):
    response = sign_in(client, ticket, tail or hall.tickets[ticket])
    assert response.status_code == 400 and refusal_code(response) == code
    with client.session_transaction() as cookie:
        assert SESSION_KEY not in cookie
    assert client.get("/terminal/exam").headers["Location"].endswith("/terminal/")


def test_the_wrong_id_of_another_candidate_is_refused(client, hall):
    response = sign_in(client, A, hall.tickets[B])
    assert response.status_code == 400 and refusal_code(response) == "terminal.wrong_credentials"


@pytest.mark.parametrize("tail", ["", "12345", "1234567", "12345Y", "X12345"])
def test_malformed_id_tails_are_refused_on_the_field(client, hall, tail):
    response = sign_in(client, A, tail)
    assert response.status_code == 400 and 'data-field="id_tail"' in response.get_data(as_text=True)
    with client.session_transaction() as cookie:
        assert SESSION_KEY not in cookie


def test_sign_in_is_refused_after_the_attempt_ended_or_the_candidate_was_absent(app, db, client, hall):
    terminal, _attempt_id = _started(app, db, hall)
    assert terminal.post("submit").status_code == 200
    response = sign_in(client, A, hall.tickets[A])
    assert response.status_code == 400 and refusal_code(response) == "terminal.finished"
    with db.transaction() as s:
        attempts.mark_absent(s, PROCTOR, hall.candidates[B])
    response = sign_in(client, B, hall.tickets[B])
    assert response.status_code == 400 and refusal_code(response) == "terminal.absent"


def test_five_wrong_tries_lock_the_ticket(app, client, db, hall):
    for n in range(4):
        assert refusal_code(sign_in(client, A, "000000")) == "terminal.wrong_credentials", n
    assert refusal_code(sign_in(client, A, "000000")) == "terminal.locked"      # the 5th locks
    assert refusal_code(sign_in(client, A, hall.tickets[A])) == "terminal.locked"  # even the right one
    # Another browser (or another server process: the count is in the database) is locked out too.
    assert refusal_code(sign_in(app.test_client(), A, hall.tickets[A])) == "terminal.locked"
    assert sign_in(app.test_client(), B, hall.tickets[B]).status_code == 302       # other tickets go on
    with db.sessions() as s:
        trail = s.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_id == A.upper())
                          .order_by(AuditEvent.id)).all()
    assert trail == ["terminal.sign_in_failed"] * 5 + ["terminal.sign_in_locked"]  # locked tries are not counted


def test_a_lock_runs_out_five_minutes_after_the_last_wrong_try(db, hall):
    guesser = Actor("candidate", None, "ticket:x", "10.0.0.9")
    start = utcnow()
    with db.transaction() as s:
        for n in range(4):
            assert not sign_in_tries.record_failure(s, guesser, A, candidate_id=None,
                                                    now=start + dt.timedelta(seconds=n))
        assert sign_in_tries.seconds_locked(s, A, now=start + dt.timedelta(seconds=4)) == 0
        assert sign_in_tries.record_failure(s, guesser, A.lower(), candidate_id=None,
                                            now=start + dt.timedelta(seconds=4))
        last = start + dt.timedelta(seconds=4)
        assert sign_in_tries.seconds_locked(s, A, now=last + dt.timedelta(seconds=299)) == pytest.approx(1)
        assert sign_in_tries.seconds_locked(s, A, now=last + dt.timedelta(seconds=301)) == 0
        assert sign_in_tries.seconds_locked(s, B, now=last) == 0


def test_wrong_tries_spread_beyond_the_window_do_not_lock(db, hall):
    guesser = Actor("candidate", None, "ticket:x", None)
    start = utcnow()
    with db.transaction() as s:
        for n in range(6):
            assert not sign_in_tries.record_failure(s, guesser, A, candidate_id=None,
                                                    now=start + dt.timedelta(minutes=2 * n))


def test_sign_out_ends_terminal_access(app, hall):
    terminal = _terminal(app, hall, A)
    response = terminal.client.post("/terminal/sign-out", data={"csrf_token": terminal.token})
    assert response.status_code == 302
    assert terminal.state().get_json()["code"] == "terminal.signed_out"


# --- who may use the terminal ----------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.PROCTOR, Role.EXAM_ADMIN, Role.SYSTEM_ADMIN])
def test_a_staff_cookie_does_not_open_the_terminal(login_as, hall, role):
    client = login_as(role)
    assert client.get("/terminal/exam").headers["Location"].endswith("/terminal/")
    assert client.get("/terminal/result").headers["Location"].endswith("/terminal/")
    response = client.get("/terminal/api/state")
    assert response.status_code == 401 and response.get_json()["code"] == "terminal.signed_out"
    token = FORM_CSRF.search(client.get("/terminal/").get_data(as_text=True)).group(1)
    for name in ("start", "save", "heartbeat", "submit"):
        response = client.post(f"/terminal/api/{name}", json={}, headers={"X-CSRFToken": token})
        assert response.status_code == 401 and response.get_json()["code"] == "terminal.signed_out", name


def test_a_candidate_signing_in_ends_a_staff_sign_in_on_that_browser(login_as, hall):
    client = login_as(Role.PROCTOR)
    assert sign_in(client, A, hall.tickets[A]).status_code == 302
    assert client.get("/centre/people/").status_code == 302  # back to the staff login


def test_a_candidate_only_ever_reaches_their_own_attempt(app, db, hall):
    first, first_id = _started(app, db, hall, A)
    assert first.save(1, [0], 1).get_json()["applied"]
    second = _terminal(app, hall, B)
    state = second.state().get_json()
    assert state["attempt_id"] != first_id and state["answers"] == [] and state["status"] == "scheduled"
    # Its saves and submits go to its own attempt (not started: refused), never the other one.
    assert second.save(2, [0], 5).status_code == 409
    assert second.post("submit").status_code == 409
    with db.sessions() as s:
        assert s.scalars(sa.select(AttemptAnswer.position).where(AttemptAnswer.attempt_id == first_id)).all() == [1]
        assert s.get(Attempt, first_id).status is AttemptStatus.IN_PROGRESS


def test_posts_need_the_csrf_header(app, db, hall):
    terminal, attempt_id = _started(app, db, hall)
    response = terminal.client.post("/terminal/api/save", json={"position": 1, "chosen": [0], "seq": 1})
    assert response.status_code == 400 and response.get_json()["code"] == "csrf.invalid"
    response = terminal.client.post("/terminal/api/submit", json={}, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400 and response.get_json()["code"] == "csrf.invalid"
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AttemptAnswer)) == 0
        assert s.get(Attempt, attempt_id).status is AttemptStatus.IN_PROGRESS


# --- the exam --------------------------------------------------------------------------------------

def test_start_waits_for_the_proctors_check_in(app, db, hall):
    terminal = _terminal(app, hall, A)
    state = terminal.state().get_json()
    assert state["status"] == "scheduled" and state["questions"] == [] and state["question_count"] == 10
    assert state["remaining_seconds"] == 30 * 60
    response = terminal.post("start")
    assert response.status_code == 409 and response.get_json()["code"] == "attempt.not_checked_in"
    _check_in(db, hall, A)
    assert terminal.state().get_json()["status"] == "checked_in"
    started = terminal.post("start").get_json()
    assert started["status"] == "in_progress" and len(started["questions"]) == 10
    assert 30 * 60 - 5 <= started["remaining_seconds"] <= 30 * 60
    # A reload (or a second start) goes on with the same attempt and clock.
    assert terminal.post("start").get_json()["status"] == "in_progress"


def test_state_never_carries_the_answer_keys(app, db, hall):
    terminal, attempt_id = _started(app, db, hall)
    state = terminal.state().get_json()
    paper = _paper(db, attempt_id)
    assert [q["position"] for q in state["questions"]] == list(range(1, 11))
    for shown, frozen in zip(state["questions"], paper.questions):
        assert set(shown) == {"position", "type", "stem", "options", "points"}
        assert shown["options"] == list(frozen.options) and shown["stem"] == frozen.stem
    text = terminal.state().get_data(as_text=True)
    assert '"key"' not in text and "option_order" not in text and "解析" not in text
    assert "解析" not in terminal.client.get("/terminal/exam").get_data(as_text=True)


def test_saves_are_applied_once_and_stale_or_duplicate_ones_acknowledged(app, db, hall):
    terminal, attempt_id = _started(app, db, hall)
    first = terminal.save(1, [0], 3, marked=True).get_json()
    assert first["applied"] is True and first["seq"] == 3 and first["status"] == "in_progress"
    assert first["remaining_seconds"] > 0
    duplicate = terminal.save(1, [0], 3, marked=True).get_json()
    stale = terminal.save(1, [1], 2).get_json()
    assert (duplicate["applied"], stale["applied"], stale["seq"]) == (False, False, 3)
    # Each reply names the save it answers, whatever the attempt's high-water mark is.
    assert (first["acknowledged"], stale["acknowledged"]) == ({"position": 1, "seq": 3}, {"position": 1, "seq": 2})
    assert terminal.save(2, [1], 4).get_json()["applied"] is True
    state = terminal.state().get_json()
    assert state["last_seq"] == 4
    assert state["answers"] == [{"position": 1, "chosen": [0], "marked": True, "seq": 3},
                                {"position": 2, "chosen": [1], "marked": False, "seq": 4}]
    # A save is acknowledged only after its commit: another connection sees it at once.
    with db.sessions() as s:
        assert s.scalar(sa.select(AttemptAnswer.chosen).where(AttemptAnswer.attempt_id == attempt_id,
                                                              AttemptAnswer.position == 2)) == [1]


@pytest.mark.parametrize("body,status,field", [
    ({"position": "1", "chosen": [0], "seq": 1}, 422, "position"),
    ({"position": 1, "chosen": 0, "seq": 1}, 422, "chosen"),
    ({"position": 1, "chosen": [True], "seq": 1}, 422, "chosen"),
    ({"position": 1, "chosen": [0], "seq": "1"}, 422, "seq"),
    ({"position": 1, "chosen": [0], "marked": "yes", "seq": 1}, 422, "marked"),
    ({"position": 1, "chosen": [0], "seq": 1, "score": 100}, 422, "score"),
    ({"position": 0, "chosen": [0], "seq": 1}, 422, "position"),
    ({"position": 11, "chosen": [0], "seq": 1}, 422, "position"),
    ({"position": 1, "chosen": [7], "seq": 1}, 422, "chosen"),
    ({"position": 1, "chosen": [0], "seq": 0}, 422, "seq"),
])
def test_bad_saves_are_refused_with_json_and_change_nothing(app, db, hall, body, status, field):
    terminal, _attempt_id = _started(app, db, hall)
    response = terminal.post("save", body)
    assert response.status_code == status
    error = response.get_json()
    assert set(error) == {"code", "message", "details"} and field in error["details"], error
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AttemptAnswer)) == 0


def test_a_body_that_is_not_json_is_refused(app, db, hall):
    terminal, _attempt_id = _started(app, db, hall)
    response = terminal.client.post("/terminal/api/save", data="position=1", headers={"X-CSRFToken": terminal.token})
    assert response.status_code == 400 and response.get_json()["code"] == "request.invalid_json"


def _overdue(db, attempt_id: int) -> None:
    with db.transaction() as s:
        s.get(Attempt, attempt_id).deadline_at = utcnow() - dt.timedelta(seconds=1)


def test_a_save_after_the_deadline_is_refused_and_the_attempt_timed_out(app, db, hall):
    terminal, attempt_id = _started(app, db, hall)
    assert terminal.save(1, [0], 1).get_json()["applied"]
    _overdue(db, attempt_id)
    response = terminal.save(2, [0], 2)
    assert response.status_code == 409 and response.get_json()["code"] == "answer.not_in_progress"
    attempt = _attempt(db, attempt_id)
    assert attempt.status is AttemptStatus.TIMED_OUT and attempt.score is not None
    with db.sessions() as s:
        assert s.scalars(sa.select(AttemptAnswer.position).where(AttemptAnswer.attempt_id == attempt_id)).all() == [1]
    beat = terminal.post("heartbeat").get_json()
    assert (beat["status"], beat["remaining_seconds"], beat["last_seq"]) == ("timed_out", 0.0, 1)
    assert terminal.client.get("/terminal/exam").headers["Location"].endswith("/terminal/result")


@pytest.mark.parametrize("call", ["heartbeat", "state"])
def test_heartbeat_and_state_finish_every_overdue_attempt(app, db, hall, call):
    _terminal_a, first_id = _started(app, db, hall, A)
    other, _second_id = _started(app, db, hall, B)
    _overdue(db, first_id)
    response = other.post("heartbeat") if call == "heartbeat" else other.state()
    assert response.get_json()["status"] == "in_progress"
    assert _attempt(db, first_id).status is AttemptStatus.TIMED_OUT


def test_the_sweeper_finishes_overdue_attempts_without_any_terminal(app, db, hall):
    _terminal_a, attempt_id = _started(app, db, hall)
    _overdue(db, attempt_id)
    stop = _start_attempt_sweeper(db)
    try:
        for _ in range(50):
            if _attempt(db, attempt_id).status is AttemptStatus.TIMED_OUT:
                break
            time.sleep(0.1)
        assert _attempt(db, attempt_id).status is AttemptStatus.TIMED_OUT
    finally:
        stop.set()


def test_a_proctors_pause_shows_on_the_heartbeat_and_stops_the_clock(app, db, hall):
    terminal, attempt_id = _started(app, db, hall)
    with db.transaction() as s:
        attempts.pause(s, PROCTOR, attempt_id, "停电")
    beat = terminal.post("heartbeat").get_json()
    assert beat["status"] == "paused"
    time.sleep(0.2)
    assert terminal.post("heartbeat").get_json()["remaining_seconds"] == beat["remaining_seconds"]
    response = terminal.save(1, [0], 1)
    assert response.status_code == 409 and response.get_json()["code"] == "answer.not_in_progress"
    assert terminal.post("submit").status_code == 409
    with db.transaction() as s:
        attempts.resume(s, PROCTOR, attempt_id)
    assert terminal.post("heartbeat").get_json()["status"] == "in_progress"
    assert terminal.save(1, [0], 1).get_json()["applied"] is True
    with db.sessions() as s:
        assert s.get(Attempt, attempt_id).last_seen_at is not None


def test_submit_shows_the_score_and_the_verdict(app, db, hall):
    terminal, attempt_id = _started(app, db, hall)
    paper = _paper(db, attempt_id)
    for seq, question in enumerate(paper.questions, start=1):
        assert terminal.save(question.position, list(question.key), seq).get_json()["applied"]
    response = terminal.post("submit")
    assert response.status_code == 200
    assert response.get_json()["status"] == "submitted" and response.get_json()["result_url"] == "/terminal/result"
    assert terminal.post("submit").get_json()["status"] == "submitted"  # a second click changes nothing
    page = terminal.client.get("/terminal/result")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="score">100 ' in text and 'class="verdict pass"' in text
    assert terminal.client.get("/terminal/exam").headers["Location"].endswith("/terminal/result")
    assert terminal.save(1, [1], 99).status_code == 409


def test_a_failed_exam_shows_not_passed(app, db, hall):
    terminal, _attempt_id = _started(app, db, hall)
    assert terminal.post("submit").status_code == 200
    text = terminal.client.get("/terminal/result").get_data(as_text=True)
    assert 'id="score">0 ' in text and 'class="verdict fail"' in text


def test_a_terminated_attempt_shows_no_score(app, db, hall):
    terminal, attempt_id = _started(app, db, hall)
    with db.transaction() as s:
        attempts.expel(s, PROCTOR, attempt_id, "夹带")
    assert terminal.post("heartbeat").get_json()["status"] == "terminated"
    text = terminal.client.get("/terminal/result").get_data(as_text=True)
    assert 'id="score"' not in text and 'class="verdict fail"' in text


def test_the_result_page_waits_for_the_end(app, db, hall):
    terminal, _attempt_id = _started(app, db, hall)
    assert terminal.client.get("/terminal/result").headers["Location"].endswith("/terminal/exam")


def test_multiple_choice_and_mark_only_saves(app, db, hall):
    terminal, attempt_id = _started(app, db, hall)
    multi = next(q for q in _paper(db, attempt_id).questions if q.type == "multi")
    assert terminal.save(multi.position, [2, 0], 1).get_json()["applied"] is True
    assert terminal.save(1, [], 2, marked=True).get_json()["applied"] is True
    judge = terminal.save(2, [0, 1], 3)  # only one answer to a true/false question
    assert judge.status_code == 422 and judge.get_json()["code"] == "answer.choice"
    answers = {a["position"]: a for a in terminal.state().get_json()["answers"]}
    assert answers[multi.position]["chosen"] == [0, 2] and answers[1] == {"position": 1, "chosen": [], "marked": True,
                                                                          "seq": 2}


def test_a_withdrawn_application_cannot_sign_in(db, client, hall):
    with db.transaction() as s:
        candidate = s.get(SessionCandidate, hall.candidates[A])
        s.get(ExamApplication, candidate.application_id).status = ApplicationStatus.WITHDRAWN
    response = sign_in(client, A, hall.tickets[A])
    assert response.status_code == 400 and refusal_code(response) == "terminal.withdrawn"


# --- one terminal at a time, and the seat's own terminal --------------------------------------------

def test_a_second_sign_in_shuts_out_the_first_terminal(app, db, hall):
    first, attempt_id = _started(app, db, hall, A)
    assert first.save(1, [0], 1).status_code == 200
    second = _terminal(app, hall, A)
    response = first.save(2, [1], 2)
    assert response.status_code == 401 and response.get_json()["code"] == "terminal.replaced"
    assert "另一台终端" in response.get_json()["message"] or "another terminal" in response.get_json()["message"]
    page = first.client.get("/terminal/exam")
    assert page.headers["Location"].endswith("/terminal/")  # its sign-in was cleared
    assert second.save(2, [1], 2).get_json()["applied"]
    with db.sessions() as s:
        assert s.scalars(sa.select(AttemptAnswer.position).where(AttemptAnswer.attempt_id == attempt_id)
                         .order_by(AttemptAnswer.position)).all() == [1, 2]
        signed = s.scalars(sa.select(AuditEvent.after).where(AuditEvent.action == "terminal.sign_in",
                                                             AuditEvent.object_id == str(attempt_id))
                           .order_by(AuditEvent.id)).all()
    assert [event["replaced_sitting"] for event in signed] == [False, True]


def test_a_move_shuts_out_the_old_terminal_and_the_candidate_signs_in_again(app, db, hall):
    old, attempt_id = _started(app, db, hall, A)
    assert old.save(1, [0], 1).status_code == 200
    with db.transaction() as s:
        spare = s.scalar(sa.select(Seat.id).where(Seat.label == "03"))
        attempts.move(s, PROCTOR, attempt_id, spare, "01 号终端黑屏")
    response = old.save(2, [1], 2)
    assert response.status_code == 401 and response.get_json()["code"] == "terminal.moved"
    for response in (old.post("heartbeat"), old.state()):  # that browser's sign-in is gone for good
        assert response.status_code == 401 and response.get_json()["code"] == "terminal.signed_out"
    notice = old.client.get("/terminal/?reason=terminal.moved").get_data(as_text=True)
    assert 'data-code="terminal.moved"' in notice
    new = _terminal(app, hall, A)
    state = new.state().get_json()
    assert state["status"] == "in_progress" and [a["position"] for a in state["answers"]] == [1]


def _terminal_device(db, world, name: str) -> int:
    from exam_center.models import Device, DeviceKind
    with db.transaction() as s:
        device = Device(kind=DeviceKind.EXAM_TERMINAL, name=name,
                        organisation_id=world.organisations[OrganisationKind.EXAM_CENTRE])
        s.add(device)
        s.flush()
        return device.id


def _set_up_as_terminal(login_as, device_id: int):
    """A technician sets up a browser as a registered exam terminal (a candidate's sign-in then ends theirs)."""
    client = login_as(Role.EXAM_ADMIN)
    page = client.get("/terminal/setup/")
    assert page.status_code == 200
    token = FORM_CSRF.search(page.get_data(as_text=True)).group(1)
    response = client.post("/terminal/setup/", data={"csrf_token": token, "device_id": str(device_id)})
    assert response.status_code == 302
    assert f'data-current-terminal="{device_id}"' in client.get("/terminal/setup/").get_data(as_text=True)
    return client


def test_a_seat_with_a_terminal_admits_its_candidate_only_there(app, db, world, login_as, hall):
    seat_terminal, other_terminal = _terminal_device(db, world, "T-01"), _terminal_device(db, world, "T-02")
    with db.transaction() as s:
        seat = s.scalar(sa.select(Seat).where(Seat.label == "01"))
        seat.terminal_id = seat_terminal
    _check_in(db, hall, A)
    # A browser that is no terminal, and another seat's terminal, are refused with the seat to go to.
    for client in (app.test_client(), _set_up_as_terminal(login_as, other_terminal)):
        response = sign_in(client, A, hall.tickets[A])
        assert response.status_code == 400 and refusal_code(response) == "terminal.wrong_terminal"
        assert "01" in response.get_data(as_text=True)
    right = _set_up_as_terminal(login_as, seat_terminal)
    assert f'data-terminal="{seat_terminal}"' in right.get("/terminal/").get_data(as_text=True)
    assert sign_in(right, A, hall.tickets[A]).status_code == 302
    assert Terminal(right).post("start").get_json()["status"] == "in_progress"


def test_a_forged_or_retired_terminal_cookie_counts_for_nothing(app, db, world, login_as, hall):
    seat_terminal = _terminal_device(db, world, "T-01")
    with db.transaction() as s:
        s.scalar(sa.select(Seat).where(Seat.label == "01")).terminal_id = seat_terminal
    _check_in(db, hall, A)
    forged = app.test_client()
    forged.set_cookie("exam_terminal", str(seat_terminal))
    assert refusal_code(sign_in(forged, A, hall.tickets[A])) == "terminal.wrong_terminal"
    retired = _set_up_as_terminal(login_as, seat_terminal)
    from exam_center.models import Device
    with db.transaction() as s:
        s.get(Device, seat_terminal).active = False
    assert refusal_code(sign_in(retired, A, hall.tickets[A])) == "terminal.wrong_terminal"


def test_terminal_setup_refuses_unknown_devices_and_other_roles(db, world, login_as):
    client = login_as(Role.EXAM_ADMIN)
    token = FORM_CSRF.search(client.get("/terminal/setup/").get_data(as_text=True)).group(1)
    for bad in ("", "abc", "999999"):
        response = client.post("/terminal/setup/", data={"csrf_token": token, "device_id": bad})
        assert response.status_code == 400 and "exam_terminal" not in response.headers.get("Set-Cookie", "")
    for role in (Role.PROCTOR, Role.INSTITUTION_STAFF, Role.REGULATOR):
        assert login_as(role).get("/terminal/setup/").status_code == 403
