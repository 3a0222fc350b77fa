"""Item statistics (试题分析) over every scored response, computed in one vectorised pass."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.models import BankItem, ItemVersion, ScoredResponse
from question_bank.items import ItemStatus
from question_bank.statistics import ItemInfo, ItemStatistics, ResponseTable, analyse

from .bank_items import content_of


def item_statistics(session: Session, *, operation_item: str | None = None,
                    min_responses: int = 30) -> list[ItemStatistics]:
    query = sa.select(ScoredResponse.paper_id, ScoredResponse.item_id, ScoredResponse.correct,
                      ScoredResponse.points, ScoredResponse.chosen)
    if operation_item:
        query = query.join(BankItem, BankItem.id == ScoredResponse.item_id) \
            .where(BankItem.operation_item_code == operation_item)
    table = ResponseTable.from_rows(session.execute(query))
    if len(table) == 0:
        return []
    # The key and options of each item's newest version that was ever in use.
    versions = session.scalars(
        sa.select(ItemVersion).where(ItemVersion.item_id.in_(sa.select(ScoredResponse.item_id).distinct()),
                                     ItemVersion.status.in_([ItemStatus.ACTIVE, ItemStatus.RETIRED]))
        .order_by(ItemVersion.item_id, ItemVersion.number))
    infos = {v.item_id: ItemInfo.from_content(v.item_id, content_of(v)) for v in versions}
    return analyse(table, infos, min_responses=min_responses)
