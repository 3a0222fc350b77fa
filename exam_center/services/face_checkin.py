"""Check-in by face at the exam-room entrance (人证合一): the ID card names the candidate, the camera frames
decide accept / review / reject against the registered photo's template, and a proctor settles reviews.

Every decision keeps its evidence — distances per frame, thresholds, frames used, a JPEG snapshot — and is
audited. Accept checks the candidate in; reject lets them retry a configured number of times; anything
uncertain goes to a person, never a silent accept.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from devices.face import FaceEngine, ImageUnreadable, Outcome, Thresholds, decode_rgb, encode_jpeg, fit_within, vote
from devices.face.liveness import Challenge
from devices.face.liveness import judge as judge_liveness
from exam_center.config import FaceSettings
from exam_center.domain.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from exam_center.domain.idcard import parse_id_number
from exam_center.evidence import EvidenceStore
from exam_center.models import (
    Attempt,
    AttemptStatus,
    Device,
    ExamApplication,
    FaceCheck,
    FaceOutcome,
    Person,
    ReviewResolution,
    SessionCandidate,
    SessionStaff,
    utcnow,
)

from . import attempts
from .audit import Actor, record
from .faces import current_template, quality_rules
from .lookup import fetch

MAX_FRAME_BYTES = 512 * 1024
FRAME_SIDE = 1280   # larger frames are shrunk: a camera at the entrance needs no more


@dataclass(frozen=True)
class RosterEntry:
    candidate: SessionCandidate
    person: Person
    attempt: Attempt


def _candidate_not_found() -> NotFound:
    return NotFound("checkin.candidate_not_found", N_("No such candidate."), field="candidate_id")


def _entry(session: Session, candidate: SessionCandidate) -> RosterEntry:
    person = session.scalar(sa.select(Person).join(ExamApplication, ExamApplication.person_id == Person.id)
                            .where(ExamApplication.id == candidate.application_id))
    return RosterEntry(candidate, person, attempts.attempt_of_candidate(session, candidate.id))


def _check_device(device: Device | None, candidate: SessionCandidate) -> None:
    if device is not None and device.organisation_id != candidate.session.centre_id:
        raise Forbidden("checkin.other_centre", N_("This device belongs to another exam centre."))


def _must_be_waiting(entry: RosterEntry) -> None:
    if entry.attempt.status is not AttemptStatus.SCHEDULED:
        raise Conflict("checkin.already", N_("%(name)s has already checked in or can no longer check in."),
                       name=entry.person.name)


def find_by_card(session: Session, device: Device | None, session_id: int, id_number: str) -> RosterEntry:
    """The roster entry of the card holder in this session; refuses a holder scheduled elsewhere or nowhere,
    and one who has already checked in."""
    number = parse_id_number(id_number).number
    rows = session.execute(
        sa.select(SessionCandidate).join(ExamApplication, ExamApplication.id == SessionCandidate.application_id)
        .join(Person, Person.id == ExamApplication.person_id).where(Person.id_number == number)).scalars().all()
    here = [c for c in rows if c.session_id == session_id]
    if not here:
        if rows:
            raise Conflict("checkin.wrong_session", N_("The card holder is scheduled for another session, "
                                                       "not this one."))
        raise NotFound("checkin.not_scheduled", N_("The card holder is not scheduled for this session."))
    _check_device(device, here[0])
    entry = _entry(session, here[0])
    _must_be_waiting(entry)
    return entry


def _decode_frames(frames: list[bytes], settings: FaceSettings) -> list:
    if not settings.min_frames <= len(frames) <= 2 * settings.check_frames:
        raise ValidationError("checkin.frame_count", N_("Send between %(min)s and %(max)s camera frames."),
                              field="frames", min=settings.min_frames, max=2 * settings.check_frames)
    images = []
    for data in frames:
        if len(data) > MAX_FRAME_BYTES:
            raise ValidationError("checkin.frame_too_large", N_("A camera frame is larger than %(kb)s KB."),
                                  field="frames", kb=MAX_FRAME_BYTES // 1024)
        try:
            images.append(fit_within(decode_rgb(data), FRAME_SIDE))
        except ImageUnreadable:
            raise ValidationError("checkin.frame_format", N_("A camera frame is not a readable JPEG or PNG image."),
                                  field="frames") from None
    return images


def _pending_or_exhausted(session: Session, candidate_id: int, settings: FaceSettings) -> None:
    checks = session.scalars(sa.select(FaceCheck).where(FaceCheck.candidate_id == candidate_id)).all()
    if any(c.outcome is FaceOutcome.REVIEW and c.resolution is None for c in checks):
        raise Conflict("checkin.review_pending", N_("A proctor is reviewing this candidate's face check."))
    if sum(c.outcome is FaceOutcome.REJECT for c in checks) >= settings.checkin_retries:
        raise Conflict("checkin.retries_exhausted", N_("No face-check attempts left: a proctor must decide."))


def retries_left(session: Session, candidate_id: int, settings: FaceSettings) -> int:
    rejects = session.scalar(sa.select(sa.func.count()).select_from(FaceCheck).where(
        FaceCheck.candidate_id == candidate_id, FaceCheck.outcome == FaceOutcome.REJECT))
    return max(settings.checkin_retries - rejects, 0)


def decide(session: Session, actor: Actor, store: EvidenceStore, engine: FaceEngine, settings: FaceSettings,
           candidate_id: int, frames: list[bytes], *, device: Device | None = None,
           challenge: Challenge | None = None) -> FaceCheck:
    """1:1 against the registered photo over several frames; accept checks the candidate in. With a liveness
    ``challenge`` the frames must also show it followed, or an accept becomes a proctor's review."""
    candidate = fetch(session, SessionCandidate, candidate_id, _candidate_not_found())
    _check_device(device, candidate)
    entry = _entry(session, candidate)
    _must_be_waiting(entry)
    _pending_or_exhausted(session, candidate.id, settings)
    images = _decode_frames(frames, settings)
    thresholds = Thresholds(settings.accept_threshold, settings.review_threshold)
    rules = quality_rules(settings)

    analyses = [engine.analyse(rgb, rules) for rgb in images]
    details: dict = {"frame_problems": [[p.value for p in a.problems] for a in analyses]}
    try:
        template = current_template(session, actor, store, engine, rules, entry.person)
    except ValidationError as error:
        template, details["registered_photo"] = None, error.code
    if template is None:
        # Nothing to compare with: a proctor compares the person with the ID card.
        outcome, reason, distance, used = Outcome.REVIEW, details.get("registered_photo", "no_registered_photo"), None, 0
        details["distances"] = []
        best = 0
    else:
        distances = [(engine.compare(template, a.encoding), n) for n, a in enumerate(analyses) if a.usable]
        verdict = vote([d for d, _ in distances], thresholds, min_frames=settings.min_frames)
        outcome, reason, distance, used = verdict.outcome, verdict.reason, verdict.distance, verdict.frames_used
        details["distances"] = [round(d, 4) for d, _ in distances]
        best = min(distances)[1] if distances else 0

    if challenge is not None:
        liveness = judge_liveness(challenge, [a.landmarks if len(a.faces) == 1 else None for a in analyses])
        details["liveness"] = liveness.as_dict()
        if not liveness.passed and outcome is Outcome.ACCEPT:
            outcome, reason = Outcome.REVIEW, "liveness_failed"   # never a silent accept
    snapshot_path, snapshot_sha = store.put(encode_jpeg(images[best]), kind="snapshots", suffix=".jpg")
    check = FaceCheck(candidate_id=candidate.id, purpose="checkin", method="verify", outcome=FaceOutcome(outcome.value),
                      reason=reason, distance=None if distance is None else round(distance, 4),
                      accept_threshold=thresholds.accept, review_threshold=thresholds.review,
                      frames_sent=len(images), frames_used=used, details=details, snapshot_path=snapshot_path,
                      snapshot_sha256=snapshot_sha, device_id=device.id if device else None)
    session.add(check)
    session.flush()
    record(session, actor, "face.checkin", "session_candidate", candidate.id, after=_evidence(check))
    if check.outcome is FaceOutcome.ACCEPT:
        attempts.check_in(session, actor, candidate.id)
    return check


def _evidence(check: FaceCheck) -> dict:
    return {"check_id": check.id, "outcome": check.outcome, "reason": check.reason, "distance": check.distance,
            "accept_threshold": check.accept_threshold, "review_threshold": check.review_threshold,
            "frames_sent": check.frames_sent, "frames_used": check.frames_used,
            "snapshot_sha256": check.snapshot_sha256, "resolution": check.resolution,
            "resolution_reason": check.resolution_reason}


def resolve(session: Session, actor: Actor, staff_id: int, check_id: int, *, confirm: bool,
            reason: str | None) -> FaceCheck:
    """A proctor of the session settles a review: confirm (the candidate is checked in) or refuse with a reason."""
    check = fetch(session, FaceCheck, check_id, NotFound("checkin.check_not_found", N_("No such face check.")))
    candidate = session.get(SessionCandidate, check.candidate_id)
    if not session.scalar(sa.select(SessionStaff.id).where(SessionStaff.session_id == candidate.session_id,
                                                          SessionStaff.user_id == staff_id)):
        raise Forbidden("checkin.not_assigned", N_("You are not assigned to this session."))
    if check.outcome is not FaceOutcome.REVIEW or check.resolution is not None:
        raise Conflict("checkin.not_pending", N_("This face check is not waiting for a review."))
    reason = (reason or "").strip()[:200] or None
    if not confirm and reason is None:
        raise ValidationError("checkin.reason_required", N_("Give the reason for refusing."), field="reason")
    before = _evidence(check)
    check.resolution = ReviewResolution.CONFIRMED if confirm else ReviewResolution.REFUSED
    check.resolution_reason, check.resolved_by_id, check.resolved_at = reason, staff_id, utcnow()
    session.flush()
    record(session, actor, "face.review", "session_candidate", check.candidate_id, before=before,
           after=_evidence(check))
    if confirm:
        attempts.check_in(session, actor, check.candidate_id)
    return check


@dataclass(frozen=True)
class RosterMatch:
    """1:N within a session's waiting roster: the check stored on the best candidate, or None (no match)."""

    check: FaceCheck | None
    reason: str
    distance: float | None


def identify(session: Session, actor: Actor, store: EvidenceStore, engine: FaceEngine, settings: FaceSettings,
             session_id: int, frames: list[bytes], *, device: Device | None = None) -> RosterMatch:
    """Without an ID card: search only this session's candidates still waiting to check in. The best match
    must beat the second best by the configured margin; otherwise a proctor decides."""
    rows = session.scalars(sa.select(SessionCandidate).where(SessionCandidate.session_id == session_id)).all()
    if not rows:
        raise NotFound("checkin.session_not_found", N_("No candidates are scheduled for this session."))
    _check_device(device, rows[0])
    images = _decode_frames(frames, settings)
    thresholds = Thresholds(settings.accept_threshold, settings.review_threshold)
    rules = quality_rules(settings)
    roster = {}
    for candidate in rows:
        entry = _entry(session, candidate)
        if entry.attempt.status is AttemptStatus.SCHEDULED:
            try:
                template = current_template(session, actor, store, engine, rules, entry.person)
            except ValidationError:
                template = None  # an unusable registered photo cannot be searched; the card path still works
            if template is not None:
                roster[candidate.id] = template
    analyses = [engine.analyse(rgb, rules) for rgb in images]
    encodings = [a.encoding for a in analyses if a.usable]
    snapshot_path, snapshot_sha = store.put(encode_jpeg(images[0]), kind="snapshots", suffix=".jpg")
    if len(encodings) < settings.min_frames:
        result = RosterMatch(None, "too_few_frames", None)
    else:
        found = engine.identify(encodings, roster, thresholds, settings.identify_margin)
        result = RosterMatch(None, found.reason, found.distance)
        if found.key is not None:
            check = FaceCheck(candidate_id=found.key, purpose="checkin", method="identify",
                              outcome=FaceOutcome(found.outcome.value), reason=found.reason,
                              distance=round(found.distance, 4), accept_threshold=thresholds.accept,
                              review_threshold=thresholds.review, frames_sent=len(images),
                              frames_used=len(encodings),
                              details={"second_distance": found.second_distance, "roster_size": len(roster),
                                       "margin": settings.identify_margin},
                              snapshot_path=snapshot_path, snapshot_sha256=snapshot_sha,
                              device_id=device.id if device else None)
            session.add(check)
            session.flush()
            result = RosterMatch(check, found.reason, found.distance)
    record(session, actor, "face.identify", "exam_session", session_id,
           after={"reason": result.reason, "distance": result.distance, "roster_size": len(roster),
                  "frames_sent": len(images), "frames_used": len(encodings), "snapshot_sha256": snapshot_sha,
                  "candidate_id": result.check.candidate_id if result.check else None})
    if result.check is not None and result.check.outcome is FaceOutcome.ACCEPT:
        attempts.check_in(session, actor, result.check.candidate_id)
    return result
