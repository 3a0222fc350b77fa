"""Loading the special-operations catalogue into the database (idempotent)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain import catalogue as domain
from exam_center.models import OperationCategory, OperationItem, PracticalSubject

from .audit import Actor, record


def _apply(row, values: dict) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def sync_catalogue(session: Session, actor: Actor, catalogue: domain.Catalogue | None = None) -> dict[str, int]:
    """Make the tables match the catalogue data; return how many rows were added or changed.

    Items that disappeared from the data are kept (certificates refer to them): retire an item by
    giving it an ``effective_to`` date instead.
    """
    catalogue = catalogue or domain.load_catalogue()
    counts = {"categories": 0, "items": 0, "subjects": 0}
    categories = {c.code: c for c in session.scalars(sa.select(OperationCategory))}
    for category in catalogue.categories:
        row = categories.get(category.code) or OperationCategory(code=category.code)
        new = row.code not in categories
        if _apply(row, {"name_zh": category.name_zh, "name_en": category.name_en}) or new:
            session.add(row)
            counts["categories"] += 1
    session.flush()
    items = {i.code: i for i in session.scalars(sa.select(OperationItem))}
    subjects = {(s.item_code, s.code): s for s in session.scalars(sa.select(PracticalSubject))}
    for item in catalogue.items:
        row = items.get(item.code) or OperationItem(code=item.code)
        new = item.code not in items
        values = {
            "category_code": item.category_code, "name_zh": item.name_zh, "name_en": item.name_en,
            "min_education": item.min_education, "theory_hours": item.initial_training.theory,
            "practical_hours": item.initial_training.practical, "total_hours": item.initial_training.total,
            "review_hours": item.review_training_hours, "effective_from": item.effective_from,
            "effective_to": item.effective_to, "note": item.note,
        }
        if _apply(row, values) or new:
            session.add(row)
            counts["items"] += 1
        session.flush()
        for subject in item.practical_subjects:
            key = (item.code, subject.code)
            srow = subjects.get(key) or PracticalSubject(item_code=item.code, code=subject.code)
            if _apply(srow, {"name_zh": subject.name_zh, "name_en": subject.name_en, "weight": subject.weight}) \
                    or key not in subjects:
                session.add(srow)
                counts["subjects"] += 1
    session.flush()
    if any(counts.values()):
        record(session, actor, "catalogue.sync", "catalogue", None, after=counts)
    return counts
