"""Demo data for the path from training to the exam seat: a 低压电工 class with its lessons and attendance,
applications through the eligibility gate, and a theory session with a proctor, closed with frozen papers.

Dates are relative to the day of the first seeding; a second run finds the class and changes nothing.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.models import (ApplicationStatus, Duty, ExamApplication, ExamPart, ExamRoom, LessonKind, Organisation,
                                RoomKind, StaffUser, TrainingClass)

from . import applications, scheduling, training
from .audit import Actor

CLASS_NAME = "低压电工作业示范培训班"
TRAINEES = 10
ZONE = ZoneInfo("Asia/Shanghai")
# Two blocks a day of 3 h 30 min = 4 class hours each (45 minutes per class hour).
BLOCKS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 0)))


def _staff(session: Session, username: str) -> StaffUser:
    return session.scalar(sa.select(StaffUser).where(StaffUser.username == username))


def _actor(user: StaffUser) -> Actor:
    return Actor("staff", str(user.id), user.username)


def seed_exam_path(session: Session, today: date, candidates: list[dict]) -> int:
    if session.scalar(sa.select(TrainingClass.id).where(TrainingClass.name == CLASS_NAME)):
        return 0
    teacher = _staff(session, "school_a")
    school = teacher.organisation_id
    as_school = _actor(teacher)
    starts = today - timedelta(days=40)
    klass = training.create_class(session, as_school, institution_id=school, operation_item_code="1.2",
                                  name=CLASS_NAME, starts_on=starts, ends_on=today - timedelta(days=10),
                                  teachers="刘建华（高级技师）、周明（注册安全工程师）", capacity=40)
    enrolments = [training.enrol(session, as_school, class_id=klass.id, institution_id=school,
                                 id_number=c["id_number"], name=c["name"]) for c in candidates[:TRAINEES]]
    # 88 theory + 60 practical class hours (the outline of 低压电工作业): 11 theory days, 7.5 practical days.
    plan = [LessonKind.THEORY] * 22 + [LessonKind.PRACTICAL] * 15
    created = 0
    for number, kind in enumerate(plan):
        day = starts + timedelta(days=number // 2)
        block = BLOCKS[number % 2]
        lesson = training.add_lesson(session, as_school, class_id=klass.id, institution_id=school, day=day,
                                     starts_at=block[0], ends_at=block[1], kind=kind,
                                     topic=f"{'理论' if kind is LessonKind.THEORY else '实操'}第{number + 1}讲")
        # The last trainee missed one theory lesson: 4 class hours short of the outline.
        present = [e.id for n, e in enumerate(enrolments) if not (n == TRAINEES - 1 and number == 3)]
        training.record_attendance_bulk(session, as_school, lesson_id=lesson.id, enrolment_ids=present,
                                        institution_id=school, method="face", today=today)
        created += 1
    filed_on = today - timedelta(days=5)
    for n, enrolment in enumerate(enrolments):
        # One trainee has not handed in the health declaration: the gate says so.
        applications.file_for_trainee(session, as_school, institution_id=school, enrolment_id=enrolment.id,
                                      kind="initial", part="theory", health_declared=n != TRAINEES - 2,
                                      filed_on=filed_on)
    created += _theory_session(session, today)
    return created + len(enrolments)


def _theory_session(session: Session, today: date) -> int:
    admin = _staff(session, "examadmin")
    centre = admin.organisation_id
    as_admin = _actor(admin)
    room = session.scalar(sa.select(ExamRoom).where(ExamRoom.centre_id == centre, ExamRoom.kind == RoomKind.THEORY))
    starts_at = datetime.combine(today + timedelta(days=7), time(9, 0), ZONE)
    exam_session = scheduling.create_session(session, as_admin, centre_id=centre, room_id=room.id,
                                             part=ExamPart.THEORY, operation_item_code="1.2", starts_at=starts_at,
                                             capacity=30)
    eligible = session.scalars(sa.select(ExamApplication.id).where(
        ExamApplication.operation_item_code == "1.2", ExamApplication.status == ApplicationStatus.ELIGIBLE)).all()
    scheduling.schedule(session, as_admin, centre_id=centre, session_id=exam_session.id, application_ids=eligible)
    proctor = _staff(session, "proctor")
    scheduling.assign_staff(session, as_admin, centre_id=centre, session_id=exam_session.id, user_id=proctor.id,
                            duty=Duty.PROCTOR)
    # A recorded tie: the examiner once taught at the second school, so never examines its trainees.
    other_school = session.scalar(sa.select(Organisation.id).where(Organisation.name == "海淀职业安全培训中心"))
    examiner = _staff(session, "examiner")
    scheduling.add_affiliation(session, as_admin, centre_id=centre, user_id=examiner.id, institution_id=other_school,
                               note="曾任该机构兼职实操教师")
    scheduling.close_session(session, as_admin, centre_id=centre, session_id=exam_session.id)
    return 1 + len(eligible)

