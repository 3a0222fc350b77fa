"""Exam applications (考试申请), exam results and reapplication bans: what the eligibility gate reads."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_type, utcnow
from .organisations import Organisation
from .people import Person


class ApplicationKind(enum.Enum):
    INITIAL = "initial"                    # 初次考试
    MAKEUP = "makeup"                      # 补考
    REVIEW = "review"                      # 复审考试
    PRACTICAL_RETEST = "practical_retest"  # 离岗 ≥ 6 个月后重新实操考试


class ExamPart(enum.Enum):
    THEORY = "theory"
    PRACTICAL = "practical"


class ApplicationStatus(enum.Enum):
    REFUSED = "refused"        # the gate found reasons; kept with them for the record
    ELIGIBLE = "eligible"      # waiting to be scheduled
    SCHEDULED = "scheduled"
    WITHDRAWN = "withdrawn"


class ExamApplication(Base):
    __tablename__ = "exam_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    operation_item_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_items.code"))
    kind: Mapped[ApplicationKind] = mapped_column(enum_type(ApplicationKind, "application_kind"))
    part: Mapped[ExamPart] = mapped_column(enum_type(ExamPart, "exam_part"))
    # Filed by the institution that trained the person, or by the person with another institution's certificate.
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    training_class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_classes.id"))
    external_certificate: Mapped[str | None] = mapped_column(sa.String(100))
    external_hours: Mapped[int | None]
    # The end of the training the hours come from (make-up counting restarts after retraining).
    trained_until: Mapped[dt.date | None]
    # Practical retest (Art. 32): since when the holder was away from the post.
    off_post_since: Mapped[dt.date | None]
    health_declared: Mapped[bool]
    filed_on: Mapped[dt.date]
    exam_deadline: Mapped[dt.date]        # the exam must be held by then (60 days, Art. 13)
    status: Mapped[ApplicationStatus] = mapped_column(enum_type(ApplicationStatus, "application_status"), index=True)
    gate: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)  # every failed rule: code, message, params
    rule_set: Mapped[str] = mapped_column(sa.String(30))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    institution: Mapped[Organisation | None] = relationship()


class ExamResult(Base):
    """One sitting's outcome (written when an attempt is scored); the gate counts failures and passes."""

    __tablename__ = "exam_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    operation_item_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_items.code"))
    part: Mapped[ExamPart] = mapped_column(enum_type(ExamPart, "result_part"))
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exam_applications.id"))
    score: Mapped[float] = mapped_column(sa.Float)
    passed: Mapped[bool]
    taken_on: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReapplicationBan(Base):
    """No new application until ``until`` (inclusive): revocation for false information or deception (Art. 30)."""

    __tablename__ = "reapplication_bans"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    until: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
