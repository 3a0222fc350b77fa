"""The proctor's hall console: who sees which session, the live seat map (state.json), every action good and bad,
irregularity reports, and the exam-room record (考场记录) PDF as a reader sees it."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from exam_day import scheduled_candidate, small_exam_bank
from conftest import FACES, SYSTEM

from exam_center.domain.idcard import make_id_number
from exam_center.models import (
    Attempt,
    AttemptEvent,
    AttemptStatus,
    AuditEvent,
    Duty,
    ExamPart,
    ExamRoom,
    ExamSession,
    OrganisationKind,
    Role,
    RoomKind,
    Seat,
    SessionCandidate,
    SessionStaff,
    SessionStatus,
    StaffUser,
    utcnow,
)
from exam_center.services import attempts, autosave, hall, papers
from exam_center.services.audit import Actor, verify_chain
from exam_center.services.people import set_person_photo

CANDIDATE = Actor("candidate", "1", "ticket")
REASON_REQUIRED = "请填写操作原因"


@dataclass
class Hall:
    session_id: int
    other_session_id: int          # same centre, the proctor is not assigned
    a: int                         # candidate 张三 at seat 01 (with a registered photo)
    b: int                         # candidate 李四 at seat 02
    other_candidate: int           # candidate of the other session
    seats: dict[str, int]          # label → id in this hall (01, 02, 03 free)
    other_hall_seat: int

    def url(self, tail: str = "", candidate: int | None = None, session: int | None = None) -> str:
        base = f"/hall/sessions/{session or self.session_id}"
        if candidate is not None:
            base += f"/candidates/{candidate}"
        return base + tail


@pytest.fixture
def hall_world(db, app, world) -> Hall:
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    store = app.extensions["exam_center.evidence"]
    with db.transaction() as s:
        blueprint = small_exam_bank(s)
        drawn = papers.draw_papers(s, SYSTEM, blueprint.id, seeds=[7, 8, 9])
        room = ExamRoom(centre_id=centre, name="理论一", kind=RoomKind.THEORY)
        other_room = ExamRoom(centre_id=centre, name="理论二", kind=RoomKind.THEORY)
        s.add_all([room, other_room])
        s.flush()
        seats = {label: Seat(room_id=room.id, label=label) for label in ("01", "02", "03")}
        other_seat = Seat(room_id=other_room.id, label="01")
        s.add_all([*seats.values(), other_seat])
        starts = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)
        exam, other = (ExamSession(centre_id=centre, room_id=r.id, part=ExamPart.THEORY, operation_item_code="1.2",
                                   blueprint_id=blueprint.id, starts_at=starts, duration_minutes=30, capacity=3,
                                   status=SessionStatus.CLOSED) for r in (room, other_room))
        s.add_all([exam, other])
        s.flush()
        proctor = s.scalar(sa.select(StaffUser).where(StaffUser.username == world.usernames[Role.PROCTOR]))
        s.add(SessionStaff(session_id=exam.id, user_id=proctor.id, duty=Duty.PROCTOR))

        def candidate(n, name, session, seat, paper, photo=None):
            row = scheduled_candidate(s, exam_session_id=session.id, seat_id=seat.id, paper_id=paper.id,
                                      id_number=make_id_number("110105", dt.date(1990, 1, n), 11 + n), name=name,
                                      ticket_number=f"T000{n}")
            if photo:
                set_person_photo(s, SYSTEM, store, row.application.person_id, photo)
            return row.id
        a = candidate(1, "张三", exam, seats["01"], drawn[0], photo=(FACES / "obama_1.jpg").read_bytes())
        b = candidate(2, "李四", exam, seats["02"], drawn[1])
        c = candidate(3, "王五", other, other_seat, drawn[2])
        return Hall(exam.id, other.id, a, b, c, {k: v.id for k, v in seats.items()}, other_seat.id)


@pytest.fixture
def proctor(login_as):
    return login_as(Role.PROCTOR)


def _csrf(client, hall_world: Hall, candidate: int | None = None) -> str:
    page = client.get(hall_world.url(candidate=candidate)).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _post(client, hall_world: Hall, action: str, candidate: int, **data):
    data.setdefault("csrf_token", _csrf(client, hall_world, candidate))
    return client.post(hall_world.url(f"/{action}", candidate=candidate), data=data)


def _state(client, hall_world: Hall) -> dict:
    response = client.get(hall_world.url("/state.json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def _seat(state: dict, label: str) -> dict:
    return next(seat for seat in state["seats"] if seat["label"] == label)


def _attempt(db, candidate_id: int) -> Attempt | None:
    with db.sessions() as s:
        return s.scalar(sa.select(Attempt).where(Attempt.candidate_id == candidate_id))


def _events(db, candidate_id: int) -> list[str]:
    with db.sessions() as s:
        return list(s.scalars(sa.select(AttemptEvent.action).join(Attempt, Attempt.id == AttemptEvent.attempt_id)
                              .where(Attempt.candidate_id == candidate_id).order_by(AttemptEvent.id)))


def _refused(response, *messages: str) -> str:
    assert response.status_code == 400, response.status_code
    text = response.get_data(as_text=True)
    for message in messages:
        assert message in text, message
    return text


def _started(db, candidate_id: int, *, at: dt.datetime | None = None) -> int:
    with db.transaction() as s:
        attempt = attempts.check_in(s, SYSTEM, candidate_id)
        attempts.start(s, CANDIDATE, attempt.id, now=at)
        return attempt.id


# --- who sees what -------------------------------------------------------------------------------------------------

def test_a_proctor_sees_only_the_sessions_assigned_to_them(proctor, hall_world, app, world):
    index = proctor.get("/hall/").get_data(as_text=True)
    assert hall_world.url() in index and hall_world.url(session=hall_world.other_session_id) not in index
    page = proctor.get(hall_world.url())
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "座位图" in text and "张三" in text and "李四" in text and "王五" not in text
    other = hall_world.other_session_id
    for path in (f"/hall/sessions/{other}", f"/hall/sessions/{other}/state.json",
                 f"/hall/sessions/{other}/record.pdf",
                 f"/hall/sessions/{other}/candidates/{hall_world.other_candidate}",
                 f"/hall/sessions/{other}/candidates/{hall_world.other_candidate}/photo",
                 # a candidate of another session through the assigned session's address
                 hall_world.url(candidate=hall_world.other_candidate), "/hall/sessions/999999"):
        assert proctor.get(path).status_code == 404, path
    token = _csrf(proctor, hall_world)
    response = proctor.post(f"/hall/sessions/{other}/candidates/{hall_world.other_candidate}/check-in",
                            data={"csrf_token": token})
    assert response.status_code == 404
    assert _attempt(app.extensions["exam_center.db"], hall_world.other_candidate) is None
    # Other roles are refused outright; the proctor's menu links to the console.
    admin = app.test_client()
    from conftest import login
    login(admin, world.usernames[Role.EXAM_ADMIN])
    assert admin.get(hall_world.url()).status_code == 403
    assert 'href="/hall/"' in proctor.get("/").get_data(as_text=True)


def test_actions_need_the_csrf_token(proctor, hall_world, db):
    response = proctor.post(hall_world.url("/check-in", candidate=hall_world.a), data={})
    assert response.status_code == 400
    assert _attempt(db, hall_world.a) is None


# --- the live state ------------------------------------------------------------------------------------------------

def test_state_json_follows_check_in_progress_pause_and_submission(proctor, hall_world, db):
    state = _state(proctor, hall_world)
    assert [s["label"] for s in state["seats"]] == ["01", "02", "03"]
    assert (_seat(state, "01")["state"], _seat(state, "03")["state"]) == ("scheduled", "empty")
    assert _seat(state, "01")["remaining_seconds"] == 30 * 60 and _seat(state, "01")["total"] == 10
    assert state["counts"]["scheduled_total"] == 2 and state["counts"]["present"] == 0

    # Identity confirmed on the console: the registered photo is there to compare with.
    panel = proctor.get(hall_world.url(candidate=hall_world.a)).get_data(as_text=True)
    assert hall_world.url("/photo", candidate=hall_world.a) in panel and "确认身份" in panel
    photo = proctor.get(hall_world.url("/photo", candidate=hall_world.a))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and "no-store" in photo.headers["Cache-Control"]
    assert proctor.get(hall_world.url("/photo", candidate=hall_world.b)).status_code == 404   # none registered
    response = _post(proctor, hall_world, "check-in", hall_world.a)
    assert response.status_code == 302
    assert _seat(_state(proctor, hall_world), "01")["state"] == "checked_in"
    with db.sessions() as s:
        event = s.scalar(sa.select(AttemptEvent).where(AttemptEvent.action == "check_in"))
        assert event.actor_label == "staff:t_proctor"

    # The candidate starts at the terminal and saves answers: progress, never the answers themselves.
    attempt_id = _attempt(db, hall_world.a).id
    with db.transaction() as s:
        attempts.start(s, CANDIDATE, attempt_id)
        for seq, position in enumerate((1, 2, 5), start=1):
            autosave.save_answer(s, attempt_id, position=position, chosen=[0], marked=False, seq=seq)
        autosave.save_answer(s, attempt_id, position=6, chosen=[], marked=True, seq=4)   # marked, not answered
    state = _state(proctor, hall_world)
    seat = _seat(state, "01")
    assert (seat["state"], seat["answered"], seat["total"]) == ("in_progress", 3, 10)
    assert 29 * 60 < seat["remaining_seconds"] <= 30 * 60 and seat["seen_seconds_ago"] <= 2
    assert state["counts"]["answering"] == 1 and state["counts"]["present"] == 1
    raw = proctor.get(hall_world.url("/state.json")).get_data(as_text=True)
    assert '"chosen"' not in raw and '"key"' not in raw and "id_number" not in raw and "110105" not in raw

    response = _post(proctor, hall_world, "pause", hall_world.a, reason="考生身体不适")
    assert response.status_code == 302
    paused = _state(proctor, hall_world)
    assert _seat(paused, "01")["state"] == "paused"
    assert [a["kind"] for a in paused["alerts"]] == ["paused"] and paused["alerts"][0]["reason"] == "考生身体不适"
    assert _post(proctor, hall_world, "resume", hall_world.a).status_code == 302
    with db.transaction() as s:
        attempts.submit(s, CANDIDATE, attempt_id)
    done = _state(proctor, hall_world)
    assert _seat(done, "01")["state"] == "submitted" and done["counts"]["submitted"] == 1
    assert _seat(done, "01")["remaining_seconds"] == 0


@pytest.mark.parametrize("silent_for,expected", [(29, "in_progress"), (31, "missing")])
def test_a_seat_goes_missing_when_its_terminal_falls_silent(proctor, hall_world, db, silent_for, expected):
    attempt_id = _started(db, hall_world.a)
    with db.transaction() as s:
        s.get(Attempt, attempt_id).last_seen_at = utcnow() - dt.timedelta(seconds=silent_for)
    state = _state(proctor, hall_world)
    assert _seat(state, "01")["state"] == expected
    assert state["counts"]["missing"] == (expected == "missing")
    assert state["counts"]["answering"] == 1
    if expected == "missing":
        assert state["alerts"][0]["kind"] == "missing" and state["alerts"][0]["seat"] == "01"
        assert state["alerts"][0]["seconds"] >= 31
        assert "终端失联" in proctor.get(hall_world.url()).get_data(as_text=True)
        # A heartbeat brings it back.
        with db.transaction() as s:
            attempts.heartbeat(s, attempt_id)
        assert _seat(_state(proctor, hall_world), "01")["state"] == "in_progress"
    else:
        assert state["alerts"] == []


# --- actions, good and bad -----------------------------------------------------------------------------------------

def test_check_in_and_absent_refused_in_the_wrong_state(proctor, hall_world, db):
    assert _post(proctor, hall_world, "absent", hall_world.b).status_code == 302
    assert _attempt(db, hall_world.b).status is AttemptStatus.ABSENT
    _refused(_post(proctor, hall_world, "check-in", hall_world.b), "当前无法执行此操作", "缺考")
    _refused(_post(proctor, hall_world, "absent", hall_world.b), "缺考")
    assert _events(db, hall_world.b) == ["mark_absent"]
    assert _seat(_state(proctor, hall_world), "02")["state"] == "absent"


def test_pause_needs_a_reason_and_stops_the_clock(proctor, hall_world, db):
    _started(db, hall_world.a)
    for reason in ("", "   "):
        _refused(_post(proctor, hall_world, "pause", hall_world.a, reason=reason), REASON_REQUIRED)
    assert _attempt(db, hall_world.a).status is AttemptStatus.IN_PROGRESS
    assert _post(proctor, hall_world, "pause", hall_world.a, reason="停电").status_code == 302
    frozen = _attempt(db, hall_world.a).remaining_seconds
    assert frozen is not None and _attempt(db, hall_world.a).deadline_at is None
    # Pausing twice is refused, state unchanged.
    _refused(_post(proctor, hall_world, "pause", hall_world.a, reason="再次"), "暂停")
    assert _events(db, hall_world.a) == ["check_in", "start", "pause"]
    assert _post(proctor, hall_world, "resume", hall_world.a, reason="").status_code == 302
    _refused(_post(proctor, hall_world, "resume", hall_world.a), "当前无法执行此操作")
    assert _attempt(db, hall_world.a).status is AttemptStatus.IN_PROGRESS


@pytest.mark.parametrize("minutes,reason,messages", [
    ("", "终端故障", ["延时须为 1 到 60 分钟"]),
    ("0", "终端故障", ["延时须为 1 到 60 分钟"]),
    ("61", "终端故障", ["延时须为 1 到 60 分钟"]),
    ("五", "终端故障", ["延时须为 1 到 60 分钟"]),
    ("-5", "终端故障", ["延时须为 1 到 60 分钟"]),
    ("10", "", [REASON_REQUIRED]),
    ("abc", "", [REASON_REQUIRED, "延时须为 1 到 60 分钟"]),
])
def test_bad_extensions_are_refused(proctor, hall_world, db, minutes, reason, messages):
    _started(db, hall_world.a)
    before = _attempt(db, hall_world.a).deadline_at
    _refused(_post(proctor, hall_world, "extend", hall_world.a, minutes=minutes, reason=reason), *messages)
    assert _attempt(db, hall_world.a).deadline_at == before
    assert "extend" not in _events(db, hall_world.a)


@pytest.mark.parametrize("minutes", ["1", "60"])
def test_extension_adds_the_minutes(proctor, hall_world, db, minutes):
    _started(db, hall_world.a)
    before = _attempt(db, hall_world.a).deadline_at
    assert _post(proctor, hall_world, "extend", hall_world.a, minutes=minutes, reason="终端故障耽误").status_code == 302
    assert _attempt(db, hall_world.a).deadline_at - before == dt.timedelta(minutes=int(minutes))


def test_extension_of_a_finished_attempt_is_refused(proctor, hall_world, db):
    attempt_id = _started(db, hall_world.a)
    with db.transaction() as s:
        attempts.submit(s, CANDIDATE, attempt_id)
    _refused(_post(proctor, hall_world, "extend", hall_world.a, minutes="5", reason="x"), "本场作答已经结束")


def test_move_to_a_free_seat_keeps_the_attempt_and_refuses_taken_seats(proctor, hall_world, db):
    attempt_id = _started(db, hall_world.a)
    with db.transaction() as s:
        autosave.save_answer(s, attempt_id, position=1, chosen=[1], marked=False, seq=1)
    seats = hall_world.seats
    panel = proctor.get(hall_world.url(candidate=hall_world.a)).get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)">', panel.split('id="move-seat"')[1].split("</select>")[0])
    assert options == [str(seats["03"])]   # only the free seat is offered
    for data, messages in (
        ({"seat_id": str(seats["02"]), "reason": "终端故障"}, ["座位 02 已有人"]),   # assigned to 李四
        ({"seat_id": str(hall_world.other_hall_seat), "reason": "终端故障"}, ["请选择本考场的空闲座位"]),
        ({"seat_id": "", "reason": "终端故障"}, ["请选择本考场的空闲座位"]),
        ({"seat_id": "x", "reason": "终端故障"}, ["请选择本考场的空闲座位"]),
        ({"seat_id": str(seats["03"]), "reason": ""}, [REASON_REQUIRED]),
    ):
        _refused(_post(proctor, hall_world, "move", hall_world.a, **data), *messages)
        assert _attempt(db, hall_world.a).seat_id == seats["01"]
    assert _post(proctor, hall_world, "move", hall_world.a, seat_id=str(seats["03"]),
                 reason="01 号终端黑屏").status_code == 302
    attempt = _attempt(db, hall_world.a)
    assert (attempt.id, attempt.seat_id, attempt.status) == (attempt_id, seats["03"], AttemptStatus.IN_PROGRESS)
    state = _state(proctor, hall_world)
    assert (_seat(state, "03")["name"], _seat(state, "03")["answered"]) == ("张三", 1)
    assert (_seat(state, "01")["state"], _seat(state, "01")["moved_to"]) == ("vacated", "03")
    # The ticket seat stays reserved for its own candidate: nobody else may take it, they may go back.
    _started(db, hall_world.b)
    _refused(_post(proctor, hall_world, "move", hall_world.b, seat_id=str(seats["01"]), reason="换座"), "座位 01 已有人")
    assert _post(proctor, hall_world, "move", hall_world.a, seat_id=str(seats["01"]), reason="01 号终端修复").status_code == 302
    assert _attempt(db, hall_world.a).seat_id == seats["01"]


def test_warnings_are_recorded_and_shown_as_alerts(proctor, hall_world, db):
    _started(db, hall_world.a)
    _refused(_post(proctor, hall_world, "warn", hall_world.a, reason=""), REASON_REQUIRED)
    assert _events(db, hall_world.a) == ["check_in", "start"]
    assert _post(proctor, hall_world, "warn", hall_world.a, reason="左顾右盼").status_code == 302
    state = _state(proctor, hall_world)
    assert _seat(state, "01")["warnings"] == 1 and _seat(state, "01")["state"] == "in_progress"
    assert [(a["kind"], a["reason"]) for a in state["alerts"]] == [("warning", "左顾右盼")]


def test_expulsion_needs_reason_and_confirmation_and_cancels_the_score(proctor, hall_world, db):
    _started(db, hall_world.a)
    _refused(_post(proctor, hall_world, "expel", hall_world.a, reason="夹带资料"), "请勾选确认")
    _refused(_post(proctor, hall_world, "expel", hall_world.a, reason="", confirm="y"), REASON_REQUIRED)
    _refused(_post(proctor, hall_world, "expel", hall_world.a, reason=""), REASON_REQUIRED, "请勾选确认")
    assert _attempt(db, hall_world.a).status is AttemptStatus.IN_PROGRESS
    assert _post(proctor, hall_world, "expel", hall_world.a, reason="夹带资料", confirm="y").status_code == 302
    attempt = _attempt(db, hall_world.a)
    assert (attempt.status, attempt.score_cancelled, attempt.score, attempt.passed) == \
        (AttemptStatus.TERMINATED, True, 0.0, False)
    assert _seat(_state(proctor, hall_world), "01")["state"] == "terminated"
    # Finished: the panel offers nothing, and a second expulsion or a warning is refused.
    panel = proctor.get(hall_world.url(candidate=hall_world.a)).get_data(as_text=True)
    assert "/expel" not in panel and "/pause" not in panel
    _refused(_post(proctor, hall_world, "expel", hall_world.a, reason="再次", confirm="y"), "当前无法执行此操作")
    _refused(_post(proctor, hall_world, "warn", hall_world.a, reason="再次"), "本场作答已经结束")
    with db.sessions() as s:
        assert verify_chain(s).ok


def test_actions_before_the_session_is_closed_are_refused(proctor, hall_world, db):
    with db.transaction() as s:
        s.get(ExamSession, hall_world.session_id).status = SessionStatus.OPEN
        s.get(SessionCandidate, hall_world.a).paper_id = None
    assert "尚未抽取试卷" in proctor.get(hall_world.url()).get_data(as_text=True)
    _refused(_post(proctor, hall_world, "check-in", hall_world.a), "尚未封场")
    assert _attempt(db, hall_world.a) is None


# --- irregularities ------------------------------------------------------------------------------------------------

def test_irregularity_reports(proctor, hall_world, db):
    _started(db, hall_world.a)
    url = hall_world.url("/irregularities")
    token = _csrf(proctor, hall_world)
    with db.sessions() as s:
        audit_before = s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    for data, messages in (
        ({"category": "", "description": "空调故障"}, ["请选择异常情况的类别"]),
        ({"category": "weather", "description": "空调故障"}, ["请选择异常情况的类别"]),
        ({"category": "environment", "description": "  "}, ["请填写异常情况说明"]),
        ({"category": "", "description": ""}, ["请选择异常情况的类别", "请填写异常情况说明"]),
        ({"category": "technical", "description": "x" * 501}, ["500"]),
        ({"category": "technical", "description": "断网", "seat_id": str(hall_world.other_hall_seat)},
         ["请选择本考场的座位"]),
        ({"category": "technical", "description": "断网", "seat_id": "abc"}, ["请选择本考场的座位"]),
    ):
        _refused(proctor.post(url, data={"csrf_token": token, **data}), *messages)
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_before
    # For the whole hall: in the audit trail. For a seat with a candidate: on the attempt's history.
    assert proctor.post(url, data={"csrf_token": token, "category": "environment", "seat_id": "",
                                   "description": "窗外施工噪音较大"}).status_code == 302
    assert proctor.post(url, data={"csrf_token": token, "category": "technical",
                                   "seat_id": str(hall_world.seats["01"]),
                                   "description": "01 号终端鼠标失灵，已更换"}).status_code == 302
    assert proctor.post(url, data={"csrf_token": token, "category": "staff", "seat_id": str(hall_world.seats["03"]),
                                   "description": "03 号空座位旁有工作人员长时间逗留"}).status_code == 302
    with db.sessions() as s:
        hall_level = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "hall.irregularity")).all()
        assert [(e.object_type, e.object_id, e.after["category"], e.after["seat"]) for e in hall_level] == [
            ("exam_session", str(hall_world.session_id), "environment", None),
            ("exam_session", str(hall_world.session_id), "staff", "03")]
        on_attempt = s.scalar(sa.select(AttemptEvent).where(AttemptEvent.action == "irregularity"))
        assert (on_attempt.reason, on_attempt.details["category"], on_attempt.to_status) == \
            ("01 号终端鼠标失灵，已更换", "technical", "in_progress")
        found = hall.irregularities(s, s.get(ExamSession, hall_world.session_id))
        assert [(i.category, i.seat, i.name) for i in found] == [
            ("environment", None, None), ("technical", "01", "张三"), ("staff", "03", None)]
        assert verify_chain(s).ok
    page = proctor.get(hall_world.url()).get_data(as_text=True)
    assert "窗外施工噪音较大" in page and "整个考场" in page and "技术" in page
    assert _attempt(db, hall_world.a).status is AttemptStatus.IN_PROGRESS


# --- the exam-room record ------------------------------------------------------------------------------------------

pdf_tools = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils missing: run scripts/setup")


def _run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout


@pdf_tools
def test_the_exam_room_record_pdf(proctor, hall_world, db, tmp_path):
    import cv2

    assert _post(proctor, hall_world, "check-in", hall_world.a).status_code == 302
    attempt_id = _attempt(db, hall_world.a).id
    with db.transaction() as s:
        attempts.start(s, CANDIDATE, attempt_id)
        autosave.save_answer(s, attempt_id, position=1, chosen=[0], marked=False, seq=1)
    assert _post(proctor, hall_world, "warn", hall_world.a, reason="交头接耳").status_code == 302
    assert _post(proctor, hall_world, "extend", hall_world.a, minutes="5", reason="停电五分钟").status_code == 302
    assert _post(proctor, hall_world, "move", hall_world.a, seat_id=str(hall_world.seats["03"]),
                 reason="终端黑屏").status_code == 302
    assert _post(proctor, hall_world, "expel", hall_world.a, reason="使用手机", confirm="y").status_code == 302
    assert _post(proctor, hall_world, "absent", hall_world.b).status_code == 302
    token = _csrf(proctor, hall_world)
    assert proctor.post(hall_world.url("/irregularities"), data={
        "csrf_token": token, "category": "environment", "description": "考场照明不足"}).status_code == 302

    response = proctor.get(hall_world.url("/record.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    path = tmp_path / "record.pdf"
    path.write_bytes(response.data)
    fonts = [line.split() for line in _run("pdffonts", str(path)).splitlines()[2:]]
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts        # every font embedded
    _run("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page"))
    image = cv2.imread(str(next(tmp_path.glob("page*.png"))), cv2.IMREAD_GRAYSCALE)
    assert image is not None and (image < 128).mean() > 0.01              # ink on the page, not blank
    text = re.sub(r"\s+", "", _run("pdftotext", "-enc", "UTF-8", str(path), "-"))
    for word in ("考场记录", "测试考点", "理论一", "测试proctor", "应考人数", "实到人数", "缺考人数", "T0001", "张三",
                 "李四", "终止考试（违纪，成绩取消）", "缺考", "交头接耳", "停电五分钟", "延长5分钟", "01→03号座位",
                 "使用手机", "确认身份（签到）", "考场照明不足", "环境", "全考场", "监考员签名", "考务负责人签名"):
        assert word in text, word
    # A session with nothing happened yet still prints (empty tables say so).
    with db.transaction() as s:
        other = s.get(ExamSession, hall_world.other_session_id)
        proctor_id = s.scalar(sa.select(StaffUser.id).where(StaffUser.username == "t_proctor"))
        s.add(SessionStaff(session_id=other.id, user_id=proctor_id, duty=Duty.PROCTOR))
    empty = proctor.get(f"/hall/sessions/{hall_world.other_session_id}/record.pdf")
    assert empty.status_code == 200
    path.write_bytes(empty.data)
    assert "无处置记录" in re.sub(r"\s+", "", _run("pdftotext", "-enc", "UTF-8", str(path), "-"))


def test_the_record_says_so_when_the_font_is_missing(proctor, hall_world, monkeypatch):
    from exam_center.reports import admission_ticket
    monkeypatch.setattr(admission_ticket, "FONT_NAME", "NoSuchFontForTests")
    monkeypatch.setenv(admission_ticket.FONT_ENV, "/nonexistent/font.ttc")
    response = proctor.get(hall_world.url("/record.pdf"))
    assert response.status_code == 503 and "scripts/setup" in response.get_data(as_text=True)


def test_console_page_renders_every_state(proctor, hall_world, db):
    """One page with a moved, a paused and an absent candidate: the map, alerts and panel all render."""
    attempt_id = _started(db, hall_world.a)
    with db.transaction() as s:
        attempts.move(s, SYSTEM, attempt_id, hall_world.seats["03"], "换机")
        attempts.pause(s, SYSTEM, attempt_id, "停电")
        attempts.mark_absent(s, SYSTEM, hall_world.b)
    page = proctor.get(hall_world.url()).get_data(as_text=True)
    assert "已调至 03" in page and 'st-paused' in page and 'st-absent' in page
    panel = proctor.get(hall_world.url(candidate=hall_world.a)).get_data(as_text=True)
    assert "/resume" in panel and "/extend" in panel and "/check-in" not in panel
    assert "（准考证座位 01）" in panel
