"""In-exam face monitoring (考中人脸巡检): one row per webcam snapshot the terminal sent during an attempt.

Only the numbers are kept for a normal snapshot; the image itself is kept (in the evidence store) only when
the snapshot shows something a proctor must see — no face, several faces, or another person.
"""
from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, enum_type


class WatchOutcome(enum.Enum):
    OK = "ok"                              # the candidate, alone
    UNCERTAIN = "uncertain"                # one face, in the grey zone between the thresholds
    NO_FACE = "no_face"                    # nobody in front of the terminal
    SEVERAL_FACES = "several_faces"        # somebody else is there too
    DIFFERENT_PERSON = "different_person"  # one face, not the registered candidate's
    NO_TEMPLATE = "no_template"            # the candidate has no registered photo to compare with

    @property
    def label_zh(self) -> str:
        return {"ok": "正常", "uncertain": "无法确认", "no_face": "无人脸", "several_faces": "多人",
                "different_person": "非本人", "no_template": "无注册照片"}[self.value]


# The outcomes whose snapshot is kept as evidence.
KEEP_SNAPSHOT = frozenset({WatchOutcome.NO_FACE, WatchOutcome.SEVERAL_FACES, WatchOutcome.DIFFERENT_PERSON})


class FaceWatchCheck(Base):
    __tablename__ = "face_watch_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id"), index=True)
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    faces: Mapped[int]
    distance: Mapped[float | None]
    outcome: Mapped[WatchOutcome] = mapped_column(enum_type(WatchOutcome, "watch_outcome"))
    # The alert this snapshot raised (no_face, several_faces, different_person), if any.
    alert: Mapped[str | None] = mapped_column(sa.String(20))
    snapshot_path: Mapped[str | None] = mapped_column(sa.String(255))
    snapshot_sha256: Mapped[str | None] = mapped_column(sa.String(64))
