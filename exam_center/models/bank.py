"""The unified question bank (统一题库) as stored: items, their versions, blueprints, frozen papers,
and scored responses (the input of item statistics)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from question_bank.items import CognitiveLevel, ItemStatus, ItemType, Scope, Use

from .base import Base, UTCDateTime, enum_type, utcnow


class BankItem(Base):
    """An item across its versions; partition (scope, use, province) and usage belong to the item."""

    __tablename__ = "bank_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_item_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_items.code"), index=True)
    scope: Mapped[Scope] = mapped_column(enum_type(Scope, "bank_scope"))
    province_code: Mapped[str | None] = mapped_column(sa.String(2))
    use: Mapped[Use] = mapped_column(enum_type(Use, "bank_use"), index=True)
    # How many frozen papers used this item: assembly prefers the least exposed.
    exposure_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list["ItemVersion"]] = relationship(back_populates="item", order_by="ItemVersion.number")


class ItemVersion(Base):
    """One version's content and review state. Active versions are never edited: an edit is a new version."""

    __tablename__ = "item_versions"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "number"),
        sa.CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_items.id"), index=True)
    number: Mapped[int]
    status: Mapped[ItemStatus] = mapped_column(enum_type(ItemStatus, "item_status"), index=True)
    type: Mapped[ItemType] = mapped_column(enum_type(ItemType, "item_type"))
    stem: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list[str]] = mapped_column(sa.JSON)
    answer: Mapped[list[int]] = mapped_column(sa.JSON)
    explanation: Mapped[str] = mapped_column(sa.Text)
    knowledge_point: Mapped[str] = mapped_column(sa.String(40))
    cognitive_level: Mapped[CognitiveLevel] = mapped_column(enum_type(CognitiveLevel, "cognitive_level"))
    difficulty: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    content_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(sa.String(500))

    item: Mapped[BankItem] = relationship(back_populates="versions")


class Blueprint(Base):
    """组卷规则 for one operation item; ``definition`` is question_bank.blueprint's JSON form."""

    __tablename__ = "blueprints"
    __table_args__ = (sa.UniqueConstraint("operation_item_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_item_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_items.code"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Paper(Base):
    """A frozen paper: every question as drawn (text, options as shown, key). Attempts refer to it."""

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(primary_key=True)
    blueprint_id: Mapped[int] = mapped_column(sa.ForeignKey("blueprints.id"), index=True)
    operation_item_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_items.code"))
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    question_count: Mapped[int]
    total_points: Mapped[float] = mapped_column(sa.Float)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # What the terminal shows, stored ready-encoded when the paper is drawn: a whole hall starts at once, and
    # decoding each snapshot (with its keys) only to re-encode its questions dominated the start.
    questions_shown: Mapped[str | None] = mapped_column(sa.Text)  # JSON: question_bank.assembly.Paper.shown()
    duration_seconds: Mapped[float | None] = mapped_column(sa.Float)
    # Each question's type and number of options (JSON: Paper.shapes()): every save is checked against it, and
    # a small column keeps the check from decoding the whole snapshot in each server process.
    question_shapes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScoredResponse(Base):
    """One scored answer to one question of a paper (written when an attempt is scored)."""

    __tablename__ = "scored_responses"
    __table_args__ = (sa.UniqueConstraint("paper_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(sa.ForeignKey("papers.id"), index=True)
    position: Mapped[int]
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_items.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(sa.ForeignKey("item_versions.id"))
    # Original option indices chosen (as authored, not as shown), for distractor analysis.
    chosen: Mapped[list[int]] = mapped_column(sa.JSON)
    correct: Mapped[bool]
    points: Mapped[float] = mapped_column(sa.Float)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
