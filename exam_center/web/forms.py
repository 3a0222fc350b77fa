"""Running a use case from a submitted form: validate, call, commit, or show the errors on the fields."""
from __future__ import annotations

from typing import Callable, TypeVar

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from sqlalchemy.orm import Session

from exam_center.domain.errors import DomainError

from .errors import domain_error_details
from .session import db_session

T = TypeVar("T")


def submit(form: FlaskForm, use_case: Callable[[Session], T]) -> T | None:
    """The use case's result once committed; None if the form or a rule refused (state unchanged)."""
    if not form.validate_on_submit():
        return None
    session = db_session()
    try:
        result = use_case(session)
    except DomainError as error:
        session.rollback()
        attach_errors(form, error)
        return None
    session.commit()
    return result


def attach_errors(form: FlaskForm, error: DomainError) -> None:
    for field_name, messages in domain_error_details(error).items():
        field = form._fields.get(field_name)
        if field is not None:
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def form_status(form: FlaskForm) -> int:
    """400 for a refused submission (so scripts and tests can tell), 200 otherwise."""
    return 400 if form.is_submitted() and (form.errors or form.form_errors) else 200


__all__ = ["submit", "attach_errors", "choices", "form_status"]
