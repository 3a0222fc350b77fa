"""The JSON API under /api/v1, documented by an OpenAPI 3 document generated from the code."""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_smorest import Api as _SmorestApi
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from exam_center.web.policy import public

from . import catalogue, devices, health, persons
from .schemas import ErrorSchema

VERSION = "v1"
PREFIX = f"/api/{VERSION}"


class Api(_SmorestApi):
    """flask-smorest, with errors rendered by the app's own handlers (``{"code", "message", "details"}``)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


def _limit_json_body() -> None:
    """A JSON body must say so and stay small; checked before anything parses it."""
    if not request.path.startswith(PREFIX + "/") or request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    limit = current_app.extensions["exam_center.settings"].api_max_json_bytes
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.content_length and not request.is_json:
        raise UnsupportedMediaType()


def register_api(app: Flask, csrf: CSRFProtect) -> None:
    app.config.update(
        API_TITLE="exam-center API",
        API_VERSION=VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = Api(app, spec_kwargs={
        "info": {"description": "特种作业考试中心 JSON API. Staff use their web session (unsafe methods need the "
                                "X-CSRFToken header); devices send 'Authorization: Bearer <device token>'."},
    })
    api.spec.components.security_scheme("deviceToken", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("staffSession", {"type": "apiKey", "in": "cookie",
                                                         "name": app.config["SESSION_COOKIE_NAME"]})
    app.before_request(_limit_json_body)
    for module in (health, catalogue, persons, devices):
        api.register_blueprint(module.bp, url_prefix=f"{PREFIX}{module.bp.url_prefix or ''}")
        csrf.exempt(module.bp)
    app.view_functions["api-docs.openapi_json"] = public(app.view_functions["api-docs.openapi_json"])
