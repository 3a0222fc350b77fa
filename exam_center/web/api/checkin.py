"""Check-in by face (人证核验) for the hall agent: card read → roster entry, camera frames → decision;
and the proctor's resolution of a review."""
from __future__ import annotations

import base64
import binascii

from flask import current_app, g
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from exam_center.domain.errors import N_, ValidationError
from exam_center.models import DeviceKind, FaceCheck, Role
from exam_center.services import face_checkin, face_liveness
from exam_center.web.faces import face_engine, face_settings
from exam_center.web.policy import allow, allow_devices
from exam_center.web.session import current_actor, db_session

bp = Blueprint("api_checkin", __name__, url_prefix="/checkin", description="人证核验 face check-in")
_DEVICE = [{"deviceToken": []}]


class CardSchema(Schema):
    id_number = fields.String(required=True, validate=validate.Length(max=40))


class LivenessSchema(Schema):
    challenge = fields.String(metadata={"description": "blink | turn_left | turn_right"})
    prompt_zh = fields.String()
    prompt_en = fields.String()
    token = fields.String()


class RosterEntrySchema(Schema):
    candidate_id = fields.Integer()
    name = fields.String()
    ticket_number = fields.String()
    seat_id = fields.Integer(allow_none=True)
    has_photo = fields.Boolean()
    retries_left = fields.Integer()
    liveness = fields.Nested(LivenessSchema, allow_none=True,
                             metadata={"description": "the challenge to show, when the centre checks liveness"})


class FramesSchema(Schema):
    frames = fields.List(fields.String(), required=True, metadata={"description": "base64 JPEG/PNG camera frames"})
    challenge_token = fields.String(load_default=None, validate=validate.Length(max=500),
                                    metadata={"description": "the card answer's liveness token, when given"})


class DecisionSchema(Schema):
    check_id = fields.Integer()
    outcome = fields.String(metadata={"description": "accept | review | reject"})
    reason = fields.String()
    distance = fields.Float(allow_none=True)
    accept_threshold = fields.Float()
    review_threshold = fields.Float()
    frames_sent = fields.Integer()
    frames_used = fields.Integer()
    retries_left = fields.Integer()
    resolution = fields.String(allow_none=True)


class ResolutionSchema(Schema):
    confirm = fields.Boolean(required=True)
    reason = fields.String(load_default=None, validate=validate.Length(max=200))


def _decision(check: FaceCheck) -> dict:
    return {"check_id": check.id, "outcome": check.outcome.value, "reason": check.reason, "distance": check.distance,
            "accept_threshold": check.accept_threshold, "review_threshold": check.review_threshold,
            "frames_sent": check.frames_sent, "frames_used": check.frames_used,
            "retries_left": face_checkin.retries_left(db_session(), check.candidate_id, face_settings()),
            "resolution": check.resolution.value if check.resolution else None}


def _frames(encoded: list[str]) -> list[bytes]:
    try:
        return [base64.b64decode(frame, validate=True) for frame in encoded]
    except (binascii.Error, ValueError):
        raise ValidationError("checkin.frame_encoding", N_("Camera frames must be base64 encoded."),
                              field="frames") from None


@bp.route("/sessions/<int:session_id>/card", methods=["POST"])
@allow_devices(DeviceKind.HALL_AGENT)
@bp.arguments(CardSchema)
@bp.response(200, RosterEntrySchema)
@bp.doc(security=_DEVICE)
def card(body: dict, session_id: int):
    """The card holder's entry in this session's roster, or why they cannot check in."""
    session = db_session()
    entry = face_checkin.find_by_card(session, g.device, session_id, body["id_number"])
    result = {"candidate_id": entry.candidate.id, "name": entry.person.name,
              "ticket_number": entry.candidate.ticket_number, "seat_id": entry.candidate.seat_id,
              "has_photo": entry.person.photo_path is not None,
              "retries_left": face_checkin.retries_left(session, entry.candidate.id, face_settings())}
    mode = face_settings().liveness
    result["liveness"] = face_liveness.issue(current_app.secret_key, entry.candidate.id, mode) \
        if mode != "off" else None
    session.commit()  # the attempt row may have been created on first use
    return result


@bp.route("/candidates/<int:candidate_id>/face", methods=["POST"])
@allow_devices(DeviceKind.HALL_AGENT)
@bp.arguments(FramesSchema)
@bp.response(200, DecisionSchema)
@bp.doc(security=_DEVICE)
def face(body: dict, candidate_id: int):
    """Decide over the frames: accept (checked in), review (a proctor decides) or reject (retry)."""
    session = db_session()
    challenge = face_liveness.redeem(current_app.secret_key, body["challenge_token"], candidate_id) \
        if face_settings().liveness != "off" else None
    check = face_checkin.decide(session, current_actor(), current_app.extensions["exam_center.evidence"],
                                face_engine(), face_settings(), candidate_id, _frames(body["frames"]),
                                device=g.device, challenge=challenge)
    result = _decision(check)
    session.commit()
    return result


class MatchSchema(Schema):
    candidate_id = fields.Integer(allow_none=True)
    reason = fields.String()
    distance = fields.Float(allow_none=True)
    decision = fields.Nested(DecisionSchema, allow_none=True)


@bp.route("/sessions/<int:session_id>/identify", methods=["POST"])
@allow_devices(DeviceKind.HALL_AGENT)
@bp.arguments(FramesSchema)
@bp.response(200, MatchSchema)
@bp.doc(security=_DEVICE)
def identify(body: dict, session_id: int):
    """Without an ID card: 1:N among this session's waiting candidates, with a best-vs-second margin."""
    session = db_session()
    match = face_checkin.identify(session, current_actor(), current_app.extensions["exam_center.evidence"],
                                  face_engine(), face_settings(), session_id, _frames(body["frames"]),
                                  device=g.device)
    result = {"candidate_id": match.check.candidate_id if match.check else None, "reason": match.reason,
              "distance": match.distance, "decision": _decision(match.check) if match.check else None}
    session.commit()
    return result


@bp.route("/checks/<int:check_id>/resolution", methods=["POST"])
@allow(Role.PROCTOR)
@bp.arguments(ResolutionSchema)
@bp.response(200, DecisionSchema)
@bp.doc(security=[{"staffSession": []}])
def resolution(body: dict, check_id: int):
    """A proctor of the session confirms the identity (checked in) or refuses it with a reason."""
    session = db_session()
    check = face_checkin.resolve(session, current_actor(), current_user.id, check_id, confirm=body["confirm"],
                                 reason=body["reason"])
    result = _decision(check)
    session.commit()
    return result
