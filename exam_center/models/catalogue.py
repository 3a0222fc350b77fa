"""The special-operations catalogue (特种作业目录) as loaded from exam_center/domain/data/catalogue.json."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_center.domain.education import Education

from .base import Base, enum_type


class OperationCategory(Base):
    """作业类别."""

    __tablename__ = "operation_categories"

    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(120))

    items: Mapped[list["OperationItem"]] = relationship(back_populates="category", order_by="OperationItem.code")


class OperationItem(Base):
    """操作项目 (准操项目): what a certificate permits."""

    __tablename__ = "operation_items"

    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    category_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_categories.code"), index=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    min_education: Mapped[Education] = mapped_column(enum_type(Education, "min_education"))
    theory_hours: Mapped[int | None]
    practical_hours: Mapped[int | None]
    total_hours: Mapped[int | None]
    review_hours: Mapped[int]
    effective_from: Mapped[dt.date]
    effective_to: Mapped[dt.date | None]
    note: Mapped[str | None] = mapped_column(sa.String(300))

    category: Mapped[OperationCategory] = relationship(back_populates="items")

    @property
    def code_key(self) -> tuple[int, ...]:
        """Sorts "5.2" before "5.10"."""
        return tuple(int(part) for part in self.code.split("."))
    subjects: Mapped[list["PracticalSubject"]] = relationship(order_by="PracticalSubject.code")


class PracticalSubject(Base):
    """A practical-exam subject K1–K4 of an item and its weight in the total (default 20/40/20/20)."""

    __tablename__ = "practical_subjects"
    __table_args__ = (sa.CheckConstraint("weight >= 0 AND weight <= 100", name="weight_range"),)

    item_code: Mapped[str] = mapped_column(sa.ForeignKey("operation_items.code"), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    weight: Mapped[int]
