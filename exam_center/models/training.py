"""Training records of an institution (培训档案): classes, enrolments, attendance.

Verified hours are never typed in: they are the sum of the class hours of the attendance sessions a
trainee was recorded at (see services.training).
"""
from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_type, utcnow
from .catalogue import OperationItem
from .organisations import Organisation
from .people import Person


class LessonKind(enum.Enum):
    THEORY = "theory"          # 理论
    PRACTICAL = "practical"    # 实操


class AttendanceMethod(enum.Enum):
    FACE = "face"              # 人脸识别
    ID_CARD = "id_card"        # 身份证读卡
    MANUAL = "manual"          # 人工（须注明原因）


class TrainingClass(Base):
    """一期培训班: one archive (一期一档)."""

    __tablename__ = "training_classes"
    __table_args__ = (sa.UniqueConstraint("institution_id", "name"),
                      sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"))

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    operation_item_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_items.code"))
    name: Mapped[str] = mapped_column(sa.String(60))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    theory_hours: Mapped[int]        # planned, from the outline
    practical_hours: Mapped[int]
    teachers: Mapped[str] = mapped_column(sa.String(200))
    capacity: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Organisation] = relationship()
    operation_item: Mapped[OperationItem] = relationship()
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="training_class", order_by="Enrolment.id")
    lessons: Mapped[list["Lesson"]] = relationship(back_populates="training_class",
                                                   order_by="(Lesson.day, Lesson.starts_at)")


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (sa.UniqueConstraint("class_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("training_classes.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    enrolled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    training_class: Mapped[TrainingClass] = relationship(back_populates="enrolments")
    person: Mapped[Person] = relationship()


class Lesson(Base):
    """An attendance session (课次): a dated block of theory or practical teaching worth some class hours."""

    __tablename__ = "lessons"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="times_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(sa.ForeignKey("training_classes.id"), index=True)
    day: Mapped[dt.date]
    starts_at: Mapped[dt.time]
    ends_at: Mapped[dt.time]
    kind: Mapped[LessonKind] = mapped_column(enum_type(LessonKind, "lesson_kind"))
    class_hours: Mapped[int]         # 学时, derived from the duration (45 min each, AQ 8011)
    topic: Mapped[str] = mapped_column(sa.String(100), default="")

    training_class: Mapped[TrainingClass] = relationship(back_populates="lessons")
    records: Mapped[list["Attendance"]] = relationship(back_populates="lesson")


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "enrolment_id"),
                      sa.CheckConstraint("method <> 'manual' OR reason IS NOT NULL", name="manual_needs_reason"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id"), index=True)
    method: Mapped[AttendanceMethod] = mapped_column(enum_type(AttendanceMethod, "attendance_method"))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))

    lesson: Mapped[Lesson] = relationship(back_populates="records")
    enrolment: Mapped[Enrolment] = relationship()
