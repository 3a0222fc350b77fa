"""The whole check-in at the hall entrance: ID card on the emulated reader (pty) → the real centre over
HTTP → a still photo as the camera → the centre's decision shown to the operator."""
from __future__ import annotations

from exam_center.models import AttemptStatus

from .conftest import outcomes, status_of


def test_right_person_is_checked_in_and_a_card_from_another_session_is_refused(start_agent, roster, db):
    hall = start_agent("obama_2.jpg")
    hall.reader.present(roster.cards["elsewhere"])
    assert hall.display.wait_for("refused")["code"] == "checkin.wrong_session"

    hall.reader.present(roster.cards["obama"])  # the loop went on: the next card is served
    accepted = hall.display.wait_for("accept")
    assert accepted["label"] == "A0000" and accepted["seat_id"] is not None
    assert status_of(db, roster.candidates["obama"]) is AttemptStatus.CHECKED_IN
    assert outcomes(db, roster.candidates["obama"]) == ["accept"]

    hall.display.wait_for("take_card", 2)
    hall.reader.remove()
    hall.reader.present(roster.cards["obama"])  # presented again: the centre says so, nothing is re-decided
    assert hall.display.wait_for("refused", 2)["code"] == "checkin.already"
    assert len(hall.outbox) == 0


def test_another_persons_face_is_not_accepted(start_agent, roster, db):
    hall = start_agent("obama_2.jpg")
    hall.reader.present(roster.cards["biden"])
    rejected = hall.display.wait_for("reject")
    assert rejected["reason"] == "no_match" and rejected["retries_left"] == 2
    assert status_of(db, roster.candidates["biden"]) is AttemptStatus.SCHEDULED
    assert "accept" not in hall.display.kinds()


def test_a_check_made_while_the_centre_is_down_is_queued_then_delivered_once(start_agent, roster, db, centre):
    hall = start_agent("obama_2.jpg", answer_wait=1.0)
    hall.display.hooks["candidate"] = centre.stop  # down between the roster answer and the face check
    hall.reader.present(roster.cards["obama"])
    assert hall.display.wait_for("queued")["queued"] == 1
    assert len(hall.outbox) == 1 and outcomes(db, roster.candidates["obama"]) == []

    centre.start()
    assert hall.display.wait_for("accept")["label"] == "A0000"
    assert hall.agent.courier.idle.wait(60) and len(hall.outbox) == 0
    assert status_of(db, roster.candidates["obama"]) is AttemptStatus.CHECKED_IN
    assert outcomes(db, roster.candidates["obama"]) == ["accept"]


def test_a_lost_reply_is_resent_and_the_resend_is_harmless(start_agent, roster, db, centre):
    hall = start_agent("obama_2.jpg")
    hall.display.hooks["candidate"] = lambda: setattr(centre, "lose_next_reply", True)
    hall.reader.present(roster.cards["obama"])
    earlier = hall.display.wait_for("applied_earlier")
    assert earlier["code"] == "checkin.already"
    assert hall.agent.courier.idle.wait(60) and len(hall.outbox) == 0
    assert outcomes(db, roster.candidates["obama"]) == ["accept"]  # applied once
    assert status_of(db, roster.candidates["obama"]) is AttemptStatus.CHECKED_IN


def test_with_liveness_on_the_operator_sees_the_challenge_and_a_still_photo_goes_to_the_proctor(
        start_agent, roster, db, app):
    from dataclasses import replace
    settings = app.extensions["exam_center.settings"]
    app.extensions["exam_center.settings"] = replace(settings, face=replace(settings.face, liveness="any"))
    try:
        hall = start_agent("obama_2.jpg")
        hall.reader.present(roster.cards["obama"])
        prompt = hall.display.wait_for("liveness")
        assert prompt["prompt"] in ("请眨眨眼", "请缓慢向左转头", "请缓慢向右转头")
        review = hall.display.wait_for("review")
        assert review["reason"] == "liveness_failed"   # the face matches, but a photo does not move
        assert status_of(db, roster.candidates["obama"]) is AttemptStatus.SCHEDULED
    finally:
        app.extensions["exam_center.settings"] = settings
