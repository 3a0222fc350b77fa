"""In-exam face monitoring in a real browser: Chromium's webcam plays the demo video (an empty stage, then a
performer who is not the candidate), the terminal page sends snapshots, and the alerts arrive on the proctor's
hall console. (Several faces are tested on the two-person photo in tests/integration/test_face_watch.py: the
fast detector monitoring uses does not separate the small faces of the video's crowd.)"""
from __future__ import annotations

import cv2
import pytest

from conftest import SHARED
from live import WAIT_MS, Proctor, candidates, chromium, live_server, sign_in, start_exam  # noqa: F401

VIDEO = SHARED / "data" / "video" / "short_hamilton_clip.mp4"


@pytest.fixture(scope="module")
def webcam_file(tmp_path_factory):
    """The demo video as Chromium's fake webcam: an MJPEG file is JPEG frames one after another."""
    target = tmp_path_factory.mktemp("webcam") / "hamilton.mjpeg"
    capture = cv2.VideoCapture(str(VIDEO))
    with target.open("wb") as out:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            out.write(cv2.imencode(".jpg", frame)[1].tobytes())
    capture.release()
    return target


@pytest.fixture(scope="module")
def camera_browser(live_server, webcam_file):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = chromium(playwright, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-video-capture={webcam_file}")
        yield launched
        launched.close()


def test_monitoring_alerts_from_the_webcam_reach_the_hall_console(camera_browser, live_server):
    candidate_id, ticket, id_number, session_id = candidates(live_server)[0]
    proctor = Proctor(camera_browser, live_server, session_id)
    proctor.post(candidate_id, "check-in")
    page = sign_in(camera_browser, live_server, ticket, id_number)
    start_exam(page)
    page.locator("#watch:not([hidden])").wait_for(timeout=WAIT_MS)
    assert page.locator("#watch-text").inner_text() == "人脸巡检中"
    proctor.page.goto(f"{live_server.url}/hall/sessions/{session_id}")
    # The clip loops an empty stage and a performer who is not the registered candidate (demo candidate 0's
    # registered photo is obama_1.jpg): both alerts come within seconds.
    for kind in ("no_face", "different_person"):
        proctor.page.locator(f"#alerts li.al-{kind}").first.wait_for(timeout=60_000)
    rows = live_server.query("SELECT alert, snapshot_path FROM face_watch_checks WHERE alert IS NOT NULL")
    assert {alert for alert, _path in rows} >= {"no_face", "different_person"}
    assert all(path for _alert, path in rows)   # every alert keeps its snapshot as evidence
    page.keyboard.press("1")                   # the exam itself goes on, unbothered
    assert page.locator("#count-answered").inner_text() in ("0", "1")
