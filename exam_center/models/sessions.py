"""Exam sessions (考试场次): who sits where and when, who proctors, and each candidate's frozen paper."""
from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .applications import ExamApplication, ExamPart
from .base import Base, UTCDateTime, enum_type, utcnow
from .rooms import ExamRoom


class SessionStatus(enum.Enum):
    OPEN = "open"          # candidates can be added or removed
    CLOSED = "closed"      # roster fixed, papers drawn: the start is a read


class Duty(enum.Enum):
    PROCTOR = "proctor"    # 监考
    EXAMINER = "examiner"  # 考评


class ExamSession(Base):
    __tablename__ = "exam_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_rooms.id"), index=True)
    part: Mapped[ExamPart] = mapped_column(enum_type(ExamPart, "session_part"))
    operation_item_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_items.code"))
    blueprint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("blueprints.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int]
    capacity: Mapped[int]
    status: Mapped[SessionStatus] = mapped_column(enum_type(SessionStatus, "session_status"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[ExamRoom] = relationship()
    candidates: Mapped[list["SessionCandidate"]] = relationship(back_populates="session",
                                                                order_by="SessionCandidate.id")
    staff: Mapped[list["SessionStaff"]] = relationship(back_populates="session", order_by="SessionStaff.id")


class SessionCandidate(Base):
    """A scheduled application: seat (theory) or station (practical), ticket number, frozen paper."""

    __tablename__ = "session_candidates"
    __table_args__ = (sa.UniqueConstraint("session_id", "seat_id"), sa.UniqueConstraint("session_id", "station_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_sessions.id"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_applications.id"), unique=True)
    seat_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seats.id"))
    station_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stations.id"))
    ticket_number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    paper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("papers.id"))

    session: Mapped[ExamSession] = relationship(back_populates="candidates")
    application: Mapped[ExamApplication] = relationship()


class SessionStaff(Base):
    __tablename__ = "session_staff"
    __table_args__ = (sa.UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    duty: Mapped[Duty] = mapped_column(enum_type(Duty, "duty"))

    session: Mapped[ExamSession] = relationship(back_populates="staff")


class StaffAffiliation(Base):
    """A tie between an exam-side staff member and a training institution (past teacher, relative, …).

    Conflict of interest (培考分离): such staff never proctor or examine a session with a candidate of
    that institution.
    """

    __tablename__ = "staff_affiliations"
    __table_args__ = (sa.UniqueConstraint("user_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
