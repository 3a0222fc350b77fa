"""Practice for training institutions: reads the practice partition only (培考分离)."""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from exam_center.domain.errors import N_, NotFound
from exam_center.models import BankItem, ItemVersion, OperationItem
from question_bank.items import LETTERS, ItemStatus, ItemType, Use

DRILL_SIZE = 10
MAX_DRILL_ANSWERS = 50


def _practice_only():
    """The condition every practice read goes through: active versions of practice items only."""
    return sa.and_(BankItem.use == Use.PRACTICE, ItemVersion.status == ItemStatus.ACTIVE)


def _practice_versions():
    return sa.select(ItemVersion).join(BankItem).where(_practice_only())


def operation_item(session: Session, code: str) -> OperationItem:
    item = session.get(OperationItem, code[:8])
    if item is None:
        raise NotFound("catalogue.unknown_item", N_("There is no special-operation item %(item_code)s."),
                       field="item_code", item_code=code[:8])
    return item


def practice_counts(session: Session) -> list[tuple[OperationItem, int]]:
    counts = _counts(session)
    items = session.scalars(sa.select(OperationItem).where(OperationItem.code.in_(counts))).all()
    return sorted(((i, counts[i.code]) for i in items), key=lambda pair: pair[0].code_key)


def _counts(session: Session) -> dict[str, int]:
    query = (sa.select(BankItem.operation_item_code, sa.func.count(ItemVersion.id)).join(ItemVersion)
             .where(_practice_only()).group_by(BankItem.operation_item_code))
    return {code: n for code, n in session.execute(query)}


def practice_items(session: Session, code: str, *, text: str = "", limit: int = 30, offset: int = 0) -> list[ItemVersion]:
    query = _practice_versions().where(BankItem.operation_item_code == code).order_by(ItemVersion.item_id)
    if text:
        query = query.where(ItemVersion.stem.contains(text))
    return list(session.scalars(query.options(selectinload(ItemVersion.item)).limit(limit).offset(offset)))


def drill_questions(session: Session, code: str, size: int = DRILL_SIZE) -> list[ItemVersion]:
    versions = list(session.scalars(_practice_versions().where(BankItem.operation_item_code == code)))
    return random.sample(versions, min(size, len(versions)))


@dataclass(frozen=True)
class DrillAnswer:
    version: ItemVersion
    chosen: tuple[int, ...]

    @property
    def correct(self) -> bool:
        return tuple(sorted(self.chosen)) == tuple(self.version.answer)

    def letters(self, indices) -> str:
        if self.version.type is ItemType.JUDGE:
            return "".join(("正确", "错误")[i] for i in indices)
        return "".join(LETTERS[i] for i in sorted(indices))


@dataclass(frozen=True)
class DrillResult:
    answers: tuple[DrillAnswer, ...]

    @property
    def score(self) -> int:
        return sum(a.correct for a in self.answers)


def mark_drill(session: Session, code: str, form: Mapping) -> DrillResult:
    """Mark a submitted drill. Only practice items of this operation item are looked up, whatever ids arrive."""
    wanted: dict[int, tuple[int, ...]] = {}
    for raw in form.getlist("items")[:MAX_DRILL_ANSWERS]:
        if raw.isdigit() and len(raw) <= 9:
            chosen = tuple(int(v) for v in form.getlist(f"q{raw}") if v.isdigit() and int(v) < len(LETTERS))
            wanted[int(raw)] = chosen
    if not wanted:
        return DrillResult(())
    versions = session.scalars(_practice_versions().where(BankItem.operation_item_code == code,
                                                          ItemVersion.id.in_(wanted)))
    by_id = {v.id: v for v in versions}
    return DrillResult(tuple(DrillAnswer(by_id[vid], wanted[vid]) for vid in wanted if vid in by_id))
