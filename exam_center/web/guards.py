"""Refusals that protect every route before a view runs."""
from __future__ import annotations

from flask import request
from werkzeug.routing import IntegerConverter

from exam_center.domain.errors import N_, ValidationError
from exam_center.models.base import MAX_ROW_ID


def nul_refusal() -> ValidationError:
    # PostgreSQL cannot store NUL in text and no field of ours needs it: refuse it at the door.
    return ValidationError("request.nul_character", N_("The request contains a NUL character, which no field accepts."))


def refuse_nul_characters() -> None:
    """before_request: query strings and form fields holding NUL are refused with a clear message."""
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        for key, value in source.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise nul_refusal()


class RowId(IntegerConverter):
    """``<int:…>`` in our routes: an id a database INTEGER column can hold; larger ones are simply not found."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(url_map, *args, **kwargs)
