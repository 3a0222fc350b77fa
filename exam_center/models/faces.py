"""Face templates (人脸特征) of registered photos, and face-check decisions at check-in (人证核验记录).

Templates are personal biometric data: stored only here, never logged, never sent to a browser.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, enum_type, utcnow


class FaceTemplate(Base):
    """The template of a person's current registered photo; replaced when the photo is."""

    __tablename__ = "face_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), unique=True)
    # 128 little-endian float64 values (devices.face.template_to_bytes).
    template: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # Which photo it came from: a template whose photo changed since is stale and rebuilt.
    photo_sha256: Mapped[str] = mapped_column(sa.String(64))
    engine: Mapped[str] = mapped_column(sa.String(40))
    face_width: Mapped[int]
    sharpness: Mapped[float]
    brightness: Mapped[float]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FaceOutcome(enum.Enum):
    ACCEPT = "accept"      # 通过
    REVIEW = "review"      # 人工复核
    REJECT = "reject"      # 不通过


class ReviewResolution(enum.Enum):
    CONFIRMED = "confirmed"   # the proctor confirms the identity
    REFUSED = "refused"       # the proctor refuses (with a reason)


class FaceCheck(Base):
    """One face decision for a session candidate: the evidence (distances, thresholds, frames, snapshot) and,
    for a review, the proctor's resolution."""

    __tablename__ = "face_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("session_candidates.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))        # checkin
    method: Mapped[str] = mapped_column(sa.String(20))         # verify (1:1 with the ID card) or identify (1:N)
    outcome: Mapped[FaceOutcome] = mapped_column(enum_type(FaceOutcome, "face_outcome"))
    reason: Mapped[str] = mapped_column(sa.String(40))
    distance: Mapped[float | None]
    accept_threshold: Mapped[float]
    review_threshold: Mapped[float]
    frames_sent: Mapped[int]
    frames_used: Mapped[int]
    # Per usable frame distance, and the quality problems of the frames that were not used.
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    snapshot_path: Mapped[str | None] = mapped_column(sa.String(255))
    snapshot_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolution: Mapped[ReviewResolution | None] = mapped_column(enum_type(ReviewResolution, "review_resolution"))
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    resolution_reason: Mapped[str | None] = mapped_column(sa.String(200))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
