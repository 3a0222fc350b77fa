"""Exam rooms of an exam centre: theory halls with seats (座位), practical halls with stations (工位)."""
from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_type
from .organisations import Organisation


class RoomKind(enum.Enum):
    THEORY = "theory"          # 理论考场
    PRACTICAL = "practical"    # 实操考场


class ExamRoom(Base):
    __tablename__ = "exam_rooms"
    __table_args__ = (sa.UniqueConstraint("centre_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[RoomKind] = mapped_column(enum_type(RoomKind, "room_kind"))
    active: Mapped[bool] = mapped_column(default=True)

    centre: Mapped[Organisation] = relationship(back_populates="rooms")
    seats: Mapped[list["Seat"]] = relationship(back_populates="room", order_by="Seat.label")
    stations: Mapped[list["Station"]] = relationship(back_populates="room", order_by="Station.label")


class Seat(Base):
    """A candidate's place in a theory hall, with its exam terminal."""

    __tablename__ = "seats"
    __table_args__ = (sa.UniqueConstraint("room_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_rooms.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(10))
    # The exam terminal at this seat (a registered device of kind exam_terminal).
    terminal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)

    room: Mapped[ExamRoom] = relationship(back_populates="seats")


class Station(Base):
    """A practical-exam station (simulator) in a practical hall; serves one operation item or any."""

    __tablename__ = "stations"
    __table_args__ = (sa.UniqueConstraint("room_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_rooms.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(10))
    operation_item_code: Mapped[str | None] = mapped_column(sa.ForeignKey("operation_items.code"))
    # The simulator's address on the practical agent's serial bus (e.g. "1" … "247").
    simulator_address: Mapped[str | None] = mapped_column(sa.String(20))
    active: Mapped[bool] = mapped_column(default=True)

    room: Mapped[ExamRoom] = relationship(back_populates="stations")
