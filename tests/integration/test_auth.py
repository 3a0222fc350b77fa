"""Staff sign-in: passwords, lock-out, audit of every attempt, CSRF, safe redirects, language switch."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from exam_center.models import AuditEvent, Role, StaffUser, utcnow

from conftest import PASSWORD, csrf_token, login


def _actions(db) -> list[str]:
    with db.sessions() as s:
        return list(s.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_in_and_out(client, world, db):
    username = world.usernames[Role.PROCTOR]
    response = login(client, username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "欢迎" in page and "监考员" in page  # Chinese by default
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert _actions(db)[-2:] == ["auth.login", "auth.logout"]


def test_wrong_password_and_unknown_user_look_the_same(client, world, db):
    first = login(client, world.usernames[Role.PROCTOR], "wrong-password-1")
    second = login(client, "nobody-here", "wrong-password-1")
    assert first.status_code == second.status_code == 400
    for response in (first, second):
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert _actions(db)[-2:] == ["auth.login_failed", "auth.login_failed"]
    assert client.get("/").status_code == 302


def test_lock_out_after_repeated_failures(app, client, world, db):
    username = world.usernames[Role.EXAMINER]
    limit = app.extensions["exam_center.settings"].login_max_failures
    for _ in range(limit):
        assert login(client, username, "wrong-password-1").status_code == 400
    response = login(client, username)  # the right password no longer helps
    assert response.status_code == 400 and "账户已锁定" in response.get_data(as_text=True)
    with db.transaction() as s:
        user = s.scalar(sa.select(StaffUser).where(StaffUser.username == username))
        assert user.locked_until is not None
        user.locked_until = utcnow() - timedelta(seconds=1)  # the lock has run out
    assert login(client, username).status_code == 302
    assert "auth.login_refused_locked" in _actions(db)


def test_deactivated_account_cannot_sign_in(client, world, db):
    username = world.usernames[Role.REGULATOR]
    with db.transaction() as s:
        s.scalar(sa.select(StaffUser).where(StaffUser.username == username)).active = False
    response = login(client, username)
    assert response.status_code == 400 and "账户已停用" in response.get_data(as_text=True)


def test_login_form_needs_csrf_token(client, world):
    response = client.post("/login", data={"username": world.usernames[Role.PROCTOR], "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_redirects_only_within_the_site(client, world):
    token = csrf_token(client)
    for target, expected in (("/catalogue/", "/catalogue/"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
        response = client.post("/login", data={"csrf_token": csrf_token(client), "username": world.usernames[Role.PROCTOR],
                                               "password": PASSWORD, "next": target})
        assert response.headers["Location"] == expected, target
    assert token


def test_anonymous_page_request_redirects_to_login_with_next(client):
    response = client.get("/catalogue/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/catalogue/")


def test_language_switch(client, world):
    login(client, world.usernames[Role.CERT_OFFICER])
    assert "特种作业目录" in client.get("/catalogue/").get_data(as_text=True)
    response = client.post("/language/en", data={"csrf_token": csrf_token(client, "/"), "next": "/catalogue/"})
    assert response.headers["Location"] == "/catalogue/"
    page = client.get("/catalogue/").get_data(as_text=True)
    assert "Special-operations catalogue" in page and "Low-voltage" in page
    client.post("/language/zh_CN", data={"csrf_token": csrf_token(client, "/")})
    assert "特种作业目录" in client.get("/catalogue/").get_data(as_text=True)
