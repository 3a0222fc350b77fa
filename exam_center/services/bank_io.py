"""Importing items from spreadsheets and JSON (all or nothing), exporting them (audited)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from exam_center.domain.errors import N_, ValidationError
from exam_center.models import BankItem, ItemVersion, OperationItem
from question_bank import exporting
from question_bank.importing import read_import
from question_bank.items import ItemStatus, Use

from .audit import Actor, record
from .bank_items import content_of, create_item

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class ImportRefused(ValidationError):
    """The file has problems; nothing was imported. ``errors`` holds every problem with its row and column."""

    def __init__(self, problems) -> None:
        self.errors = list(problems)
        first = self.errors[0]
        super().__init__(first.code, first.message, field=first.field, **first.params)


@dataclass(frozen=True)
class ImportOutcome:
    created: tuple[int, ...]                         # new item ids
    existing_duplicates: tuple[tuple[int, int], ...]  # (row, existing item id), skipped
    rows_read: int


def existing_keys(session: Session) -> dict[str, int]:
    """content key → item id, for every item still in use (a retired question may come back)."""
    rows = session.execute(sa.select(ItemVersion.content_key, ItemVersion.item_id)
                           .where(ItemVersion.status != ItemStatus.RETIRED))
    return {key: item_id for key, item_id in rows}


def import_items(session: Session, actor: Actor, data: bytes, filename: str, *, submit_for_review: bool = True,
                 progress: Callable[[int, int], None] | None = None) -> ImportOutcome:
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError("import.too_large", N_("The file is larger than %(mb)s MB."), field="file", mb=20)
    known = set(session.scalars(sa.select(OperationItem.code)))
    report = read_import(data, filename, known_operation_items=known, existing_keys=existing_keys(session),
                         progress=progress)
    if not report.ok:
        raise ImportRefused(report.problems)
    status = ItemStatus.IN_REVIEW if submit_for_review else ItemStatus.DRAFT
    created = tuple(
        create_item(session, actor, operation_item=item.operation_item, scope=item.scope, use=item.use,
                    province_code=item.province_code, content=item.content, status=status).item_id
        for item in report.items
    )
    if created:  # an import that found only known items changed nothing
        record(session, actor, "bank.import", "bank", None,
               after={"file": filename[:100], "rows": report.rows_read, "created": len(created),
                      "duplicates_skipped": len(report.existing_duplicates)})
    return ImportOutcome(created, report.existing_duplicates, report.rows_read)


def export_items(session: Session, actor: Actor, *, fmt: str, use: Use | None = None,
                 operation_item: str | None = None) -> tuple[bytes, str, str]:
    """(content, filename, mimetype) of the latest version of every matching item."""
    if fmt not in ("xlsx", "json"):
        raise ValidationError("export.format", N_("Export as xlsx or json."), field="format")
    latest = (sa.select(ItemVersion.item_id, sa.func.max(ItemVersion.number).label("number"))
              .group_by(ItemVersion.item_id).subquery())
    query = (sa.select(ItemVersion).join(latest, sa.and_(ItemVersion.item_id == latest.c.item_id,
                                                         ItemVersion.number == latest.c.number))
             .join(BankItem).options(selectinload(ItemVersion.item)).order_by(ItemVersion.item_id))
    if use is not None:
        query = query.where(BankItem.use == use)
    if operation_item:
        query = query.where(BankItem.operation_item_code == operation_item)
    rows = [exporting.ExportRow(v.item_id, v.number, v.status, v.item.operation_item_code, v.item.scope,
                                v.item.province_code, v.item.use, content_of(v)) for v in session.scalars(query)]
    content = exporting.export_xlsx(rows) if fmt == "xlsx" else exporting.export_json(rows)
    record(session, actor, "bank.export", "bank", None,
           after={"format": fmt, "use": use, "operation_item": operation_item, "items": len(rows)})
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                else "application/json")
    suffix = f"{operation_item or 'all'}-{use.value if use else 'all'}"
    return content, f"question-bank-{suffix}.{fmt}", mimetype
