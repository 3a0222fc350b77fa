"""Training records (培训档案): classes, enrolments, lessons and attendance; verified hours from attendance."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.models import Attendance, Enrolment, Lesson, LessonKind, TrainingClass


@dataclass(frozen=True)
class VerifiedHours:
    """Class hours (学时) a trainee was recorded at, by kind; never typed in."""

    theory: int = 0
    practical: int = 0

    @property
    def total(self) -> int:
        return self.theory + self.practical


def verified_hours(session: Session, person_id: int, operation_item_code: str,
                   institution_id: int | None = None) -> VerifiedHours:
    """Attended class hours of a person in classes for an operation item (optionally of one institution)."""
    query = (sa.select(Lesson.kind, sa.func.coalesce(sa.func.sum(Lesson.class_hours), 0))
             .join(Attendance, Attendance.lesson_id == Lesson.id)
             .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
             .join(TrainingClass, TrainingClass.id == Enrolment.class_id)
             .where(Enrolment.person_id == person_id, TrainingClass.operation_item_code == operation_item_code)
             .group_by(Lesson.kind))
    if institution_id is not None:
        query = query.where(TrainingClass.institution_id == institution_id)
    hours = dict(session.execute(query).all())
    return VerifiedHours(int(hours.get(LessonKind.THEORY, 0)), int(hours.get(LessonKind.PRACTICAL, 0)))
