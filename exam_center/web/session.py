"""Per-request database session, the acting principal, and bearer-token devices."""
from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy.orm import Session

from exam_center.db import Database
from exam_center.models import Device
from exam_center.services.audit import Actor
from exam_center.services.devices import authenticate_device

API_PREFIX = "/api/"
# The one thing a candidate's session holds: the id of their exam attempt (see web/terminal.py).
CANDIDATE_KEY = "candidate_attempt"


def database() -> Database:
    return current_app.extensions["exam_center.db"]


def db_session() -> Session:
    """The request's session, opened on first use and closed (rolled back if uncommitted) at teardown."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def signed_in_attempt_id() -> int | None:
    """The attempt of the candidate signed in on this browser, if any."""
    from flask import session
    value = session.get(CANDIDATE_KEY)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def authenticate_bearer() -> Device | None:
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        return None
    session = db_session()
    device = authenticate_device(session, auth.token)
    if device is not None and session.dirty:
        session.commit()  # last_used_at
    return device


def current_actor() -> Actor:
    source = request.remote_addr
    device: Device | None = g.get("device")
    if device is not None:
        return Actor("device", str(device.id), f"{device.kind.value}:{device.name}", source)
    if current_user.is_authenticated:
        return Actor("staff", str(current_user.id), current_user.username, source)
    return Actor("anonymous", None, "-", source)
