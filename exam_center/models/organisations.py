"""Organisations: training institutions (培训机构), exam centres (考点), certification authorities (发证机关)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .rooms import ExamRoom


class OrganisationKind(enum.Enum):
    TRAINING_INSTITUTION = "training_institution"
    EXAM_CENTRE = "exam_centre"
    CERTIFICATION_AUTHORITY = "certification_authority"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind, "organisation_kind"))
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    region_code: Mapped[str] = mapped_column(sa.String(6))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rooms: Mapped[list["ExamRoom"]] = relationship(back_populates="centre", order_by="ExamRoom.name")

