"""Check-in with a liveness challenge (活体检测) switched on: the centre picks the challenge when the card is
read, the frames must show it followed; a still photo never gets a silent accept."""
from __future__ import annotations

from dataclasses import replace

import pytest

from test_face_checkin import agent, checks, frame, roster, status_of  # noqa: F401  (fixtures)

from exam_center.models import AttemptStatus

# Real photos of the registered person in the order of a head turn to his left (yaw rising) and back.
TURNING_LEFT = [frame("obama_2.jpg", 800), frame("obama_1.jpg", 800), frame("obama_3.jpg", 800)]
TURNING_RIGHT = list(reversed(TURNING_LEFT))
STILL = [frame("obama_2.jpg", 800)] * 3


@pytest.fixture
def liveness_on(app):
    settings = app.extensions["exam_center.settings"]
    app.extensions["exam_center.settings"] = replace(settings, face=replace(settings.face, liveness="turn"))
    yield
    app.extensions["exam_center.settings"] = settings


def _challenge(agent, roster, who: str = "obama") -> dict:
    found = agent(f"/sessions/{roster.session_id}/card", {"id_number": roster.ids[who]})
    assert found.status_code == 200, found.json
    return found.json["liveness"]


def test_following_the_challenge_checks_the_candidate_in(agent, roster, db, liveness_on):
    challenge = _challenge(agent, roster)
    assert challenge["challenge"] in ("turn_left", "turn_right") and "转头" in challenge["prompt_zh"]
    frames = TURNING_LEFT if challenge["challenge"] == "turn_left" else TURNING_RIGHT
    decided = agent(f"/candidates/{roster.candidates['obama']}/face",
                    {"frames": frames, "challenge_token": challenge["token"]})
    assert decided.status_code == 200 and decided.json["outcome"] == "accept", decided.json
    assert status_of(db, roster.candidates["obama"]) is AttemptStatus.CHECKED_IN
    [check] = checks(db, roster.candidates["obama"])
    assert check.details["liveness"]["passed"] and check.details["liveness"]["challenge"] == challenge["challenge"]


def test_a_still_photo_goes_to_the_proctor_even_when_the_face_matches(agent, roster, db, liveness_on):
    challenge = _challenge(agent, roster)
    decided = agent(f"/candidates/{roster.candidates['obama']}/face",
                    {"frames": STILL, "challenge_token": challenge["token"]})
    assert (decided.json["outcome"], decided.json["reason"]) == ("review", "liveness_failed")
    assert status_of(db, roster.candidates["obama"]) is not AttemptStatus.CHECKED_IN
    [check] = checks(db, roster.candidates["obama"])
    assert check.details["liveness"] == {**check.details["liveness"], "passed": False, "reason": "no_turn"}


def test_the_opposite_turn_does_not_pass(agent, roster, liveness_on):
    challenge = _challenge(agent, roster)
    wrong = TURNING_RIGHT if challenge["challenge"] == "turn_left" else TURNING_LEFT
    decided = agent(f"/candidates/{roster.candidates['obama']}/face",
                    {"frames": wrong, "challenge_token": challenge["token"]})
    assert (decided.json["outcome"], decided.json["reason"]) == ("review", "liveness_failed")


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_frames_without_a_valid_challenge_are_refused(agent, roster, db, liveness_on, token):
    body = {"frames": TURNING_LEFT, **({} if token is None else {"challenge_token": token})}
    decided = agent(f"/candidates/{roster.candidates['obama']}/face", body)
    assert decided.status_code == 422
    assert decided.json["code"] in ("checkin.liveness_required", "checkin.liveness_invalid")
    assert checks(db, roster.candidates["obama"]) == []


def test_another_candidates_challenge_does_not_count(agent, roster, db, liveness_on):
    biden = _challenge(agent, roster, "biden")
    decided = agent(f"/candidates/{roster.candidates['obama']}/face",
                    {"frames": TURNING_LEFT, "challenge_token": biden["token"]})
    assert decided.status_code == 422 and decided.json["code"] == "checkin.liveness_invalid"


def test_with_liveness_off_no_challenge_is_given(agent, roster):
    assert _challenge(agent, roster) is None
