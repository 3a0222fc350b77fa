"""Drawing papers from a blueprint and freezing them (the attempt keeps the snapshot, whatever the bank does next)."""
from __future__ import annotations

import json
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain.errors import N_, NotFound, RuleViolation
from exam_center.models import BankItem, Paper
from question_bank.assembly import Assembler, PoolItem
from question_bank.items import Use
from question_bank.problems import BankError

from .audit import Actor, record
from .bank_items import active_versions, content_of
from .blueprints import definition_of, get_blueprint
from .lookup import fetch

MAX_PAPERS_PER_CALL = 2000


def assembler_for(session: Session, blueprint_id: int) -> Assembler:
    """An assembler over the active exam items of the blueprint's operation item, with their exposure so far."""
    row = get_blueprint(session, blueprint_id)
    versions = active_versions(session, operation_item=row.operation_item_code, use=Use.EXAM)
    pool = [PoolItem(v.item_id, v.id, v.number, content_of(v)) for v in versions]
    exposure = {v.item_id: v.item.exposure_count for v in versions}
    try:
        return Assembler(definition_of(row), pool, exposure)
    except BankError as error:
        raise BankShortage(error) from None


class BankShortage(RuleViolation):
    """The bank cannot satisfy the blueprint; every shortage is listed."""

    def __init__(self, error: BankError) -> None:
        self.errors = error.problems  # each shortage is shown, not just the first
        first = error.problems[0]
        super().__init__(first.code, first.message, field=None, **first.params)


def draw_papers(session: Session, actor: Actor, blueprint_id: int, seeds: Sequence[int] | None = None,
                count: int = 1) -> list[Paper]:
    """Draw and store papers (one per seed; random seeds when none are given) and count their exposure."""
    seeds = list(seeds) if seeds is not None else [secrets.randbits(62) for _ in range(count)]
    if not 1 <= len(seeds) <= MAX_PAPERS_PER_CALL:
        raise RuleViolation("paper.count", N_("Draw between 1 and %(max)s papers at a time."),
                            field="count", max=MAX_PAPERS_PER_CALL)
    assembler = assembler_for(session, blueprint_id)
    before = assembler.exposure_of()
    rows = []
    for seed in seeds:
        paper = assembler.draw(seed)
        rows.append(Paper(blueprint_id=blueprint_id, operation_item_code=assembler.blueprint.operation_item,
                          seed=seed, question_count=len(paper.questions), total_points=paper.total_points,
                          snapshot=paper.to_dict(), questions_shown=json.dumps(paper.shown(), ensure_ascii=False),
                          duration_seconds=paper.duration_seconds, question_shapes=json.dumps(paper.shapes())))
    session.add_all(rows)
    deltas = [{"item": item_id, "delta": exposure - before[item_id]}
              for item_id, exposure in assembler.exposure_of().items() if exposure != before[item_id]]
    table = BankItem.__table__
    # Relative increments: papers drawn concurrently elsewhere still add up.
    session.connection().execute(
        table.update().where(table.c.id == sa.bindparam("item"))
        .values(exposure_count=table.c.exposure_count + sa.bindparam("delta")), deltas)
    session.flush()
    record(session, actor, "bank.papers_draw", "blueprint", blueprint_id,
           after={"papers": [r.id for r in rows], "seeds": seeds[:50]})
    return rows


def get_paper(session: Session, paper_id: int) -> Paper:
    return fetch(session, Paper, paper_id, NotFound("paper.not_found", N_("No such paper."), field="paper_id"))
