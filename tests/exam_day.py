"""Building blocks for exam-day tests: a small active bank with its blueprint, and scheduled candidates."""
from __future__ import annotations

import datetime as dt

from exam_center.models import ApplicationKind, ApplicationStatus, ExamApplication, ExamPart, SessionCandidate
from exam_center.services import bank_items, blueprints
from exam_center.services.people import register_person
from question_bank.blueprint import Blueprint, Section
from question_bank.items import CognitiveLevel, ItemStatus, ItemType, Scope, Use, build_content

from conftest import SYSTEM

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
