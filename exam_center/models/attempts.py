"""Theory-exam attempts (考试作答): an explicit state machine, answers saved with sequence numbers, history.

The server owns the clock: while an attempt is in progress its ``deadline_at`` is the truth; while paused
the clock stops and ``remaining_seconds`` holds what is left.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_type, utcnow


class AttemptStatus(enum.Enum):
    SCHEDULED = "scheduled"        # 待签到
    CHECKED_IN = "checked_in"      # 已签到
    IN_PROGRESS = "in_progress"    # 答题中
    PAUSED = "paused"              # 暂停
    SUBMITTED = "submitted"        # 已交卷
    TIMED_OUT = "timed_out"        # 到时自动交卷
    TERMINATED = "terminated"      # 终止（违纪）
    ABSENT = "absent"              # 缺考

    @property
    def label_zh(self) -> str:
        """For messages whose parameters are not translated (the UI is Chinese first)."""
        return {"scheduled": "待签到", "checked_in": "已签到", "in_progress": "答题中", "paused": "暂停",
                "submitted": "已交卷", "timed_out": "到时交卷", "terminated": "已终止", "absent": "缺考"}[self.value]


FINISHED = frozenset({AttemptStatus.SUBMITTED, AttemptStatus.TIMED_OUT, AttemptStatus.TERMINATED,
                      AttemptStatus.ABSENT})


class Attempt(Base):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("session_candidates.id"), unique=True)
    paper_id: Mapped[int] = mapped_column(sa.ForeignKey("papers.id"))
    status: Mapped[AttemptStatus] = mapped_column(enum_type(AttemptStatus, "attempt_status"), index=True)
    seat_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seats.id"))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    remaining_seconds: Mapped[float | None] = mapped_column(sa.Float)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The one terminal sitting that may act for this attempt (a random token also kept in that browser's
    # session): a new sign-in replaces it, a move to another seat clears it, so the old terminal is shut out.
    sitting_token: Mapped[str | None] = mapped_column(sa.String(64))
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(sa.Float)
    passed: Mapped[bool | None]
    score_cancelled: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    answers: Mapped[list["AttemptAnswer"]] = relationship(order_by="AttemptAnswer.position")


class AttemptAnswer(Base):
    """The latest saved answer to one question; ``seq`` is the attempt-level sequence number of that save."""

    __tablename__ = "attempt_answers"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id"), index=True)
    position: Mapped[int]
    chosen: Mapped[list[int]] = mapped_column(sa.JSON)     # indices of the options as shown
    marked: Mapped[bool] = mapped_column(default=False)    # flagged for review by the candidate
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttemptEvent(Base):
    """The attempt's history: every transition and proctor action, with who, why and what changed."""

    __tablename__ = "attempt_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(40))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str | None] = mapped_column(sa.String(20))
    actor_label: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
