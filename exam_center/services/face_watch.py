"""In-exam face monitoring (考中人脸巡检): judge each webcam snapshot, raise alerts for the proctor's console.

The terminal sends a small snapshot every few seconds; recognition runs here, never in the page. A snapshot
is judged against the candidate's registered-photo template with the same thresholds as check-in:

* no face → an alert once nobody has been in front of the terminal for ``no_face_seconds``;
* several faces → an alert at once (somebody is at the candidate's side);
* one face farther than the review threshold → an alert once ``confirm_frames`` snapshots in a row agree
  (one odd frame — a hand, a turned head — is not enough to accuse anybody);
* a face between the thresholds is *uncertain*: recorded, never an alert by itself, never an accept either.

An alert is raised once per episode (a run of like snapshots) and goes on the attempt's history and into
the audit trail with its evidence: the snapshot (kept only for abnormal snapshots), faces, distance.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from devices.face import FaceEngine, ImageUnreadable, QualityRules, decode_rgb, fit_within
from exam_center.config import FaceSettings
from exam_center.domain.errors import N_, Conflict, DomainError, ValidationError
from exam_center.evidence import EvidenceStore
from exam_center.models import (AttemptStatus, ExamApplication, FaceWatchCheck, Person, SessionCandidate,
                                WatchOutcome, utcnow)
from exam_center.models.face_watch import KEEP_SNAPSHOT

from . import attempts
from .audit import Actor
from .faces import current_template

W = WatchOutcome
WATCHER = Actor.system("face-watch")
MAX_SNAPSHOT_BYTES = 512 * 1024
MAX_SIDE = 960
HISTORY = 30   # the snapshots looked at to find the current episode


@dataclass(frozen=True)
class WatchRules:
    accept_threshold: float
    review_threshold: float
    no_face_seconds: float = 30.0
    confirm_frames: int = 2

    @classmethod
    def of(cls, settings: FaceSettings) -> "WatchRules":
        return cls(settings.accept_threshold, settings.review_threshold, settings.watch_no_face_seconds,
                   settings.watch_confirm_frames)


def judge(engine: FaceEngine, rgb: np.ndarray, template: np.ndarray | None,
          rules: WatchRules) -> tuple[int, float | None, WatchOutcome]:
    """(faces, distance, outcome) of one snapshot."""
    faces = engine.detect(rgb)
    if not faces:
        return 0, None, W.NO_FACE
    if len(faces) > 1:
        return len(faces), None, W.SEVERAL_FACES
    if template is None:
        return 1, None, W.NO_TEMPLATE
    distance = engine.compare(template, engine.encode(rgb, faces[0]))
    if distance <= rules.accept_threshold:
        return 1, distance, W.OK
    if distance <= rules.review_threshold:
        return 1, distance, W.UNCERTAIN
    return 1, distance, W.DIFFERENT_PERSON


def record_snapshot(session: Session, store: EvidenceStore, engine: FaceEngine, quality: QualityRules,
                    rules: WatchRules, attempt_id: int, data: bytes, *,
                    taken_at: dt.datetime | None = None) -> FaceWatchCheck:
    """Judge one snapshot of the attempt's terminal, store the result, raise an alert if one is due."""
    taken_at = taken_at or utcnow()
    attempt = attempts.get_attempt(session, attempt_id)
    if attempt.status not in (AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED):
        raise Conflict("face_watch.not_in_exam", N_("Snapshots are taken only during the exam."))
    if not data or len(data) > MAX_SNAPSHOT_BYTES:
        raise ValidationError("face_watch.size", N_("A snapshot must be a JPEG image of at most %(kb)s KB."),
                              field="snapshot", kb=MAX_SNAPSHOT_BYTES // 1024)
    try:
        rgb = fit_within(decode_rgb(data), MAX_SIDE)
    except ImageUnreadable as error:
        raise ValidationError("face_watch.unreadable", N_("The snapshot is not a readable image."),
                              field="snapshot") from error
    faces, distance, outcome = judge(engine, rgb, _template(session, store, engine, quality, attempt), rules)
    check = FaceWatchCheck(attempt_id=attempt.id, taken_at=taken_at, faces=faces, distance=distance,
                           outcome=outcome)
    if outcome in KEEP_SNAPSHOT:
        check.snapshot_path, check.snapshot_sha256 = store.put(data, kind="face-watch", suffix=".jpg")
    session.add(check)
    session.flush()
    kind = _alert_due(session, check, rules)
    if kind is not None:
        check.alert = kind
        attempts.note(session, WATCHER, attempt, "face_alert", outcome.label_zh,
                      {"kind": kind, "check_id": check.id, "faces": faces,
                       "distance": round(distance, 3) if distance is not None else None,
                       "snapshot_sha256": check.snapshot_sha256}, now=taken_at)
    return check


def _template(session: Session, store: EvidenceStore, engine: FaceEngine, quality: QualityRules,
              attempt) -> np.ndarray | None:
    person = session.scalar(sa.select(Person).join(ExamApplication, ExamApplication.person_id == Person.id)
                            .join(SessionCandidate, SessionCandidate.application_id == ExamApplication.id)
                            .where(SessionCandidate.id == attempt.candidate_id))
    try:
        return current_template(session, WATCHER, store, engine, quality, person)
    except DomainError:
        return None  # a registered photo that fails the gate cannot be compared with: no template


def _alert_due(session: Session, check: FaceWatchCheck, rules: WatchRules) -> str | None:
    """The alert this snapshot raises: the first one of its episode that meets the outcome's rule."""
    if check.outcome not in KEEP_SNAPSHOT:
        return None
    recent = session.scalars(sa.select(FaceWatchCheck).where(FaceWatchCheck.attempt_id == check.attempt_id)
                             .order_by(FaceWatchCheck.taken_at.desc(), FaceWatchCheck.id.desc()).limit(HISTORY)).all()
    episode = []
    for earlier in recent:
        if earlier.outcome is not check.outcome:
            break
        episode.append(earlier)
    if any(earlier.alert for earlier in episode):
        return None
    if check.outcome is W.NO_FACE:
        lasted = (check.taken_at - episode[-1].taken_at).total_seconds()
        return check.outcome.value if lasted >= rules.no_face_seconds else None
    if check.outcome is W.DIFFERENT_PERSON and len(episode) < rules.confirm_frames:
        return None
    return check.outcome.value


def alerts_of_session(session: Session, attempt_ids: list[int]) -> list[FaceWatchCheck]:
    """The snapshots that raised alerts, newest first (for the hall console)."""
    if not attempt_ids:
        return []
    return list(session.scalars(sa.select(FaceWatchCheck).where(FaceWatchCheck.attempt_id.in_(attempt_ids),
                                                                FaceWatchCheck.alert.is_not(None))
                                .order_by(FaceWatchCheck.taken_at.desc())))


__all__ = ["WatchRules", "alerts_of_session", "judge", "record_snapshot"]
