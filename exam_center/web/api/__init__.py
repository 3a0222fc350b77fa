"""The JSON API under /api/v1, documented by an OpenAPI 3 document generated from the code."""
from __future__ import annotations

import json

from flask import Flask, current_app, request
from flask_smorest import Api as _SmorestApi
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from exam_center.web.guards import nul_refusal
from exam_center.web.policy import public

from . import catalogue, checkin, devices, health, persons
from .schemas import ErrorSchema

VERSION = "v1"
PREFIX = f"/api/{VERSION}"


class Api(_SmorestApi):
    """flask-smorest, with errors rendered by the app's own handlers (``{"code", "message", "details"}``)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


def _is_api_write() -> bool:
    return request.path.startswith(PREFIX + "/") and request.method not in ("GET", "HEAD", "OPTIONS", "DELETE")


def _limit_body_size() -> None:
    """First of all hooks, before anything opens the body stream: werkzeug enforces the limit while
    reading, so a chunked body without Content-Length is cut off too."""
    if _is_api_write():
        limit = current_app.extensions["exam_center.settings"].api_max_json_bytes
        # A chunked body is cut at the limit while read; one byte more shows it was too long.
        request.max_content_length = limit if request.content_length is not None else limit + 1


def _check_json_body() -> None:
    """A JSON body must say so and parse; checked (after the access policy) before any view sees it."""
    if not _is_api_write():
        return
    if not (request.content_length or request.headers.get("Transfer-Encoding")):
        return
    if not request.is_json:
        raise UnsupportedMediaType()
    body = request.get_data(cache=True)
    if len(body) > current_app.extensions["exam_center.settings"].api_max_json_bytes:
        raise RequestEntityTooLarge()
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise _invalid_json() from None
    if _holds_nul(document):
        raise nul_refusal()


def _invalid_json() -> BadRequest:
    error = BadRequest()
    error.data = {"messages": {"json": ["invalid"]}}
    return error


def _holds_nul(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


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
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_body_size)
    app.before_request(_check_json_body)
    for module in (health, catalogue, persons, devices, checkin):
        api.register_blueprint(module.bp, url_prefix=f"{PREFIX}{module.bp.url_prefix or ''}")
        csrf.exempt(module.bp)
    app.view_functions["api-docs.openapi_json"] = public(app.view_functions["api-docs.openapi_json"])
