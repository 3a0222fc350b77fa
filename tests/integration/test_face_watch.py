"""In-exam face monitoring on real photos: the terminal's snapshots are judged on the server, alerts reach the
hall console with their snapshot as evidence, and bad snapshots are refused without harm."""
from __future__ import annotations

import datetime as dt
import re

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from conftest import FACES, SYSTEM
from exam_day import Sitting, proctored_candidate

from exam_center.domain.errors import Conflict, ValidationError
from exam_center.models import AttemptEvent, AuditEvent, FaceWatchCheck, Role, WatchOutcome, utcnow
from exam_center.services import attempts
from exam_center.services.face_watch import WatchRules, record_snapshot
from exam_center.services.faces import quality_rules
from exam_center.web.face_watch import snapshots
from exam_center.web.faces import face_engine

RULES = WatchRules(accept_threshold=0.42, review_threshold=0.55, no_face_seconds=30, confirm_frames=2)
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def jpeg(name: str | None, side: int = 640) -> bytes:
    """A shared photo (or an empty grey frame) as the terminal would send it: ≤ 640 px, JPEG."""
    if name is None:
        return cv2.imencode(".jpg", np.full((480, 640, 3), 128, np.uint8))[1].tobytes()
    image = cv2.imread(str(FACES / name))
    scale = min(1.0, side / max(image.shape[:2]))
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", image)[1].tobytes()


SAME, OTHER, TWO, EMPTY = jpeg("obama_2.jpg"), jpeg("biden_2.jpg"), jpeg("two_people.jpg", 1000), jpeg(None)


@pytest.fixture
def sitting(db, app, world) -> Sitting:
    """Obama (registered photo obama_1.jpg) answering in a closed session proctored by the world's proctor."""
    return proctored_candidate(db, app, world)


def _snap(db, app, sitting: Sitting, data: bytes, at: dt.datetime) -> FaceWatchCheck:
    with db.transaction() as s:
        check = record_snapshot(s, app.extensions["exam_center.evidence"], face_engine_of(app),
                                quality_rules(app.extensions["exam_center.settings"].face), RULES,
                                sitting.attempt_id, data, taken_at=at)
        return FaceWatchCheck(outcome=check.outcome, alert=check.alert, faces=check.faces, distance=check.distance,
                              snapshot_path=check.snapshot_path)


def face_engine_of(app):
    with app.app_context():
        return face_engine()


def test_the_candidate_alone_raises_nothing_and_keeps_no_image(db, app, sitting):
    check = _snap(db, app, sitting, SAME, utcnow())
    assert (check.outcome, check.alert, check.faces, check.snapshot_path) == (WatchOutcome.OK, None, 1, None)
    assert check.distance < RULES.accept_threshold


def test_another_person_is_alerted_once_two_snapshots_agree(db, app, sitting):
    t0 = utcnow()
    first = _snap(db, app, sitting, OTHER, t0)
    assert (first.outcome, first.alert) == (WatchOutcome.DIFFERENT_PERSON, None)   # one frame accuses nobody
    second = _snap(db, app, sitting, OTHER, t0 + dt.timedelta(seconds=20))
    assert second.alert == "different_person" and second.snapshot_path
    third = _snap(db, app, sitting, OTHER, t0 + dt.timedelta(seconds=40))
    assert third.alert is None                                                      # one alert per episode
    with db.sessions() as s:
        event = s.scalar(sa.select(AttemptEvent).where(AttemptEvent.action == "face_alert"))
        assert event.details["kind"] == "different_person" and event.details["distance"] > RULES.review_threshold
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "attempt.face_alert")) == 1


def test_several_faces_alert_at_once_and_again_after_the_candidate_was_alone(db, app, sitting):
    t0 = utcnow()
    assert _snap(db, app, sitting, TWO, t0).alert == "several_faces"
    assert _snap(db, app, sitting, SAME, t0 + dt.timedelta(seconds=20)).alert is None
    assert _snap(db, app, sitting, TWO, t0 + dt.timedelta(seconds=40)).alert == "several_faces"


def test_an_empty_seat_is_alerted_after_the_configured_time(db, app, sitting):
    t0 = utcnow()
    for seconds, expected in ((0, None), (15, None), (30, "no_face"), (45, None)):
        check = _snap(db, app, sitting, EMPTY, t0 + dt.timedelta(seconds=seconds))
        assert (check.outcome, check.alert) == (WatchOutcome.NO_FACE, expected), seconds


def test_bad_snapshots_are_refused_and_nothing_is_recorded(db, app, sitting):
    for data in (b"", b"not an image at all", b"\xff\xd8" + b"\x00" * 100, b"x" * (600 * 1024)):
        with pytest.raises(ValidationError):
            _snap(db, app, sitting, data, utcnow())
    with db.transaction() as s:
        attempts.submit(s, SYSTEM, sitting.attempt_id)
    with pytest.raises(Conflict):
        _snap(db, app, sitting, SAME, utcnow())
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(FaceWatchCheck)) == 0


def _terminal(app, sitting: Sitting):
    client = app.test_client()
    page = client.get("/terminal/").get_data(as_text=True)
    token = META_CSRF.search(page).group(1)
    response = client.post("/terminal/", data={"csrf_token": token, "ticket_number": sitting.ticket,
                                               "id_tail": sitting.id_tail})
    assert response.status_code == 302
    token = META_CSRF.search(client.get("/terminal/exam").get_data(as_text=True)).group(1)
    return client, token


def test_the_terminal_posts_snapshots_and_the_proctor_sees_the_alert_with_its_evidence(app, db, sitting, login_as):
    client, token = _terminal(app, sitting)
    headers = {"X-CSRFToken": token, "Content-Type": "image/jpeg"}
    response = client.post("/terminal/api/snapshot", data=TWO, headers=headers)
    assert response.status_code == 202 and response.get_json() == {"queued": True}
    for bad, content_type in ((b"GIF89a", "image/jpeg"), (SAME, "image/png"), (b"\xff\xd8" + b"0" * (513 * 1024), "image/jpeg")):
        response = client.post("/terminal/api/snapshot", data=bad, headers={**headers, "Content-Type": content_type})
        assert response.status_code == 422 and response.get_json()["code"] == "request.invalid"
    snapshots(app).wait_idle()
    proctor = login_as(Role.PROCTOR)
    state = proctor.get(f"/hall/sessions/{sitting.session_id}/state.json").get_json()
    alert = next(a for a in state["alerts"] if a["kind"] == "several_faces")
    assert alert["candidate_id"] == sitting.candidate_id and alert["reason"] == "2"
    panel = proctor.get(f"/hall/sessions/{sitting.session_id}/candidates/{sitting.candidate_id}").get_data(as_text=True)
    assert f'data-check="{alert["check_id"]}"' in panel and "多人" in panel
    image = proctor.get(f"/hall/sessions/{sitting.session_id}/face-checks/{alert['check_id']}/snapshot")
    assert image.status_code == 200 and image.data == TWO
    # Not through another session's URL, and not for other staff.
    assert proctor.get(f"/hall/sessions/{sitting.session_id + 999}/face-checks/{alert['check_id']}/snapshot") \
        .status_code in (403, 404)
    assert login_as(Role.INSTITUTION_STAFF).get(
        f"/hall/sessions/{sitting.session_id}/face-checks/{alert['check_id']}/snapshot").status_code == 403


def test_snapshots_after_the_exam_are_refused_at_the_door(app, db, sitting):
    client, token = _terminal(app, sitting)
    with db.transaction() as s:
        attempts.submit(s, SYSTEM, sitting.attempt_id)
    response = client.post("/terminal/api/snapshot", data=SAME, headers={"X-CSRFToken": token,
                                                                         "Content-Type": "image/jpeg"})
    assert response.status_code == 409 and response.get_json()["code"] == "face_watch.not_in_exam"
