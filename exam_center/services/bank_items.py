"""Bank items through their life: draft → in review → active → retired, with versions and four-eyes review.

Editing an active item never touches it: the edit becomes a new draft version, and the old version stays
active (and in every paper that froze it) until the new one is approved.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from exam_center.domain.errors import N_, Conflict, Forbidden, InvalidFields, NotFound, ValidationError
from exam_center.models import BankItem, ItemVersion, OperationItem, utcnow
from question_bank.importing import PROVINCE_CODES
from question_bank.items import CognitiveLevel, ItemContent, ItemStatus, ItemType, Scope, Use, build_content
from question_bank.problems import Problem

from .audit import Actor, record
from .lookup import fetch


def staff_id(actor: Actor) -> int | None:
    return int(actor.id) if actor.type == "staff" and actor.id else None


def problems_to_error(problems: list[Problem]) -> InvalidFields:
    """The bank's problems as the application's validation error (all fields at once)."""
    return InvalidFields([ValidationError(p.code, p.message, field=p.field, **p.params) for p in problems])


def content_of(version: ItemVersion) -> ItemContent:
    return ItemContent(version.type, version.stem, tuple(version.options), tuple(version.answer),
                       version.explanation, version.knowledge_point, version.cognitive_level, version.difficulty,
                       version.source)


def version_snapshot(version: ItemVersion) -> dict:
    return {"item_id": version.item_id, "version": version.number, "status": version.status,
            "type": version.type, "content_key": version.content_key, "knowledge_point": version.knowledge_point,
            "cognitive_level": version.cognitive_level, "difficulty": version.difficulty}


def _apply(version: ItemVersion, content: ItemContent) -> None:
    version.type, version.stem = content.type, content.stem
    version.options, version.answer = list(content.options), list(content.answer)
    version.explanation, version.knowledge_point = content.explanation, content.knowledge_point
    version.cognitive_level, version.difficulty = content.cognitive_level, content.difficulty
    version.source, version.content_key = content.source, content.content_key()


def parse_content(fields: dict) -> ItemContent:
    """Typed content from form or API values; every invalid field is reported."""
    problems: list[Problem] = []
    item_type = _enum(ItemType, fields.get("type"), "type", problems)
    level = _enum(CognitiveLevel, fields.get("cognitive_level"), "cognitive_level", problems)
    try:
        difficulty = int(fields.get("difficulty"))
    except (TypeError, ValueError):
        difficulty = 0  # reported by build_content as out of range
    if problems:
        raise problems_to_error(problems)
    content, problems = build_content(
        type=item_type, stem=fields.get("stem") or "", options=list(fields.get("options") or []),
        answer=fields.get("answer") or "", explanation=fields.get("explanation") or "",
        knowledge_point=fields.get("knowledge_point") or "", cognitive_level=level, difficulty=difficulty,
        source=fields.get("source") or "")
    if problems:
        raise problems_to_error(problems)
    return content


def _enum(enum_class, raw, field: str, problems: list[Problem]):
    for member in enum_class:
        if raw in (member, member.value):
            return member
    problems.append(Problem("item.choice", N_("Choose one of the listed values."), field))
    return None


def _check_duplicate(session: Session, content: ItemContent, operation_item: str, exclude_item: int | None) -> None:
    query = (sa.select(ItemVersion.item_id).join(BankItem)
             .where(ItemVersion.content_key == content.content_key(),
                    ItemVersion.status != ItemStatus.RETIRED, BankItem.operation_item_code == operation_item))
    if exclude_item is not None:
        query = query.where(ItemVersion.item_id != exclude_item)
    existing = session.scalar(query.limit(1))
    if existing is not None:
        raise Conflict("item.duplicate", N_("The same question (stem and options) already exists as item %(item)s."),
                       field="stem", item=existing)


def create_item(session: Session, actor: Actor, *, operation_item: str, scope: Scope, use: Use,
                province_code: str | None, content: ItemContent,
                status: ItemStatus = ItemStatus.DRAFT) -> ItemVersion:
    if session.get(OperationItem, operation_item) is None:
        raise ValidationError("item.operation_item", N_("There is no special-operation item %(item_code)s."),
                              field="operation_item", item_code=operation_item)
    if scope is Scope.PROVINCIAL and province_code not in PROVINCE_CODES:
        raise ValidationError("item.province", N_("A provincial item needs its 2-digit province code."),
                              field="province_code")
    _check_duplicate(session, content, operation_item, None)
    item = BankItem(operation_item_code=operation_item, scope=scope, use=use,
                    province_code=province_code if scope is Scope.PROVINCIAL else None)
    session.add(item)
    session.flush()
    version = ItemVersion(item_id=item.id, number=1, status=status, author_id=staff_id(actor),
                          submitted_at=utcnow() if status is ItemStatus.IN_REVIEW else None)
    _apply(version, content)
    session.add(version)
    session.flush()
    record(session, actor, "bank.item_create", "bank_item", item.id,
           after={**version_snapshot(version), "operation_item": operation_item, "scope": scope, "use": use})
    return version


def get_version(session: Session, version_id: int) -> ItemVersion:
    return fetch(session, ItemVersion, version_id,
                 NotFound("item.version_not_found", N_("No such item version."), field="version_id"))


def get_item(session: Session, item_id: int) -> BankItem:
    return fetch(session, BankItem, item_id, NotFound("item.not_found", N_("No such item."), field="item_id"))


def latest_version(item: BankItem) -> ItemVersion:
    return item.versions[-1]


def edit_item(session: Session, actor: Actor, item_id: int, content: ItemContent) -> ItemVersion:
    """Change a draft in place; anything else in use gets a new draft version."""
    item = get_item(session, item_id)
    latest = latest_version(item)
    if latest.status is ItemStatus.IN_REVIEW:
        raise Conflict("item.in_review", N_("This version is waiting for review; approve or reject it first."))
    if latest.status is ItemStatus.RETIRED and not any(v.status is ItemStatus.ACTIVE for v in item.versions):
        raise Conflict("item.retired", N_("This item is retired and cannot be edited."))
    _check_duplicate(session, content, item.operation_item_code, item.id)
    before = version_snapshot(latest)
    if latest.status is ItemStatus.DRAFT:
        _apply(latest, content)
        latest.author_id = staff_id(actor)
        version = latest
    else:
        version = ItemVersion(item_id=item.id, number=latest.number + 1, status=ItemStatus.DRAFT,
                              author_id=staff_id(actor))
        _apply(version, content)
        session.add(version)
    session.flush()
    record(session, actor, "bank.item_edit", "bank_item", item.id, before=before, after=version_snapshot(version))
    return version


def submit_for_review(session: Session, actor: Actor, version_id: int) -> ItemVersion:
    version = get_version(session, version_id)
    if version.status is not ItemStatus.DRAFT:
        raise Conflict("item.not_draft", N_("Only a draft can be submitted for review."))
    before = version_snapshot(version)
    version.status, version.submitted_at = ItemStatus.IN_REVIEW, utcnow()
    record(session, actor, "bank.item_submit", "bank_item", version.item_id, before=before,
           after=version_snapshot(version))
    return version


def review(session: Session, actor: Actor, version_id: int, *, approve: bool, note: str = "") -> ItemVersion:
    """Four-eyes: someone other than the version's author approves it (it becomes the active version)
    or sends it back to draft with a note."""
    version = get_version(session, version_id)
    reviewer = staff_id(actor)
    if version.status is not ItemStatus.IN_REVIEW:
        raise Conflict("item.not_in_review", N_("This version is not waiting for review."))
    if reviewer is None or reviewer == version.author_id:
        raise Forbidden("item.four_eyes", N_("A second person must review an item: its author cannot approve or reject it."))
    note = (note or "").strip()[:500]
    if not approve and not note:
        raise ValidationError("item.review_note", N_("Say why the item is sent back."), field="note")
    before = version_snapshot(version)
    version.reviewer_id, version.reviewed_at, version.review_note = reviewer, utcnow(), note or None
    if approve:
        for other in version.item.versions:
            if other.status is ItemStatus.ACTIVE:
                other.status = ItemStatus.RETIRED
        version.status = ItemStatus.ACTIVE
    else:
        version.status = ItemStatus.DRAFT
    record(session, actor, "bank.item_approve" if approve else "bank.item_reject", "bank_item", version.item_id,
           before=before, after={**version_snapshot(version), "note": note})
    return version


def retire_item(session: Session, actor: Actor, item_id: int, reason: str) -> BankItem:
    item = get_item(session, item_id)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ValidationError("item.retire_reason", N_("Give the reason for retiring the item."), field="reason")
    live = [v for v in item.versions if v.status is not ItemStatus.RETIRED]
    if not live:
        raise Conflict("item.retired", N_("This item is retired and cannot be edited."))
    for version in live:
        version.status = ItemStatus.RETIRED
    record(session, actor, "bank.item_retire", "bank_item", item.id, after={"reason": reason})
    return item


def search_items(session: Session, *, use: Use | None = None, operation_item: str | None = None,
                 status: ItemStatus | None = None, item_type: ItemType | None = None, text: str = "",
                 limit: int = 50, offset: int = 0) -> list[ItemVersion]:
    """Latest version of each matching item, newest items first."""
    latest = (sa.select(ItemVersion.item_id, sa.func.max(ItemVersion.number).label("number"))
              .group_by(ItemVersion.item_id).subquery())
    query = (sa.select(ItemVersion).join(latest, sa.and_(ItemVersion.item_id == latest.c.item_id,
                                                         ItemVersion.number == latest.c.number))
             .join(BankItem).options(selectinload(ItemVersion.item)).order_by(ItemVersion.item_id.desc()))
    if use is not None:
        query = query.where(BankItem.use == use)
    if operation_item:
        query = query.where(BankItem.operation_item_code == operation_item)
    if status is not None:
        query = query.where(ItemVersion.status == status)
    if item_type is not None:
        query = query.where(ItemVersion.type == item_type)
    if text:
        query = query.where(ItemVersion.stem.contains(text))
    return list(session.scalars(query.limit(limit).offset(offset)))


def active_versions(session: Session, *, operation_item: str, use: Use) -> list[ItemVersion]:
    return list(session.scalars(
        sa.select(ItemVersion).join(BankItem)
        .where(ItemVersion.status == ItemStatus.ACTIVE, BankItem.operation_item_code == operation_item,
               BankItem.use == use)
        .options(selectinload(ItemVersion.item)).order_by(ItemVersion.item_id)))
