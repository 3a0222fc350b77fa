"""Domain errors: a stable machine code, an English message template, and parameters.

Messages are msgids: the web edge translates them (Chinese by default) with the
catalogs in ``exam_center/translations``; plain Python callers get English.
"""
from __future__ import annotations

from typing import Any, Callable


def N_(message: str) -> str:
    """Mark a message for extraction into the catalogs without translating it here."""
    return message


class DomainError(Exception):
    """A rule refused something. ``code`` is stable for machines, ``message`` is for people."""

    http_status = 409

    def __init__(self, code: str, message: str, *, field: str | None = None, **params: Any) -> None:
        self.code = code
        self.message = message
        self.field = field
        self.params = params
        super().__init__(self.render())

    def render(self, translate: Callable[[str], str] = lambda s: s) -> str:
        text = translate(self.message)
        return text % self.params if self.params else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, field={self.field!r})"


class ValidationError(DomainError):
    """A value given by a user is malformed or impossible."""

    http_status = 422


class NotFound(DomainError):
    http_status = 404


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, wrong state)."""

    http_status = 409


class Forbidden(DomainError):
    http_status = 403


class RuleViolation(DomainError):
    """A regulation forbids it (e.g. not eligible, deadline passed)."""

    http_status = 422


class InvalidFields(ValidationError):
    """Several fields were wrong at once; each keeps its own error so forms can show them all."""

    def __init__(self, errors: list[ValidationError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.code, first.message, field=first.field, **first.params)


class FieldErrors:
    """Collects validation errors so a form or an API caller sees every bad field at once."""

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def take(self, parse, *args, **kwargs):
        """``parse(...)``'s value, or None with its errors collected."""
        try:
            return parse(*args, **kwargs)
        except InvalidFields as error:
            self.errors.extend(error.errors)
        except ValidationError as error:
            self.errors.append(error)
        return None

    def add(self, error: ValidationError) -> None:
        self.errors.append(error)

    def has(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def raise_any(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)
