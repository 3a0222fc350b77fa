"""The proctor settles check-in face decisions in the grey zone on the hall console: the camera frame beside
the registered photo, then confirm (checked in) or refuse with a reason; each decision audited."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import FACES
from exam_day import proctored_candidate

from exam_center.models import (Attempt, AttemptStatus, AuditEvent, FaceCheck, FaceOutcome, ReviewResolution,
                                Role)

FORM_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FRAME = (FACES / "obama_3.jpg").read_bytes()


@pytest.fixture
def pending(db, app, world):
    """A candidate waiting to check in whose face check at the hall entrance needs the proctor."""
    sitting = proctored_candidate(db, app, world, start=False)
    path, digest = app.extensions["exam_center.evidence"].put(FRAME, kind="checkin", suffix=".jpg")
    with db.transaction() as s:
        check = FaceCheck(candidate_id=sitting.candidate_id, purpose="checkin", method="verify",
                          outcome=FaceOutcome.REVIEW, reason="grey_zone", distance=0.48, accept_threshold=0.42,
                          review_threshold=0.55, frames_sent=5, frames_used=4, details={"distances": [0.48]},
                          snapshot_path=path, snapshot_sha256=digest)
        s.add(check)
        s.flush()
        return sitting, check.id


def _panel(client, sitting):
    return client.get(f"/hall/sessions/{sitting.session_id}/candidates/{sitting.candidate_id}")


def _decide(client, sitting, check_id, **form):
    token = FORM_CSRF.search(_panel(client, sitting).get_data(as_text=True)).group(1)
    return client.post(f"/hall/sessions/{sitting.session_id}/checkin-checks/{check_id}/resolution",
                       data={"csrf_token": token, **form})


def test_the_console_shows_the_frame_beside_the_photo_and_the_proctor_confirms(db, login_as, pending):
    sitting, check_id = pending
    proctor = login_as(Role.PROCTOR)
    state = proctor.get(f"/hall/sessions/{sitting.session_id}/state.json").get_json()
    alert = next(a for a in state["alerts"] if a["kind"] == "face_review")
    assert (alert["review_id"], alert["reason"]) == (check_id, "0.48")
    panel = _panel(proctor, sitting).get_data(as_text=True)
    assert f'data-review="{check_id}"' in panel and "0.48" in panel and "0.42" in panel
    image = proctor.get(f"/hall/sessions/{sitting.session_id}/checkin-checks/{check_id}/snapshot")
    assert image.status_code == 200 and image.data == FRAME
    assert _decide(proctor, sitting, check_id, decision="confirm").status_code == 302
    with db.sessions() as s:
        check = s.get(FaceCheck, check_id)
        assert check.resolution is ReviewResolution.CONFIRMED
        status = s.scalar(sa.select(Attempt.status).where(Attempt.candidate_id == sitting.candidate_id))
        assert status is AttemptStatus.CHECKED_IN
        assert s.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "face.review"))
    state = proctor.get(f"/hall/sessions/{sitting.session_id}/state.json").get_json()
    assert not [a for a in state["alerts"] if a["kind"] == "face_review"]


def test_a_refusal_needs_a_reason_and_checks_nobody_in(db, login_as, pending):
    sitting, check_id = pending
    proctor = login_as(Role.PROCTOR)
    for form in ({"decision": "refuse", "reason": "  "}, {"decision": "maybe"}, {}):
        response = _decide(proctor, sitting, check_id, **form)
        assert response.status_code == 400, form
    with db.sessions() as s:
        assert s.get(FaceCheck, check_id).resolution is None
    response = _decide(proctor, sitting, check_id, decision="refuse", reason="与身份证照片不符")
    assert response.status_code == 302
    with db.sessions() as s:
        check = s.get(FaceCheck, check_id)
        assert (check.resolution, check.resolution_reason) == (ReviewResolution.REFUSED, "与身份证照片不符")
        assert s.scalar(sa.select(Attempt.status).where(Attempt.candidate_id == sitting.candidate_id)) in (
            None, AttemptStatus.SCHEDULED)
    assert _decide(proctor, sitting, check_id, decision="confirm").status_code == 400   # settled once


def test_only_the_sessions_proctor_sees_the_frame(db, login_as, pending):
    sitting, check_id = pending
    url = f"/hall/sessions/{sitting.session_id}/checkin-checks/{check_id}/snapshot"
    for role in (Role.INSTITUTION_STAFF, Role.EXAM_ADMIN, Role.REGULATOR):
        assert login_as(role).get(url).status_code == 403, role
    assert login_as(Role.PROCTOR).get(
        f"/hall/sessions/{sitting.session_id}/checkin-checks/{check_id + 999}/snapshot").status_code == 404
