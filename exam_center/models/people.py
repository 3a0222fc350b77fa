"""Persons (人员): exam candidates and certificate holders, identified by citizen ID number."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exam_center.domain.education import Education

from .base import Base, UTCDateTime, enum_type, utcnow


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (sa.CheckConstraint("sex IN ('M', 'F')", name="sex"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised 18-character GB 11643 number (legacy 15-digit numbers are converted on entry).
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    sex: Mapped[str] = mapped_column(sa.String(1))
    birth_date: Mapped[dt.date]
    education: Mapped[Education] = mapped_column(enum_type(Education, "education"))
    phone: Mapped[str] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(120))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    employer: Mapped[str | None] = mapped_column(sa.String(100))
    # Registered photo in the evidence store (relative path) and its digest, for 1:1 face checks.
    photo_path: Mapped[str | None] = mapped_column(sa.String(255))
    photo_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
