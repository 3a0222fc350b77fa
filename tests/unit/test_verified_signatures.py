"""Session cookies and CSRF tokens verified once per process (exam_center/web/verified.py): the shortcut only
ever says "valid" for exactly what was verified before, still in date and for the same session."""
from __future__ import annotations

import datetime as dt
import time

import itsdangerous.timed
import pytest
from flask import Flask, jsonify, session
from flask_wtf.csrf import generate_csrf

from exam_center.web import verified
from exam_center.web.verified import VerifiedCookieSessions, VerifiedCSRF

SESSION_COOKIE = "session"


@pytest.fixture
def app():
    app = Flask("verified")
    app.config.update(SECRET_KEY="s" * 64, PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=1),
                      WTF_CSRF_TIME_LIMIT=600)
    app.session_interface = VerifiedCookieSessions()
    VerifiedCSRF(app)

    @app.get("/token")
    def token():
        session.setdefault("answers", [1])
        return jsonify(token=generate_csrf())

    @app.post("/read")
    def read():
        return jsonify(answers=session.get("answers"))

    @app.post("/append")
    def append():
        session["answers"].append(2)
        session.modified = True
        return jsonify(answers=session["answers"])

    return app


class Clock:
    """The clock of this module and of itsdangerous (which signs and checks ages), moved on by hand."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(verified, "time", fake)
    monkeypatch.setattr(itsdangerous.timed, "time", fake)
    return fake


def _signed_in(app) -> tuple:
    client = app.test_client()
    token = client.get("/token").get_json()["token"]
    return client, token


def _cookie(client) -> str:
    return client.get_cookie(SESSION_COOKIE).value


def test_a_remembered_cookie_and_token_still_pass(app):
    client, token = _signed_in(app)
    for _ in range(3):
        response = client.post("/read", headers={"X-CSRFToken": token})
        assert response.status_code == 200 and response.get_json() == {"answers": [1]}


def test_a_tampered_or_foreign_cookie_opens_an_empty_session(app):
    client, token = _signed_in(app)
    assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 200  # now remembered
    good = _cookie(client)
    tampered = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    other = Flask("other")
    other.secret_key = "t" * 64
    foreign = VerifiedCookieSessions().get_signing_serializer(other).dumps({"answers": [9]})
    for value in (tampered, foreign):
        client.set_cookie(SESSION_COOKIE, value)
        # No session, so no CSRF session token either: refused before the view.
        assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 400
    client.set_cookie(SESSION_COOKIE, good)
    assert client.post("/read", headers={"X-CSRFToken": token}).get_json() == {"answers": [1]}


def test_a_remembered_cookie_expires_on_time(app, clock):
    client, token = _signed_in(app)
    assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 200
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # only the cookie's age matters here
    clock.offset = 3600 - 60
    assert client.post("/read", headers={"X-CSRFToken": token}).get_json() == {"answers": [1]}
    clock.offset = 3600 + 60
    # An empty session: no CSRF session token, so refused before the view.
    assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 400


def test_a_request_changing_its_session_leaves_the_remembered_one_alone(app):
    client, token = _signed_in(app)
    before = _cookie(client)
    assert client.post("/append", headers={"X-CSRFToken": token}).get_json() == {"answers": [1, 2]}
    client.set_cookie(SESSION_COOKIE, before)  # the old cookie again: what it says has not changed
    assert client.post("/read", headers={"X-CSRFToken": token}).get_json() == {"answers": [1]}


def test_a_remembered_token_is_refused_with_another_session(app):
    first, token = _signed_in(app)
    assert first.post("/read", headers={"X-CSRFToken": token}).status_code == 200
    second, _own = _signed_in(app)
    assert second.post("/read", headers={"X-CSRFToken": token}).status_code == 400


def test_a_remembered_token_expires_on_time(app, clock):
    client, token = _signed_in(app)
    assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 200
    clock.offset = 600 - 30
    assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 200
    clock.offset = 600 + 30  # past WTF_CSRF_TIME_LIMIT, the session itself still in date
    assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 400


def test_forged_and_missing_tokens_are_refused(app):
    client, token = _signed_in(app)
    assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 200
    # The signature's first character, not its last: base64 ignores the last character's low bits, so a changed
    # last character may still decode to the same signature.
    signed, _, signature = token.rpartition(".")
    forged = f"{signed}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert client.post("/read", headers={"X-CSRFToken": forged}).status_code == 400
    assert client.post("/read").status_code == 400


def test_form_posts_go_through_flask_wtf_unchanged(app):
    client, token = _signed_in(app)
    assert client.post("/read", headers={"X-CSRFToken": token}).status_code == 200  # remembered from the header
    # A form body is judged by its own field, as Flask-WTF does: a wrong one is refused despite a good header.
    assert client.post("/read", data={"csrf_token": "wrong"}, headers={"X-CSRFToken": token}).status_code == 400
    assert client.post("/read", data={"csrf_token": token}).status_code == 200


def test_over_https_a_remembered_token_still_needs_a_same_origin_referrer(app):
    client, token = _signed_in(app)
    secure = {"base_url": "https://localhost"}
    client.get("/token", **secure)
    assert client.post("/read", headers={"X-CSRFToken": token, "Referer": "https://localhost/exam"},
                       **secure).status_code == 200
    assert client.post("/read", headers={"X-CSRFToken": token}, **secure).status_code == 400
    assert client.post("/read", headers={"X-CSRFToken": token, "Referer": "https://evil.example/"},
                       **secure).status_code == 400


def test_replies_reuse_a_recent_token_and_renew_an_old_one(app, clock):
    @app.post("/token-again")
    def token_again():
        return jsonify(token=app.extensions["csrf"].token())

    app.config["WTF_CSRF_TIME_LIMIT"] = 3000  # tokens outlive the reuse window here
    client, token = _signed_in(app)
    first = client.post("/token-again", headers={"X-CSRFToken": token}).get_json()["token"]
    assert client.post("/token-again", headers={"X-CSRFToken": first}).get_json()["token"] == first
    # The reused token is the session's: it works, and another session's token does not become it.
    assert client.post("/read", headers={"X-CSRFToken": first}).status_code == 200
    other, other_token = _signed_in(app)
    assert other.post("/token-again", headers={"X-CSRFToken": other_token}).get_json()["token"] != first
    clock.offset = verified.REISSUE_SECONDS + 5
    renewed = client.post("/token-again", headers={"X-CSRFToken": first}).get_json()["token"]
    assert renewed != first
    assert client.post("/read", headers={"X-CSRFToken": renewed}).status_code == 200
