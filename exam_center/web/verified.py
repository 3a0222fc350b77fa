"""The session cookie and the CSRF token, each verified once per server process.

A terminal sends the same signed cookie and the same CSRF token with every save, hundreds of times an exam, and
gets a token back with every heartbeat. Checking their HMAC signatures again on each request was a fifth of a
save's time in the server process. Here a value whose signature has been verified is remembered with the time it
was signed; later requests carrying exactly the same text only need the age check (and, for CSRF, the
comparison with the session's token). Only ever a shortcut to "valid": anything not remembered, expired or
different goes through Flask's and Flask-WTF's own checks, unchanged.
"""
from __future__ import annotations

import copy
import hmac
import time

from flask import Flask, Request, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, generate_csrf, same_origin
from itsdangerous import BadSignature, URLSafeTimedSerializer

from exam_center.services.recent import Recent

# Enough for every terminal of a large centre and its staff, per process; an entry is a few hundred bytes.
REMEMBERED = 8192
REISSUE_SECONDS = 600


class VerifiedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a cookie already verified is not verified again until it expires."""

    def __init__(self) -> None:
        self._verified: Recent[tuple[dict, float]] = Recent(REMEMBERED)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        known = self._verified.get((app.secret_key, value), lambda: self._verify(app, value))
        if known is None or not _in_date(known[1], app.permanent_session_lifetime.total_seconds()):
            return super().open_session(app, request)  # says what it finds: an empty session
        # Each request gets its own copy: a view may change its session without touching the remembered one.
        return self.session_class(copy.deepcopy(known[0]))

    def _verify(self, app: Flask, value: str) -> tuple[dict, float] | None:
        try:
            data, signed_at = self.get_signing_serializer(app).loads(value, return_timestamp=True)
        except BadSignature:
            return None
        return data, signed_at.timestamp()


class VerifiedCSRF(CSRFProtect):
    """Flask-WTF's CSRF protection; a token sent in the header and already verified is only checked for age
    and against this session's token."""

    SALT = "wtf-csrf-token"  # Flask-WTF's; were it ever different, nothing would be remembered (never wrongly)

    def __init__(self, app: Flask | None = None) -> None:
        super().__init__(app)
        self._verified: Recent[tuple[str, float]] = Recent(REMEMBERED)  # (secret, token) → (raw, signed at)
        self._issued: Recent[tuple[str, float]] = Recent(REMEMBERED)    # (secret, raw) → (token, signed at)

    def protect(self, apply_exemptions: bool = False) -> None:
        token = _header_token()
        if token is not None and self._known_good(token):
            g.csrf_valid = True
            return
        super().protect(apply_exemptions)  # refuses, or lets through
        if token is not None and g.get("csrf_valid"):
            secret = _csrf_secret()
            self._verified.get((secret, token), lambda: _signed(secret, token))

    def token(self) -> str:
        """This session's CSRF token for a reply: the one signed for it in the last ``REISSUE_SECONDS`` if any
        (signing a new one for every heartbeat and state reply was work for nothing), else a new one. Either
        way it is valid for at least the time limit less ``REISSUE_SECONDS``."""
        field, secret = current_app.config["WTF_CSRF_FIELD_NAME"], _csrf_secret()
        raw = session.get(field)
        if raw:
            issued = self._issued.peek((secret, raw))
            if issued is not None and _in_date(issued[1], REISSUE_SECONDS):
                return issued[0]
        signed_at = float(int(time.time()))  # not after the token's own timestamp (whole seconds)
        token = generate_csrf()
        self._issued.put((secret, session[field]), (token, signed_at))
        self._verified.put((secret, token), (session[field], signed_at))
        return token

    def _known_good(self, token: str) -> bool:
        config = current_app.config
        known = self._verified.peek((_csrf_secret(), token))
        if known is None:
            return False
        raw, signed_at = known
        if not _in_date(signed_at, config["WTF_CSRF_TIME_LIMIT"]):
            return False
        field = config["WTF_CSRF_FIELD_NAME"]
        if field not in session or not hmac.compare_digest(session[field], raw):
            return False
        if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            return bool(request.referrer) and same_origin(request.referrer, f"https://{request.host}/")
        return True


def _header_token() -> str | None:
    """The token of a request without a form body (where Flask-WTF would look first), from the header."""
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    for header in current_app.config["WTF_CSRF_HEADERS"]:
        if token := request.headers.get(header):
            return token
    return None


def _in_date(signed_at: float, max_age: float | None) -> bool:
    """Signed no more than ``max_age`` seconds ago (``None``: no limit), and not in the future."""
    age = time.time() - signed_at
    return age >= 0 and (max_age is None or age <= max_age)


def _csrf_secret() -> str:
    return current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key


def _signed(secret: str, token: str) -> tuple[str, float] | None:
    try:
        raw, signed_at = URLSafeTimedSerializer(secret, salt=VerifiedCSRF.SALT).loads(token, return_timestamp=True)
    except BadSignature:
        return None
    return raw, signed_at.timestamp()


__all__ = ["VerifiedCSRF", "VerifiedCookieSessions"]
