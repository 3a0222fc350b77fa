"""The exam administrator's pages (/centre/…): sessions, scheduling, staff, closing, rosters, halls, ties.

Real HTTP against the real database. Every refused submission answers 400 with the message as the zh_CN page
shows it, and changes nothing.
"""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale, gettext
from markupsafe import escape

from exam_center.db import read_only
from exam_center.domain.credit_code import make_credit_code
from exam_center.domain.education import Education
from exam_center.domain.idcard import make_id_number
from exam_center.models import (
    ApplicationKind, ApplicationStatus, AuditEvent, Device, DeviceKind, ExamApplication, ExamPart, ExamRoom,
    ExamSession, OrganisationKind, Paper, Person, Role, RoomKind, Seat, SessionCandidate, SessionStaff, SessionStatus,
    StaffAffiliation, StaffUser, Station, utcnow,
)
from exam_center.services import rooms, scheduling
from exam_center.services.organisations import create_organisation
from exam_center.services.staff import create_staff_user
from exam_center.web.centre import ROSTER_HEADER

from conftest import PASSWORD, SYSTEM, csrf_token, login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def zh(app, msgid: str, **params) -> str:
    with app.test_request_context(), force_locale("zh_CN"):
        translated = gettext(msgid)
    return translated % params if params else translated


def page(response) -> str:
    return response.get_data(as_text=True)


def shows(response, message: str) -> bool:
    return str(escape(message)) in page(response)


def refused_with(app, response, msgid: str, **params) -> None:
    assert response.status_code == 400, page(response)[:2000]
    assert shows(response, zh(app, msgid, **params)), (msgid, re.findall(r'class="(?:flash )?error"[^>]*>(.*?)<',
                                                                         page(response)))


def count(db, model, *where) -> int:
    with read_only(), db.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def ids(db, world) -> dict:
    with db.transaction() as s:
        centre = world.organisations[OrganisationKind.EXAM_CENTRE]
        theory = rooms.create_room(s, SYSTEM, centre_id=centre, name="理论一", kind=RoomKind.THEORY)
        rooms.add_places(s, SYSTEM, theory, [(f"{n:02d}", None) for n in range(1, 4)])
        practical = rooms.create_room(s, SYSTEM, centre_id=centre, name="实操一", kind=RoomKind.PRACTICAL)
        rooms.add_places(s, SYSTEM, practical, [("S1", "1.2")])
        user = {role: s.scalar(sa.select(StaffUser.id).where(StaffUser.username == world.usernames[role]))
                for role in (Role.PROCTOR, Role.EXAMINER)}
        return {"centre": centre, "institution": world.organisations[OrganisationKind.TRAINING_INSTITUTION],
                "theory": theory.id, "practical": practical.id, "proctor": user[Role.PROCTOR],
                "examiner": user[Role.EXAMINER]}


def application(db, n: int, *, institution_id, deadline: date, name: str) -> int:
    with db.transaction() as s:
        person = Person(id_number=make_id_number("110105", date(1991, 2, 3), n), name=name, sex="F",
                        birth_date=date(1991, 2, 3), education=Education.SENIOR_HIGH, phone="13900000000")
        s.add(person)
        s.flush()
        row = ExamApplication(person_id=person.id, operation_item_code="1.2", kind=ApplicationKind.INITIAL,
                              part=ExamPart.THEORY, institution_id=institution_id, health_declared=True,
                              filed_on=deadline - timedelta(days=60), exam_deadline=deadline,
                              status=ApplicationStatus.ELIGIBLE, gate=[], rule_set="AQ30-2015")
        s.add(row)
        s.flush()
        return row.id


def test_a_session_from_creation_to_roster_through_the_pages(app, db, world, login_as):
    place = ids(db, world)
    client = login_as(Role.EXAM_ADMIN)
    day = (utcnow().astimezone(SHANGHAI) + timedelta(days=15)).date()
    token = csrf_token(client, "/centre/sessions")
    good = {"csrf_token": token, "room_id": str(place["theory"]), "part": "theory", "operation_item_code": "1.2",
            "starts_at": f"{day.isoformat()}T09:30", "capacity": "3", "duration_minutes": ""}

    response = client.post("/centre/sessions", data={**good, "room_id": "", "starts_at": "明天上午", "capacity": "abc"})
    refused_with(app, response, "Choose one of the listed values.")
    assert shows(response, zh(app, "Enter the start as a date and time, for example 2026-07-01 09:00."))
    assert shows(response, zh(app, "Enter a whole number."))
    refused_with(app, client.post("/centre/sessions", data={**good, "capacity": "4"}),
                 "The capacity %(capacity)s exceeds the %(places)s usable places of %(room)s.",
                 capacity=4, places=3, room="理论一")
    refused_with(app, client.post("/centre/sessions", data={**good, "room_id": str(place["practical"])}),
                 "A theory session needs a theory hall; %(room)s is a practical hall.", room="实操一")
    refused_with(app, client.post("/centre/sessions", data={**good, "starts_at": "2020-01-01 09:00"}),
                 "The session must start in the future.")
    refused_with(app, client.post("/centre/sessions", data={**good, "part": "oral"}),
                 "Choose one of the listed values.")
    assert count(db, ExamSession) == 0

    response = client.post("/centre/sessions", data=good)
    assert response.status_code == 302
    with read_only(), db.sessions() as s:
        exam_session = s.scalar(sa.select(ExamSession))
        session_id = exam_session.id
        assert exam_session.starts_at == datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)
    url = f"/centre/sessions/{session_id}"
    assert response.headers["Location"].endswith(url)
    assert "09:30" in page(client.get("/centre/sessions"))

    on_time = application(db, 1, institution_id=place["institution"], deadline=day, name="王准时")
    late = application(db, 2, institution_id=place["institution"], deadline=day - timedelta(days=1), name="赵超期")
    self_applied = application(db, 3, institution_id=None, deadline=day + timedelta(days=9), name="钱自报")
    detail = client.get(url)
    assert detail.status_code == 200 and "王准时" in page(detail) and "赵超期" in page(detail)
    assert shows(detail, zh(app, "Deadline before the session day"))

    token = csrf_token(client, url)
    refused_with(app, client.post(f"{url}/schedule", data={"csrf_token": token}),
                 "Choose at least one application to schedule.")
    refused_with(app, client.post(f"{url}/schedule", data={"csrf_token": token, "application_ids": ["x1"]}),
                 "Choose one of the listed values.")
    refused_with(app, client.post(f"{url}/schedule", data={"csrf_token": token,
                                                           "application_ids": [str(on_time), str(late)]}),
                 "%(name)s must be examined by %(deadline)s, the deadline set when the application was filed; "
                 "this session is on %(date)s.",
                 name="赵超期", deadline=(day - timedelta(days=1)).isoformat(), date=day.isoformat())
    assert client.post(f"{url}/schedule", data={"application_ids": [str(on_time)]}).status_code == 400  # no CSRF
    assert count(db, SessionCandidate) == 0
    response = client.post(f"{url}/schedule", data={"csrf_token": token,
                                                    "application_ids": [str(on_time), str(self_applied)]})
    assert response.status_code == 302
    assert count(db, SessionCandidate) == 2

    # conflict of interest: the proctor once taught at the candidate's institution
    with db.transaction() as s:
        scheduling.add_affiliation(s, SYSTEM, centre_id=place["centre"], user_id=place["proctor"],
                                   institution_id=place["institution"], note="曾任教师")
    refused_with(app, client.post(f"{url}/staff", data={"csrf_token": token, "user_id": str(place["proctor"]),
                                                        "duty": "proctor"}),
                 "%(name)s is bound to %(institution)s, which trained a candidate in this session: conflict of "
                 "interest; choose someone else.", name="测试proctor", institution="测试培训学校")
    refused_with(app, client.post(f"{url}/staff", data={"csrf_token": token, "user_id": "", "duty": "boss"}),
                 "Choose one of the listed values.")
    refused_with(app, client.post(f"{url}/staff", data={"csrf_token": token, "user_id": str(place["examiner"]),
                                                        "duty": "examiner"}),
                 "Examiners are assigned to practical sessions only.")
    assert count(db, SessionStaff) == 0
    with db.transaction() as s:
        other = create_staff_user(s, SYSTEM, username="proctor_b", display_name="孙监考", password=PASSWORD,
                                  role=Role.PROCTOR, organisation_id=place["centre"]).id
    assert client.post(f"{url}/staff", data={"csrf_token": token, "user_id": str(other),
                                             "duty": "proctor"}).status_code == 302
    assert count(db, SessionStaff) == 1

    # closing with an empty bank: the shortage is shown, the session stays open, no paper is drawn
    response = client.post(f"{url}/close", data={"csrf_token": token})
    assert response.status_code == 400 and "判断题" in page(response)
    with read_only(), db.sessions() as s:
        assert s.get(ExamSession, session_id).status is SessionStatus.OPEN
    assert count(db, Paper) == 0

    roster = client.get(f"{url}/roster")
    with read_only(), db.sessions() as s:
        number = s.scalar(sa.select(Person.id_number).where(Person.name == "王准时"))
    assert roster.status_code == 200 and "王准时" in page(roster) and "钱自报" in page(roster)
    assert number not in page(roster) and f"{number[:6]}********{number[-4:]}" in page(roster)

    exported = client.get(f"{url}/roster.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    with app.test_request_context(), force_locale("zh_CN"):
        assert rows[0] == [str(h) for h in ROSTER_HEADER]
    assert sorted(r[1] for r in rows[1:]) == sorted(["王准时", "钱自报"])
    self_row = next(r for r in rows[1:] if r[1] == "钱自报")
    assert self_row[4] == zh(app, "(self-applied)") and self_row[5] == zh(app, "Initial exam")
    assert count(db, AuditEvent, AuditEvent.action == "session.roster_export") == 1

    # unscheduling through the page puts the application back
    response = client.post(f"{url}/candidates/{on_time}/remove", data={"csrf_token": token})
    assert response.status_code == 302
    with read_only(), db.sessions() as s:
        assert s.get(ExamApplication, on_time).status is ApplicationStatus.ELIGIBLE


def test_halls_and_ties_pages_refuse_bad_input_and_change_nothing(app, db, world, login_as):
    place = ids(db, world)
    client = login_as(Role.EXAM_ADMIN)
    token = csrf_token(client, "/centre/halls")
    refused_with(app, client.post("/centre/halls", data={"csrf_token": token, "name": " ", "kind": "theory"}),
                 "This field is required.")
    refused_with(app, client.post("/centre/halls", data={"csrf_token": token, "name": "理论一", "kind": "theory"}),
                 "This exam centre already has a room named '%(name)s'.", name="理论一")
    created = client.post("/centre/halls", data={"csrf_token": token, "name": "理论二", "kind": "theory"})
    assert created.status_code == 302
    with read_only(), db.sessions() as s:
        hall = s.scalar(sa.select(ExamRoom.id).where(ExamRoom.name == "理论二"))
        terminal = s.scalar(sa.select(Device.id).where(Device.kind == DeviceKind.EXAM_TERMINAL))
        kiosk = s.scalar(sa.select(Device.id).where(Device.kind == DeviceKind.KIOSK))
        seat = s.scalar(sa.select(Seat.id).where(Seat.room_id == place["theory"], Seat.label == "01"))
        station = s.scalar(sa.select(Station.id).where(Station.room_id == place["practical"]))
    for bad in ("0", "201", "三"):
        refused_with(app, client.post(f"/centre/halls/{hall}/places", data={"csrf_token": token, "count": bad}),
                     "Enter a number from %(min)s to %(max)s." if bad.isdigit() else "Enter a whole number.",
                     **({"min": 1, "max": 200} if bad.isdigit() else {}))
    assert client.post(f"/centre/halls/{hall}/places", data={"csrf_token": token, "count": "2"}).status_code == 302
    assert client.post(f"/centre/halls/{hall}/places", data={"csrf_token": token, "count": "1"}).status_code == 302
    with read_only(), db.sessions() as s:
        assert s.scalars(sa.select(Seat.label).where(Seat.room_id == hall).order_by(Seat.label)).all() == [
            "01", "02", "03"]

    refused_with(app, client.post(f"/centre/seats/{seat}/terminal", data={"csrf_token": token,
                                                                         "terminal_id": str(kiosk)}),
                 "No such exam terminal at this centre.")
    refused_with(app, client.post(f"/centre/seats/{seat}/terminal", data={"csrf_token": token, "terminal_id": "x"}),
                 "Choose one of the listed values.")
    assert client.post(f"/centre/seats/{seat}/terminal",
                       data={"csrf_token": token, "terminal_id": str(terminal)}).status_code == 302
    with read_only(), db.sessions() as s:
        other_seat = s.scalar(sa.select(Seat.id).where(Seat.room_id == place["theory"], Seat.label == "02"))
    refused_with(app, client.post(f"/centre/seats/{other_seat}/terminal",
                                  data={"csrf_token": token, "terminal_id": str(terminal)}),
                 "The terminal %(name)s is already bound to seat %(seat)s of %(room)s.",
                 name="test-exam_terminal", seat="01", room="理论一")
    refused_with(app, client.post(f"/centre/stations/{station}", data={"csrf_token": token, "simulator_address": "300",
                                                                      "operation_item_code": "1.2"}),
                 "The simulator address is a number from 1 to %(max)s.", max=247)
    assert client.post(f"/centre/stations/{station}", data={"csrf_token": token, "simulator_address": "12",
                                                            "operation_item_code": ""}).status_code == 302
    with read_only(), db.sessions() as s:
        assert s.get(Seat, seat).terminal_id == terminal and s.get(Seat, other_seat).terminal_id is None
        assert (s.get(Station, station).simulator_address, s.get(Station, station).operation_item_code) == ("12", None)
    assert "test-exam_terminal" in page(client.get("/centre/halls"))

    token = csrf_token(client, "/centre/affiliations")
    response = client.post("/centre/affiliations", data={"csrf_token": token, "user_id": "", "institution_id": ""})
    refused_with(app, response, "Choose one of the listed values.")
    refused_with(app, client.post("/centre/affiliations", data={"csrf_token": token, "user_id": str(place["proctor"]),
                                                                "institution_id": str(place["centre"])}),
                 "No such training institution.")
    good = {"csrf_token": token, "user_id": str(place["proctor"]), "institution_id": str(place["institution"]),
            "note": "亲属在该校任职"}
    assert client.post("/centre/affiliations", data=good).status_code == 302
    refused_with(app, client.post("/centre/affiliations", data=good),
                 "The tie between %(name)s and %(institution)s is already recorded.", name="测试proctor",
                 institution="测试培训学校")
    assert "亲属在该校任职" in page(client.get("/centre/affiliations"))
    with read_only(), db.sessions() as s:
        tie = s.scalar(sa.select(StaffAffiliation.id))
    assert count(db, StaffAffiliation) == 1
    assert client.post(f"/centre/affiliations/{tie}/remove", data={"csrf_token": token}).status_code == 302
    assert count(db, StaffAffiliation) == 0


def test_only_the_centres_own_exam_administrator_gets_in(app, db, world, client, login_as):
    place = ids(db, world)
    day = (utcnow().astimezone(SHANGHAI) + timedelta(days=15)).date()
    with db.transaction() as s:
        session_id = scheduling.create_session(
            s, SYSTEM, centre_id=place["centre"], room_id=place["practical"], part=ExamPart.PRACTICAL,
            operation_item_code="1.2", starts_at=datetime(day.year, day.month, day.day, 14, tzinfo=SHANGHAI),
            capacity=1).id
        other = create_organisation(s, SYSTEM, kind=OrganisationKind.EXAM_CENTRE, name="另一考点",
                                    credit_code=make_credit_code("12110109MB0000009"), region_code="110105")
        create_staff_user(s, SYSTEM, username="admin_b", display_name="周考务", password=PASSWORD,
                          role=Role.EXAM_ADMIN, organisation_id=other.id)
    for role in (Role.PROCTOR, Role.INSTITUTION_STAFF, Role.BANK_ADMIN):
        login_as(role)
        assert client.get("/centre/sessions").status_code == 403
        assert client.get(f"/centre/sessions/{session_id}/roster.csv").status_code == 403
    login(client, "admin_b")
    for path in (f"/centre/sessions/{session_id}", f"/centre/sessions/{session_id}/roster",
                 f"/centre/sessions/{session_id}/roster.csv"):
        assert client.get(path).status_code == 404
    assert session_id and "14:00" not in page(client.get("/centre/sessions"))
    login_as(Role.EXAM_ADMIN)
    listing = client.get("/centre/sessions")
    assert listing.status_code == 200 and "14:00" in page(listing)
    assert html.unescape(page(client.get(f"/centre/sessions/{session_id}"))).count("实操一") >= 1
