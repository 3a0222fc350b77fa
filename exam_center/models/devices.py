"""Devices that call the centre's API (exam terminals, hall agents, kiosks, practical agents) and their tokens."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_type, utcnow
from .organisations import Organisation


class DeviceKind(enum.Enum):
    EXAM_TERMINAL = "exam_terminal"        # 考试终端
    HALL_AGENT = "hall_agent"              # 考场入口代理 (ID reader + camera)
    KIOSK = "kiosk"                        # 自助发证终端
    PRACTICAL_AGENT = "practical_agent"    # 实操考场代理 (simulators)


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DeviceKind] = mapped_column(enum_type(DeviceKind, "device_kind"))
    name: Mapped[str] = mapped_column(sa.String(60))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    location: Mapped[str] = mapped_column(sa.String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    tokens: Mapped[list["DeviceToken"]] = relationship(back_populates="device", order_by="DeviceToken.id")


class DeviceToken(Base):
    """An API token; only its SHA-256 is stored, the secret is shown once when issued."""

    __tablename__ = "device_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters, so staff can tell tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship(back_populates="tokens")

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
