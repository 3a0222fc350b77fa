"""The special-operations catalogue (特种作业目录): categories, operation items and their exam subjects.

The catalogue is data (``data/catalogue.json``) because the 2026 catalogue may renumber, merge or
add items; a new edition is a data change, not a code change.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from exam_center.domain.education import Education
from exam_center.domain.errors import N_, NotFound

_DOCUMENT_KEYS = {"source", "practical_subjects", "categories", "items"}
_CATEGORY_KEYS = {"code", "name_zh", "name_en"}
_SUBJECT_KEYS = {"code", "name_zh", "name_en", "weight"}
_ITEM_KEYS = {
    "code", "category", "name_zh", "name_en", "min_education", "initial_training_hours",
    "review_training_hours", "effective_from", "effective_to", "note",
}
_OPTIONAL_ITEM_KEYS = {"practical_weights"}
_HOURS_KEYS = {"theory", "practical", "total"}


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class PracticalSubject:
    """One of K1-K4; ``weight`` is its share of the 100-point practical score."""

    code: str
    name_zh: str
    name_en: str
    weight: int


@dataclass(frozen=True)
class TrainingHours:
    """Minimum initial training in class hours (学时); None where the outline was not available."""

    theory: int | None
    practical: int | None
    total: int | None


@dataclass(frozen=True)
class OperationItem:
    code: str
    category_code: str
    name_zh: str
    name_en: str
    min_education: Education
    initial_training: TrainingHours
    review_training_hours: int
    practical_subjects: tuple[PracticalSubject, ...]
    effective_from: date
    effective_to: date | None
    note: str | None

    def in_force_on(self, d: date) -> bool:
        return self.effective_from <= d and (self.effective_to is None or d <= self.effective_to)


@dataclass(frozen=True)
class Catalogue:
    categories: tuple[Category, ...]
    items: tuple[OperationItem, ...]
    _items_by_code: dict[str, OperationItem] = field(init=False, repr=False, compare=False)
    _categories_by_code: dict[str, Category] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_items_by_code", {item.code: item for item in self.items})
        object.__setattr__(self, "_categories_by_code", {category.code: category for category in self.categories})

    def category(self, code: str) -> Category:
        try:
            return self._categories_by_code[code]
        except KeyError:
            raise NotFound(
                "catalogue.unknown_category",
                N_("There is no special-operation category %(category_code)s."),
                field="category_code",
                category_code=code,
            ) from None

    def item(self, code: str) -> OperationItem:
        try:
            return self._items_by_code[code]
        except KeyError:
            raise NotFound(
                "catalogue.unknown_item",
                N_("There is no special-operation item %(item_code)s."),
                field="item_code",
                item_code=code,
            ) from None

    def items_in(self, category_code: str) -> tuple[OperationItem, ...]:
        self.category(category_code)
        return tuple(item for item in self.items if item.category_code == category_code)

    def subject_weights(self, item_code: str) -> dict[str, int]:
        return {subject.code: subject.weight for subject in self.item(item_code).practical_subjects}


@cache
def load_catalogue() -> Catalogue:
    text = files("exam_center.domain").joinpath("data", "catalogue.json").read_text(encoding="utf-8")
    return parse_catalogue(json.loads(text))


def parse_catalogue(document: dict[str, Any]) -> Catalogue:
    """Build a catalogue from its JSON document; a ValueError names the first problem found."""
    _expect_keys(document, _DOCUMENT_KEYS, set(), "catalogue")
    subjects = tuple(_parse_subject(raw) for raw in _list(document, "practical_subjects"))
    _expect_unique([subject.code for subject in subjects], "practical subject")
    _expect_total_weight(subjects, "default practical subjects")

    categories = tuple(_parse_category(raw) for raw in _list(document, "categories"))
    _expect_unique([category.code for category in categories], "category")
    category_codes = {category.code for category in categories}

    items = tuple(_parse_item(raw, category_codes, subjects) for raw in _list(document, "items"))
    _expect_unique([item.code for item in items], "item")
    return Catalogue(categories=categories, items=items)


def _parse_subject(raw: dict[str, Any]) -> PracticalSubject:
    where = f"practical subject {_code_of(raw)!r}"
    _expect_keys(raw, _SUBJECT_KEYS, set(), where)
    return PracticalSubject(
        code=_text(raw, "code", where), name_zh=_text(raw, "name_zh", where), name_en=_text(raw, "name_en", where),
        weight=_count(raw, "weight", where),
    )


def _parse_category(raw: dict[str, Any]) -> Category:
    where = f"category {_code_of(raw)!r}"
    _expect_keys(raw, _CATEGORY_KEYS, set(), where)
    return Category(
        code=_text(raw, "code", where), name_zh=_text(raw, "name_zh", where), name_en=_text(raw, "name_en", where)
    )


def _parse_item(
    raw: dict[str, Any], category_codes: set[str], default_subjects: tuple[PracticalSubject, ...]
) -> OperationItem:
    where = f"item {_code_of(raw)!r}"
    _expect_keys(raw, _ITEM_KEYS, _OPTIONAL_ITEM_KEYS, where)
    code, category_code = _text(raw, "code", where), _text(raw, "category", where)
    if category_code not in category_codes:
        raise ValueError(f"{where}: category {category_code!r} does not exist")
    if not code.startswith(category_code + "."):
        raise ValueError(f"{where}: code must start with its category code {category_code!r} and a dot")
    try:
        min_education = Education(raw["min_education"])
    except ValueError:
        raise ValueError(f"{where}: min_education {raw['min_education']!r} is not an education level") from None

    effective_from = _date(raw["effective_from"], f"{where} effective_from")
    effective_to = None if raw["effective_to"] is None else _date(raw["effective_to"], f"{where} effective_to")
    if effective_to is not None and effective_to < effective_from:
        raise ValueError(f"{where}: effective_to {effective_to} is before effective_from {effective_from}")

    return OperationItem(
        code=code,
        category_code=category_code,
        name_zh=_text(raw, "name_zh", where),
        name_en=_text(raw, "name_en", where),
        min_education=min_education,
        initial_training=_parse_hours(raw["initial_training_hours"], where),
        review_training_hours=_count(raw, "review_training_hours", where),
        practical_subjects=_item_subjects(raw.get("practical_weights"), default_subjects, where),
        effective_from=effective_from,
        effective_to=effective_to,
        note=None if raw["note"] is None else _text(raw, "note", where),
    )


def _parse_hours(raw: dict[str, Any], where: str) -> TrainingHours:
    _expect_keys(raw, _HOURS_KEYS, set(), f"{where} initial_training_hours")
    theory, practical, total = (
        None if raw[key] is None else _count(raw, key, f"{where} initial_training_hours")
        for key in ("theory", "practical", "total")
    )
    if (theory is None) != (practical is None):
        raise ValueError(f"{where}: give both theory and practical hours, or neither")
    if theory is not None and total != theory + practical:
        raise ValueError(f"{where}: total hours {total} differ from theory {theory} + practical {practical}")
    return TrainingHours(theory=theory, practical=practical, total=total)


def _item_subjects(
    weights: dict[str, Any] | None, default_subjects: tuple[PracticalSubject, ...], where: str
) -> tuple[PracticalSubject, ...]:
    if weights is None:
        return default_subjects
    expected = [subject.code for subject in default_subjects]
    if sorted(weights) != sorted(expected):
        raise ValueError(f"{where}: practical_weights must give exactly {', '.join(expected)}")
    subjects = tuple(
        PracticalSubject(subject.code, subject.name_zh, subject.name_en, _count(weights, subject.code, where))
        for subject in default_subjects
    )
    _expect_total_weight(subjects, f"{where} practical_weights")
    return subjects


def _code_of(raw: Any) -> Any:
    # Only for naming the entry in an error message; the entry is validated afterwards.
    return raw.get("code") if isinstance(raw, dict) else None


def _expect_keys(raw: Any, required: set[str], optional: set[str], where: str) -> None:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object, got {type(raw).__name__}")
    missing = required - raw.keys()
    unknown = raw.keys() - required - optional
    if missing:
        raise ValueError(f"{where}: missing {', '.join(sorted(missing))}")
    if unknown:
        raise ValueError(f"{where}: unknown {', '.join(sorted(unknown))}")


def _expect_unique(codes: list[str], kind: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"duplicate {kind} code {code!r}")
        seen.add(code)


def _expect_total_weight(subjects: tuple[PracticalSubject, ...], where: str) -> None:
    total = sum(subject.weight for subject in subjects)
    if total != 100:
        raise ValueError(f"{where}: weights sum to {total}, not 100")


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def _list(document: dict[str, Any], key: str) -> list[Any]:
    value = document[key]
    if not isinstance(value, list):
        raise ValueError(f"catalogue: {key} must be a list, got {type(value).__name__}")
    return value


def _count(raw: dict[str, Any], key: str, where: str) -> int:
    value = raw[key]
    # bool is an int subclass; a JSON true is a typo, not a number.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{where}: {key} must be a non-negative integer, got {value!r}")
    return value


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a date in the form YYYY-MM-DD") from None
