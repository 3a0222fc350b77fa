"""exam-center: special-operations (特种作业) safety certification, from exam seat to certificate."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from .config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """The web application for one deployment; everything it needs comes from ``settings``."""
    # Imported here so that the plain-Python parts (domain, models, CLI) load without the web stack.
    from flask_babel import Babel

    from .db import Database
    from .domain.errors import DomainError
    from .domain.workdays import WorkdayCalendar
    from .evidence import EvidenceStore
    from .web import register_web
    from .web.i18n import select_locale
    from .web.verified import VerifiedCookieSessions, VerifiedCSRF

    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.session_interface = VerifiedCookieSessions()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="exam_center_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        WTF_CSRF_TIME_LIMIT=10 * 3600,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES="translations",
    )
    app.extensions["exam_center.settings"] = settings
    app.extensions["exam_center.db"] = Database(settings.database_url,
                                                sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    app.extensions["exam_center.evidence"] = EvidenceStore(settings.instance_dir / "evidence")
    try:
        app.extensions["exam_center.workdays"] = (WorkdayCalendar.from_file(settings.holidays_file)
                                                  if settings.holidays_file else WorkdayCalendar())
    except (OSError, DomainError) as error:
        raise SystemExit(f"EXAM_CENTER_HOLIDAYS_FILE={settings.holidays_file}: {error}") from None
    Babel(app, locale_selector=select_locale)
    register_web(app, VerifiedCSRF())
    return app


def serving(app: Flask) -> Flask:
    """Ready to serve, once per server process: everything built so far (modules, the app, SQLAlchemy's
    statement caches) lives as long as the process, so the garbage collector stops scanning it. Its full
    collections had walked all of it again and again: in a start storm they cost about a millisecond per exam
    start."""
    import gc

    gc.freeze()
    return app
