"""Building blocks for exam-day tests: a small active bank with its blueprint, scheduled candidates, and one
proctored candidate with a registered photo."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from exam_center.domain.idcard import make_id_number
from exam_center.models import (ApplicationKind, ApplicationStatus, Duty, ExamApplication, ExamPart, ExamRoom,
                                ExamSession, OrganisationKind, Role, RoomKind, Seat, SessionCandidate, SessionStaff,
                                SessionStatus, StaffUser)
from exam_center.services import attempts, bank_items, blueprints, papers
from exam_center.services.people import register_person, set_person_photo
from question_bank.blueprint import Blueprint, Section
from question_bank.items import CognitiveLevel, ItemStatus, ItemType, Scope, Use, build_content

from conftest import FACES, SYSTEM

# 4 true/false + 4 single + 2 multiple choice, 10 points each: 100 points, pass 80, 30 minutes.
SMALL = Blueprint("1.2", (Section(ItemType.JUDGE, 4, 10), Section(ItemType.SINGLE, 4, 10),
                          Section(ItemType.MULTI, 2, 10)), duration_minutes=30, pass_mark=80, name="小卷")


def small_exam_bank(session):
    """Twelve active exam items for 1.2 (keys: T, B, AC) and the SMALL blueprint; returns the blueprint row."""
    for n in range(12):
        item_type = (ItemType.JUDGE, ItemType.SINGLE, ItemType.MULTI)[n % 3]
        options = [] if item_type is ItemType.JUDGE else [f"题{n}甲", f"题{n}乙", f"题{n}丙", f"题{n}丁"]
        answer = "T" if item_type is ItemType.JUDGE else "B" if item_type is ItemType.SINGLE else "AC"
        content, problems = build_content(type=item_type, stem=f"第{n}题", options=options, answer=answer,
                                          explanation="解析", knowledge_point="防触电技术",
                                          cognitive_level=CognitiveLevel.MASTER, difficulty=3)
        assert not problems
        bank_items.create_item(session, SYSTEM, operation_item="1.2", scope=Scope.NATIONAL, use=Use.EXAM,
                               province_code=None, content=content, status=ItemStatus.ACTIVE)
    return blueprints.save_blueprint(session, SYSTEM, operation_item="1.2", name="小卷", definition=SMALL)


def scheduled_candidate(session, *, exam_session_id: int, seat_id: int | None, paper_id: int | None,
                        id_number: str, name: str, ticket_number: str) -> SessionCandidate:
    """A registered person with a scheduled theory application for 1.2, seated in a session."""
    person = register_person(session, SYSTEM, id_number=id_number, name=name, education="senior_high",
                             phone="13800138000")
    application = ExamApplication(person_id=person.id, operation_item_code="1.2", kind=ApplicationKind.INITIAL,
                                  part=ExamPart.THEORY, health_declared=True, filed_on=dt.date(2026, 11, 20),
                                  exam_deadline=dt.date(2027, 1, 19), status=ApplicationStatus.SCHEDULED, gate=[],
                                  rule_set="ORDER30_2015")
    session.add(application)
    session.flush()
    candidate = SessionCandidate(session_id=exam_session_id, application_id=application.id, seat_id=seat_id,
                                 ticket_number=ticket_number, paper_id=paper_id)
    session.add(candidate)
    session.flush()
    return candidate


@dataclass
class Sitting:
    session_id: int
    candidate_id: int
    attempt_id: int | None
    ticket: str
    id_tail: str


def proctored_candidate(db, app, world, *, photo: str = "obama_1.jpg", start: bool = True) -> Sitting:
    """One candidate (registered photo ``photo``) in a closed session proctored by the world's proctor;
    checked in and answering when ``start``, else still waiting to check in."""
    centre = world.organisations[OrganisationKind.EXAM_CENTRE]
    id_number = make_id_number("110105", dt.date(1988, 8, 4), 31)
    with db.transaction() as s:
        blueprint = small_exam_bank(s)
        paper = papers.draw_papers(s, SYSTEM, blueprint.id, seeds=[5])[0]
        room = ExamRoom(centre_id=centre, name="理论三", kind=RoomKind.THEORY)
        s.add(room)
        s.flush()
        seat = Seat(room_id=room.id, label="01")
        s.add(seat)
        exam = ExamSession(centre_id=centre, room_id=room.id, part=ExamPart.THEORY, operation_item_code="1.2",
                           blueprint_id=blueprint.id, starts_at=dt.datetime(2026, 12, 5, 1, tzinfo=dt.UTC),
                           duration_minutes=30, capacity=1, status=SessionStatus.CLOSED)
        s.add(exam)
        s.flush()
        candidate = scheduled_candidate(s, exam_session_id=exam.id, seat_id=seat.id, paper_id=paper.id,
                                        id_number=id_number, name="奥巴马", ticket_number="2026FW01")
        set_person_photo(s, SYSTEM, app.extensions["exam_center.evidence"], candidate.application.person_id,
                         (FACES / photo).read_bytes())
        proctor = s.scalar(sa.select(StaffUser.id).where(StaffUser.username == world.usernames[Role.PROCTOR]))
        s.add(SessionStaff(session_id=exam.id, user_id=proctor, duty=Duty.PROCTOR))
        attempt_id = None
        if start:
            attempt = attempts.check_in(s, SYSTEM, candidate.id)
            attempts.start(s, SYSTEM, attempt.id)
            attempt_id = attempt.id
        return Sitting(exam.id, candidate.id, attempt_id, "2026FW01", id_number[-6:])
