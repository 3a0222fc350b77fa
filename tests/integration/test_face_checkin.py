"""Check-in by face through the hall agent's API: card → roster, frames → accept / review / reject with the
evidence stored and audited, retries limited, reviews settled by the session's proctor."""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from conftest import FACES, SYSTEM, csrf_token
from exam_day import scheduled_candidate, small_exam_bank

from exam_center.db import read_only
from exam_center.domain.idcard import make_id_number
from exam_center.models import (
    Attempt,
    AttemptStatus,
    AuditEvent,
    DeviceKind,
    Duty,
    ExamPart,
    ExamRoom,
    ExamSession,
    FaceCheck,
    OrganisationKind,
    Role,
    RoomKind,
    Seat,
    SessionStaff,
    SessionStatus,
    StaffUser,
)
from exam_center.services import papers
from exam_center.services.people import set_person_photo

API = "/api/v1/checkin"


def frame(name: str, side: int, flip: bool = False) -> str:
    """A shared photo as a camera frame: shrunk to ``side`` pixels, JPEG, base64."""
    image = cv2.imread(str(FACES / name))
    scale = side / max(image.shape[:2])
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if flip:
        image = cv2.flip(image, 1)
    return base64.b64encode(cv2.imencode(".jpg", image)[1].tobytes()).decode()


OBAMA = [frame("obama_2.jpg", 800), frame("obama_2.jpg", 800, flip=True), frame("obama_3.jpg", 1280)]
BIDEN = frame("biden_2.jpg", 800)
EMPTY = base64.b64encode(cv2.imencode(".jpg", np.full((480, 640, 3), 128, np.uint8))[1].tobytes()).decode()


@dataclass
class Roster:
    session_id: int
    ids: dict[str, str]          # who → ID number
    candidates: dict[str, int]   # who → session candidate id


@pytest.fixture
def roster(db, app, world) -> Roster:
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    store = app.extensions["exam_center.evidence"]
    ids = {who: make_id_number("110105", dt.date(1991, 2, n + 1), 21 + n)
           for n, who in enumerate(("obama", "biden", "nophoto", "elsewhere"))}
    with db.transaction() as s:
        blueprint = small_exam_bank(s)
        drawn = papers.draw_papers(s, SYSTEM, blueprint.id, seeds=[1, 2, 3, 4])
        rooms = [ExamRoom(centre_id=centre, name=name, kind=RoomKind.THEORY) for name in ("理论一", "理论二")]
        s.add_all(rooms)
        s.flush()
        seats = [Seat(room_id=rooms[0].id, label=f"0{n}") for n in range(1, 4)] + [Seat(room_id=rooms[1].id, label="01")]
        s.add_all(seats)
        starts = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)
        sessions = [ExamSession(centre_id=centre, room_id=r.id, part=ExamPart.THEORY, operation_item_code="1.2",
                                blueprint_id=blueprint.id, starts_at=starts, duration_minutes=30, capacity=3,
                                status=SessionStatus.CLOSED) for r in rooms]
        s.add_all(sessions)
        s.flush()
        proctor = s.scalar(sa.select(StaffUser).where(StaffUser.username == world.usernames[Role.PROCTOR]))
        s.add(SessionStaff(session_id=sessions[0].id, user_id=proctor.id, duty=Duty.PROCTOR))
        candidates = {}
        for n, (who, photo) in enumerate([("obama", "obama_1.jpg"), ("biden", "biden_1.jpg"), ("nophoto", None),
                                          ("elsewhere", None)]):
            row = scheduled_candidate(s, exam_session_id=sessions[1 if who == "elsewhere" else 0].id,
                                      seat_id=seats[n].id, paper_id=drawn[n].id, id_number=ids[who],
                                      name="考生" + "甲乙丙丁"[n], ticket_number=f"F000{n}")
            if photo:
                set_person_photo(s, SYSTEM, store, row.application.person_id, (FACES / photo).read_bytes())
            candidates[who] = row.id
    return Roster(sessions[0].id, ids, candidates)


@pytest.fixture
def agent(client, world):
    """The hall agent: calls with its device token."""
    def call(path: str, body: dict, kind: DeviceKind = DeviceKind.HALL_AGENT):
        return client.post(API + path, json=body, headers={"Authorization": f"Bearer {world.device_tokens[kind]}"})
    return call


def status_of(db, candidate_id: int) -> AttemptStatus | None:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(Attempt.status).where(Attempt.candidate_id == candidate_id))


def checks(db, candidate_id: int) -> list[FaceCheck]:
    with read_only(), db.sessions() as s:
        return list(s.scalars(sa.select(FaceCheck).where(FaceCheck.candidate_id == candidate_id)
                              .order_by(FaceCheck.id)))


def test_card_then_frames_accepts_the_right_person_and_checks_them_in(agent, roster, db, app):
    found = agent(f"/sessions/{roster.session_id}/card", {"id_number": roster.ids["obama"]})
    assert found.status_code == 200, found.json
    assert found.json["candidate_id"] == roster.candidates["obama"] and found.json["has_photo"]
    decided = agent(f"/candidates/{roster.candidates['obama']}/face", {"frames": OBAMA})
    assert decided.status_code == 200, decided.json
    body = decided.json
    assert (body["outcome"], body["reason"], body["frames_used"]) == ("accept", "match", 3)
    assert body["distance"] < body["accept_threshold"] == 0.42 and body["review_threshold"] == 0.55
    assert status_of(db, roster.candidates["obama"]) is AttemptStatus.CHECKED_IN
    [check] = checks(db, roster.candidates["obama"])
    assert len(check.details["distances"]) == 3 and check.device_id is not None
    snapshot = app.extensions["exam_center.evidence"].read(check.snapshot_path)
    assert cv2.imdecode(np.frombuffer(snapshot, np.uint8), cv2.IMREAD_COLOR) is not None
    with read_only(), db.sessions() as s:
        event = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "face.checkin")).one()
    assert event.after["outcome"] == "accept" and event.after["snapshot_sha256"] == check.snapshot_sha256
    again = agent(f"/sessions/{roster.session_id}/card", {"id_number": roster.ids["obama"]})
    assert (again.status_code, again.json["code"]) == (409, "checkin.already")


def test_another_person_is_rejected_and_retries_run_out(agent, roster, db):
    path = f"/candidates/{roster.candidates['biden']}/face"
    for left in (2, 1, 0):
        decided = agent(path, {"frames": OBAMA})
        assert (decided.json["outcome"], decided.json["reason"], decided.json["retries_left"]) == \
            ("reject", "no_match", left)
    refused = agent(path, {"frames": OBAMA})
    assert (refused.status_code, refused.json["code"]) == (409, "checkin.retries_exhausted")
    assert status_of(db, roster.candidates["biden"]) is AttemptStatus.SCHEDULED


def test_disagreeing_frames_and_empty_frames(agent, roster, db):
    path = f"/candidates/{roster.candidates['obama']}/face"
    empty = agent(path, {"frames": [EMPTY] * 3}).json
    assert (empty["outcome"], empty["reason"], empty["frames_used"]) == ("reject", "too_few_frames", 0)
    mixed = agent(path, {"frames": OBAMA[:2] + [BIDEN]}).json
    assert (mixed["outcome"], mixed["reason"]) == ("review", "frames_disagree")
    assert status_of(db, roster.candidates["obama"]) is AttemptStatus.SCHEDULED
    assert checks(db, roster.candidates["obama"])[0].details["frame_problems"] == [["no_face"]] * 3


def test_without_a_registered_photo_a_proctor_decides(agent, roster, db, login_as):
    path = f"/candidates/{roster.candidates['nophoto']}/face"
    decided = agent(path, {"frames": OBAMA}).json
    assert (decided["outcome"], decided["reason"], decided["distance"]) == ("review", "no_registered_photo", None)
    pending = agent(path, {"frames": OBAMA})
    assert (pending.status_code, pending.json["code"]) == (409, "checkin.review_pending")

    proctor = login_as(Role.PROCTOR)
    headers = {"X-CSRFToken": csrf_token(proctor, "/hall/")}
    url = f"{API}/checks/{decided['check_id']}/resolution"
    no_reason = proctor.post(url, json={"confirm": False}, headers=headers)
    assert (no_reason.status_code, no_reason.json["code"]) == (422, "checkin.reason_required")
    confirmed = proctor.post(url, json={"confirm": True, "reason": "核对身份证原件一致"}, headers=headers)
    assert confirmed.status_code == 200 and confirmed.json["resolution"] == "confirmed"
    assert status_of(db, roster.candidates["nophoto"]) is AttemptStatus.CHECKED_IN
    twice = proctor.post(url, json={"confirm": True}, headers=headers)
    assert (twice.status_code, twice.json["code"]) == (409, "checkin.not_pending")


def test_the_roster_refuses_wrong_cards(agent, roster):
    card = f"/sessions/{roster.session_id}/card"
    wrong = agent(card, {"id_number": roster.ids["elsewhere"]})
    assert (wrong.status_code, wrong.json["code"]) == (409, "checkin.wrong_session")
    nobody = agent(card, {"id_number": make_id_number("110105", dt.date(1970, 1, 1), 99)})
    assert (nobody.status_code, nobody.json["code"]) == (404, "checkin.not_scheduled")
    assert agent(card, {"id_number": "123"}).status_code == 422


def test_bad_frames_are_refused_before_any_decision(agent, roster, db):
    path = f"/candidates/{roster.candidates['obama']}/face"
    assert agent(path, {"frames": OBAMA[:2]}).json["code"] == "checkin.frame_count"
    assert agent(path, {"frames": ["not base64!"] * 3}).json["code"] == "checkin.frame_encoding"
    assert agent(path, {"frames": [base64.b64encode(b"text").decode()] * 3}).json["code"] == "checkin.frame_format"
    assert agent("/candidates/999999/face", {"frames": OBAMA}).status_code == 404
    assert checks(db, roster.candidates["obama"]) == []


def test_only_hall_agents_and_proctors_reach_check_in(agent, roster, client, login_as):
    path = f"/candidates/{roster.candidates['obama']}/face"
    assert agent(path, {"frames": OBAMA}, kind=DeviceKind.KIOSK).status_code == 403
    assert client.post(API + path, json={"frames": OBAMA}).status_code == 401
    admin = login_as(Role.EXAM_ADMIN)
    assert admin.post(f"{API}/checks/1/resolution", json={"confirm": True},
                      headers={"X-CSRFToken": csrf_token(admin, "/centre/people/")}).status_code == 403


def test_without_a_card_the_roster_is_searched_1_to_n(agent, roster, db):
    path = f"/sessions/{roster.session_id}/identify"
    found = agent(path, {"frames": OBAMA}).json
    assert found["candidate_id"] == roster.candidates["obama"] and found["reason"] == "match"
    assert found["decision"]["outcome"] == "accept"
    assert status_of(db, roster.candidates["obama"]) is AttemptStatus.CHECKED_IN
    # Once checked in, obama is no longer searched: the best remaining match (biden) is far away.
    stranger = agent(path, {"frames": OBAMA}).json
    assert (stranger["candidate_id"], stranger["reason"], stranger["decision"]) == (None, "no_match", None)
    nobody = agent(path, {"frames": [EMPTY] * 3}).json
    assert (nobody["candidate_id"], nobody["reason"]) == (None, "too_few_frames")
    assert agent("/sessions/999999/identify", {"frames": OBAMA}).status_code == 404
