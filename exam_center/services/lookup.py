"""Fetching one row by id, with the same refusal everywhere when it does not exist."""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from exam_center.domain.errors import NotFound
from exam_center.models.base import MAX_ROW_ID

T = TypeVar("T")


def fetch(session: Session, model: type[T], row_id: object, error: NotFound) -> T:
    """The row, or ``error`` for ids that name none — including ones no INTEGER column can hold."""
    if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id <= MAX_ROW_ID:
        raise error
    row = session.get(model, row_id)
    if row is None:
        raise error
    return row
