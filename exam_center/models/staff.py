"""Staff users (工作人员) and their roles. Each user belongs to one organisation."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_type, utcnow
from .organisations import Organisation, OrganisationKind


class Role(enum.Enum):
    SYSTEM_ADMIN = "system_admin"              # 系统管理员
    INSTITUTION_STAFF = "institution_staff"    # 培训机构工作人员
    EXAM_ADMIN = "exam_admin"                  # 考务管理员
    PROCTOR = "proctor"                        # 监考员
    EXAMINER = "examiner"                      # 考评员
    CERT_OFFICER = "cert_officer"              # 发证审核人员
    REGULATOR = "regulator"                    # 监管人员
    BANK_ADMIN = "bank_admin"                  # 题库管理员 (exam side only: 培考分离)


# 培考分离: who may belong to which kind of organisation.
ROLE_ORGANISATION_KINDS: dict[Role, frozenset[OrganisationKind]] = {
    Role.SYSTEM_ADMIN: frozenset({OrganisationKind.EXAM_CENTRE, OrganisationKind.CERTIFICATION_AUTHORITY}),
    Role.INSTITUTION_STAFF: frozenset({OrganisationKind.TRAINING_INSTITUTION}),
    Role.EXAM_ADMIN: frozenset({OrganisationKind.EXAM_CENTRE}),
    Role.PROCTOR: frozenset({OrganisationKind.EXAM_CENTRE}),
    Role.EXAMINER: frozenset({OrganisationKind.EXAM_CENTRE}),
    Role.CERT_OFFICER: frozenset({OrganisationKind.CERTIFICATION_AUTHORITY}),
    Role.REGULATOR: frozenset({OrganisationKind.CERTIFICATION_AUTHORITY}),
    Role.BANK_ADMIN: frozenset({OrganisationKind.EXAM_CENTRE, OrganisationKind.CERTIFICATION_AUTHORITY}),
}


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(50))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
