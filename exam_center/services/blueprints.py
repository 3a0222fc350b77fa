"""Blueprints (组卷规则) per operation item: the rule set's defaults, edits, validation."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain.errors import N_, Conflict, NotFound, ValidationError
from exam_center.domain.rulesets import rule_set_on
from exam_center.models import Blueprint, OperationItem
from question_bank import blueprint as bp
from question_bank.problems import BankError

from .audit import Actor, record
from .bank_items import problems_to_error
from .lookup import fetch


def default_definition(operation_item: str, on: date) -> bp.Blueprint:
    """The default paper for an item: composition from the bank, duration and pass mark from the rule set."""
    rules = rule_set_on(on)
    return bp.default_blueprint(operation_item, duration_minutes=rules.theory_minutes,
                                pass_mark=rules.theory_pass_mark, full_marks=rules.theory_full_marks)


def parse_definition(document: dict) -> bp.Blueprint:
    try:
        return bp.blueprint_from_dict(document)
    except BankError as error:
        raise problems_to_error(error.problems) from None


def save_blueprint(session: Session, actor: Actor, *, operation_item: str, name: str, definition: bp.Blueprint,
                   blueprint_id: int | None = None) -> Blueprint:
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationError("blueprint.name", N_("Give the blueprint a name of at most 60 characters."), field="name")
    if session.get(OperationItem, operation_item) is None or definition.operation_item != operation_item:
        raise ValidationError("blueprint.operation_item", N_("There is no special-operation item %(item_code)s."),
                              field="operation_item", item_code=operation_item)
    clash = session.scalar(sa.select(Blueprint.id).where(Blueprint.operation_item_code == operation_item,
                                                         Blueprint.name == name))
    if clash is not None and clash != blueprint_id:
        raise Conflict("blueprint.duplicate_name", N_("This operation item already has a blueprint named '%(name)s'."),
                       field="name", name=name)
    document = bp.blueprint_to_dict(bp.Blueprint(definition.operation_item, definition.sections,
                                                 definition.duration_minutes, definition.pass_mark, name))
    if blueprint_id is None:
        row = Blueprint(operation_item_code=operation_item, name=name, definition=document)
        session.add(row)
        before = None
    else:
        row = get_blueprint(session, blueprint_id)
        before = {"name": row.name, "definition": row.definition}
        row.name, row.definition = name, document
    session.flush()
    record(session, actor, "bank.blueprint_save", "blueprint", row.id, before=before,
           after={"name": name, "definition": document})
    return row


def get_blueprint(session: Session, blueprint_id: int) -> Blueprint:
    return fetch(session, Blueprint, blueprint_id,
                 NotFound("blueprint.not_found", N_("No such blueprint."), field="blueprint_id"))


def definition_of(row: Blueprint) -> bp.Blueprint:
    return bp.blueprint_from_dict(row.definition)


def ensure_default_blueprint(session: Session, actor: Actor, operation_item: str, on: date) -> Blueprint:
    existing = session.scalar(sa.select(Blueprint).where(Blueprint.operation_item_code == operation_item)
                              .order_by(Blueprint.id).limit(1))
    if existing is not None:
        return existing
    definition = default_definition(operation_item, on)
    return save_blueprint(session, actor, operation_item=operation_item, name=definition.name, definition=definition)
