"""Face enrolment (人脸注册): the quality gate for registered photos and the templates behind 1:1 checks.

A registered photo is accepted only with exactly one whole, large, sharp, lit, frontal face; its template
is stored server-side. Templates never enter the audit trail or a log — only the photo's digest does.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from devices.face import (
    DlibFaceEngine,
    FaceEngine,
    FaceEngineUnavailable,
    Problem,
    QualityRules,
    decode_rgb,
    fit_within,
    template_from_bytes,
    template_to_bytes,
)
from exam_center.config import FaceSettings
from exam_center.domain.errors import N_, DomainError, ValidationError
from exam_center.evidence import EvidenceStore
from exam_center.models import FaceTemplate, Person

from .audit import Actor, record
from .people import check_photo, get_person, set_person_photo

ENGINE_NAME = "dlib-resnet-v1"
# Registered photos larger than this are shrunk before analysis: enough for a template, and bounded time.
MAX_ANALYSIS_SIDE = 1600

PROBLEM_MESSAGES = {
    Problem.NO_FACE: N_("No face was found in the photo."),
    Problem.SEVERAL_FACES: N_("The photo shows more than one face; it must show the candidate alone."),
    Problem.CUT_OFF: N_("The face is cut off by the edge of the photo; the whole face must be visible."),
    Problem.TOO_SMALL: N_("The face is too small (at least %(min_width)s pixels wide)."),
    Problem.BLURRED: N_("The photo is blurred."),
    Problem.TOO_DARK: N_("The photo is too dark."),
    Problem.TOO_BRIGHT: N_("The photo is overexposed."),
    Problem.NOT_FRONTAL: N_("The face is not turned towards the camera."),
}


class EngineUnavailable(DomainError):
    """The face engine cannot run here (dlib or a model file missing): face features are off, the rest works."""

    http_status = 503


def load_engine(model_dir: Path | None = None) -> FaceEngine:
    try:
        return DlibFaceEngine(model_dir)
    except FaceEngineUnavailable as error:
        # The technical cause goes to the operator's log; people see that face checks are unavailable.
        raise EngineUnavailable("face.engine_unavailable", N_("Face recognition is not available on this server: "
                                                              "%(cause)s"), cause=str(error)) from error


def quality_rules(settings: FaceSettings) -> QualityRules:
    return QualityRules(min_face_width=settings.min_face_width, min_sharpness=settings.min_sharpness,
                        min_brightness=settings.min_brightness, max_brightness=settings.max_brightness,
                        max_yaw=settings.max_yaw)


def problem_error(problem: Problem, rules: QualityRules, field: str = "photo") -> ValidationError:
    params = {"min_width": rules.min_face_width} if problem is Problem.TOO_SMALL else {}
    return ValidationError(f"photo.face.{problem.value}", PROBLEM_MESSAGES[problem], field=field, **params)


@dataclass(frozen=True)
class Enrolment:
    template: np.ndarray
    face_width: int
    sharpness: float
    brightness: float


def analyse_photo(engine: FaceEngine, rules: QualityRules, data: bytes) -> Enrolment:
    """The template of a photo that passes the gate; a ValidationError naming the first problem otherwise."""
    check_photo(data)  # size and format first: decode_rgb below then cannot fail
    rgb = fit_within(decode_rgb(data), MAX_ANALYSIS_SIDE)
    analysis = engine.analyse(rgb, rules)
    if analysis.problems:
        raise problem_error(analysis.problems[0], rules)
    quality = analysis.quality
    return Enrolment(analysis.encoding, quality.face_width, quality.sharpness, quality.brightness)


def enrol_photo(session: Session, actor: Actor, store: EvidenceStore, engine: FaceEngine, rules: QualityRules,
                person_id: int, data: bytes) -> Person:
    """Check the photo, store it as the registered photo and keep its template (both audited, the template not)."""
    get_person(session, person_id)  # NotFound before the (slow) analysis
    enrolment = analyse_photo(engine, rules, data)
    person = set_person_photo(session, actor, store, person_id, data)
    _store_template(session, actor, person, enrolment)
    return person


def _store_template(session: Session, actor: Actor, person: Person, enrolment: Enrolment) -> FaceTemplate:
    row = session.scalar(sa.select(FaceTemplate).where(FaceTemplate.person_id == person.id))
    if row is None:
        row = FaceTemplate(person_id=person.id)
        session.add(row)
    row.template = template_to_bytes(enrolment.template)
    row.photo_sha256 = person.photo_sha256
    row.engine = ENGINE_NAME
    row.face_width, row.sharpness, row.brightness = enrolment.face_width, enrolment.sharpness, enrolment.brightness
    session.flush()
    record(session, actor, "face.template_set", "person", person.id,
           after={"photo_sha256": person.photo_sha256, "engine": ENGINE_NAME, "face_width": enrolment.face_width,
                  "sharpness": round(enrolment.sharpness, 1), "brightness": round(enrolment.brightness, 1)})
    return row


def current_template(session: Session, actor: Actor, store: EvidenceStore, engine: FaceEngine, rules: QualityRules,
                     person: Person) -> np.ndarray | None:
    """The template of the person's current photo, built now if the photo came in another way (training
    records, demo data) or changed since; None when there is no photo. A photo that fails the gate raises."""
    if not person.photo_path:
        return None
    row = session.scalar(sa.select(FaceTemplate).where(FaceTemplate.person_id == person.id))
    if row is not None and row.photo_sha256 == person.photo_sha256 and row.engine == ENGINE_NAME:
        return template_from_bytes(row.template)
    enrolment = analyse_photo(engine, rules, store.read(person.photo_path))
    return template_from_bytes(_store_template(session, actor, person, enrolment).template)
