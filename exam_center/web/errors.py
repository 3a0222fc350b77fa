"""Errors for people (HTML pages) and for machines (JSON ``{"code", "message", "details"}``)."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, make_response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from exam_center.domain.errors import N_, DomainError

from .session import is_api_request

_HTTP_CODES = {
    400: "request.bad",
    401: "auth.required",
    403: "auth.forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    422: "request.invalid",
    429: "request.too_many",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Sign in first."),
        403: _("You are not allowed to do this."),
        404: _("The page or object was not found."),
        405: _("This method is not allowed here."),
        409: _("The request conflicts with the current state."),
        413: _("The request body is too large."),
        415: _("Send the request body as JSON (Content-Type: application/json)."),
        422: _("Some fields are invalid."),
        429: _("Too many requests; try again later."),
    }
    return messages.get(status, _("Something went wrong on the server. The operation was not carried out."))


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None):
    if is_api_request():
        return jsonify(code=code, message=message, details=details or {}), status
    return render_template("error.html", status=status, code=code, message=message, details=details or {}), status


def domain_error_details(error: DomainError) -> dict[str, list[str]]:
    errors = getattr(error, "errors", None) or [error]
    details: dict[str, list[str]] = {}
    for item in errors:
        details.setdefault(item.field or "_", []).append(item.render(_))
    return details


# marshmallow's own messages, listed so that the catalog translates them like ours.
_LIBRARY_MESSAGES = (
    N_("Missing data for required field."), N_("Field may not be null."), N_("Invalid value."),
    N_("Not a valid string."), N_("Not a valid utf-8 string."), N_("Not a valid integer."),
    N_("Not a valid number."), N_("Number too large."), N_("Not a valid boolean."), N_("Not a valid date."),
    N_("Not a valid mapping type."), N_("Not a valid list."), N_("Invalid type."), N_("Invalid input type."),
    N_("Unknown field."),
)


def _translated(messages: Any) -> Any:
    if isinstance(messages, list):
        return [_(m) if m in _LIBRARY_MESSAGES else m for m in messages]
    if isinstance(messages, dict):
        return {key: _translated(value) for key, value in messages.items()}
    return messages


def _webargs_details(error: HTTPException) -> tuple[str | None, dict[str, Any]]:
    """webargs puts validation messages under the request location ("json", "query", ...)."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors") or {}
    details: dict[str, Any] = {}
    code = None
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for name, field_messages in fields.items():
                # "_schema": the body as a whole (e.g. not a JSON object), reported like other non-field errors
                details["_" if name == "_schema" else name] = _translated(field_messages)
        elif location == "json":
            code = "request.invalid_json"
            details["_"] = [_("The request body is not valid JSON.")]
        else:
            details[location] = fields
    return code, details


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return error_response(400, "csrf.invalid",
                              _("The form has expired or is missing its security token; reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        code, details = _webargs_details(error)
        message = _("The request body is not valid JSON.") if code == "request.invalid_json" else _http_message(status)
        response = make_response(error_response(status, code or _HTTP_CODES.get(status, f"http.{status}"),
                                                 message, details))
        if status == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return error_response(error.http_status, error.code, error.render(_), domain_error_details(error))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        current_app.logger.exception("unhandled error")
        return error_response(500, "server.error", _http_message(500))
