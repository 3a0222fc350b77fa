"""The liveness challenge of a check-in (活体检测): chosen by the centre, carried by the agent, checked here.

The challenge is picked at random when the card is read and handed to the agent inside a signed, short-lived
token bound to the candidate, so an agent (or a replayed request) cannot choose its own challenge or reuse
another candidate's.
"""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from devices.face.liveness import Challenge, pick
from exam_center.domain.errors import N_, ValidationError

SALT = "exam-center.checkin-liveness"
MAX_AGE_SECONDS = 300


def issue(secret_key: str, candidate_id: int, mode: str) -> dict:
    """A fresh challenge for the agent: what to show the candidate, and the token to send back."""
    challenge = pick(mode)
    token = URLSafeTimedSerializer(secret_key, salt=SALT).dumps({"candidate": candidate_id, "challenge": challenge.value})
    return {"challenge": challenge.value, "prompt_zh": challenge.prompt_zh, "prompt_en": challenge.prompt_en,
            "token": token}


def redeem(secret_key: str, token: str | None, candidate_id: int) -> Challenge:
    """The challenge the centre gave for this candidate; a ValidationError for a missing, forged, stale or
    someone else's token."""
    if not token:
        raise ValidationError("checkin.liveness_required",
                              N_("This centre checks liveness: read the ID card again to get a challenge."),
                              field="challenge_token")
    try:
        content = URLSafeTimedSerializer(secret_key, salt=SALT).loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        raise ValidationError("checkin.liveness_expired",
                              N_("The liveness challenge has expired: read the ID card again."),
                              field="challenge_token") from None
    except BadSignature:
        content = None
    if not isinstance(content, dict) or content.get("candidate") != candidate_id:
        raise ValidationError("checkin.liveness_invalid", N_("The liveness challenge is not valid for this candidate."),
                              field="challenge_token")
    return Challenge(content["challenge"])


__all__ = ["MAX_AGE_SECONDS", "issue", "redeem"]
