"""The web faces of the centre: pages per audience and the JSON API, wired into one Flask app."""
from __future__ import annotations

from flask import Flask, g, request
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFProtect

from exam_center.db import begin_read_only, end_read_only
from exam_center.domain.idcard import mask_id_number

from . import (admin, applications, audit, auth, bank, catalogue, centre, faces, home, institution, people, practice,
               results, hall, terminal, terminal_setup, tickets)
from . import bank_blueprints, bank_transfer  # noqa: F401  (their routes are on bank.bp)
from .api import register_api
from .errors import register_error_handlers
from .guards import RowId, refuse_nul_characters
from .i18n import LANGUAGES
from .labels import label
from .policy import enforce_policy, public
from .session import close_db_session


def _start_request() -> None:
    # Reads open deferred SQLite transactions; bearer calls may write (token last-used time).
    if request.method in ("GET", "HEAD") and request.authorization is None:
        g.read_only_token = begin_read_only()


def _end_request(_exc: BaseException | None = None) -> None:
    close_db_session()
    token = g.pop("read_only_token", None)
    if token is not None:
        end_read_only(token)


def register_web(app: Flask, csrf: CSRFProtect) -> None:
    app.url_map.converters["int"] = RowId  # before any route is added
    auth.login_manager.init_app(app)
    app.before_request(_start_request)
    # Access policy first, so a refused caller learns nothing from CSRF or input validation.
    app.before_request(enforce_policy)
    app.before_request(refuse_nul_characters)
    csrf.init_app(app)
    app.teardown_request(_end_request)
    register_error_handlers(app)
    for blueprint in (auth.bp, home.bp, admin.bp, people.bp, audit.bp, catalogue.bp, bank.bp, practice.bp,
                      institution.bp, applications.bp, centre.bp, tickets.bp, results.bp, terminal.bp,
                      terminal_setup.bp, hall.bp, faces.bp):
        app.register_blueprint(blueprint)
    register_api(app, csrf)
    app.view_functions["static"] = public(app.view_functions["static"])

    app.add_template_filter(label, "label")
    app.add_template_filter(mask_id_number, "mask_id")

    @app.context_processor
    def _globals() -> dict:
        return {"languages": LANGUAGES, "current_locale": str(get_locale() or "zh_CN"),
                # Problems and domain errors carry msgids: shown in the reader's language.
                "explain": lambda problem: problem.render(gettext)}
