"""Bank use cases against the real database: versions, four-eyes review, audit, frozen papers, exposure."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from exam_center.domain.errors import Conflict, Forbidden, ValidationError
from exam_center.models import AuditEvent, BankItem, ItemVersion, OrganisationKind, Paper, Role
from exam_center.services import bank_items, blueprints, papers, staff
from exam_center.services.audit import Actor
from question_bank.blueprint import Blueprint as BlueprintDefinition
from question_bank.blueprint import Section
from question_bank.assembly import Paper as FrozenPaper
from question_bank.items import CognitiveLevel, ItemStatus, ItemType, Scope, Use, build_content

from conftest import PASSWORD, SYSTEM


@pytest.fixture
def authors(db, world):
    """Two bank administrators: four-eyes needs a second person."""
    with db.transaction() as s:
        first = s.scalar(sa.select(staff.StaffUser).where(staff.StaffUser.username == world.usernames[Role.BANK_ADMIN]))
        second = staff.create_staff_user(s, SYSTEM, username="reviewer2", display_name="审核员", password=PASSWORD,
                                         role=Role.BANK_ADMIN,
                                         organisation_id=world.organisations[OrganisationKind.EXAM_CENTRE])
        return (Actor("staff", str(first.id), first.username), Actor("staff", str(second.id), second.username))


def content(n: int, item_type: ItemType = ItemType.SINGLE, level: CognitiveLevel = CognitiveLevel.MASTER,
            answer: str | None = None):
    options = [] if item_type is ItemType.JUDGE else [f"题{n}选项甲", f"题{n}选项乙", f"题{n}选项丙", f"题{n}选项丁"]
    result, problems = build_content(type=item_type, stem=f"第{n}题：低压电工作业安全要求", options=options,
                                     answer=answer or ("T" if item_type is ItemType.JUDGE else "B"),
                                     explanation="依据培训大纲。", knowledge_point="防触电技术", cognitive_level=level,
                                     difficulty=3)
    assert not problems
    return result


def _actions(db, item_id) -> list[str]:
    with db.sessions() as s:
        return list(s.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "bank_item",
                                                                  AuditEvent.object_id == str(item_id))
                              .order_by(AuditEvent.id)))


def test_life_of_an_item_with_versions_and_four_eyes(db, authors):
    author, reviewer = authors
    with db.transaction() as s:
        v1 = bank_items.create_item(s, author, operation_item="1.2", scope=Scope.NATIONAL, use=Use.EXAM,
                                    province_code=None, content=content(1))
        item_id = v1.item_id
        bank_items.edit_item(s, author, item_id, content(2))           # a draft is edited in place
        assert len(s.get(BankItem, item_id).versions) == 1
        bank_items.submit_for_review(s, author, v1.id)
    with pytest.raises(Forbidden) as refused, db.transaction() as s:
        bank_items.review(s, author, v1.id, approve=True)
    assert refused.value.code == "item.four_eyes"
    with pytest.raises(ValidationError), db.transaction() as s:
        bank_items.review(s, reviewer, v1.id, approve=False)            # sending back needs a reason
    with db.transaction() as s:
        assert bank_items.review(s, reviewer, v1.id, approve=True).status is ItemStatus.ACTIVE
    with db.transaction() as s:
        v2 = bank_items.edit_item(s, author, item_id, content(3, answer="C"))
        assert (v2.number, v2.status) == (2, ItemStatus.DRAFT)
        assert s.get(ItemVersion, v1.id).status is ItemStatus.ACTIVE   # still the one in use
        bank_items.submit_for_review(s, author, v2.id)
    with pytest.raises(Conflict), db.transaction() as s:
        bank_items.edit_item(s, author, item_id, content(4))           # not while a version waits for review
    with db.transaction() as s:
        bank_items.review(s, reviewer, v2.id, approve=True)
    with db.sessions() as s:
        statuses = [(v.number, v.status) for v in s.get(BankItem, item_id).versions]
    assert statuses == [(1, ItemStatus.RETIRED), (2, ItemStatus.ACTIVE)]
    with db.transaction() as s:
        bank_items.retire_item(s, reviewer, item_id, "依据标准已修订")
    assert _actions(db, item_id) == ["bank.item_create", "bank.item_edit", "bank.item_submit", "bank.item_approve",
                                     "bank.item_edit", "bank.item_submit", "bank.item_approve", "bank.item_retire"]


def test_duplicates_and_bad_partitions_are_refused(db, authors):
    author, _ = authors
    with db.transaction() as s:
        bank_items.create_item(s, author, operation_item="1.2", scope=Scope.NATIONAL, use=Use.EXAM,
                               province_code=None, content=content(1))
    for kwargs, code in (({"content": content(1)}, "item.duplicate"),
                         ({"content": content(2), "operation_item": "99.9"}, "item.operation_item"),
                         ({"content": content(2), "scope": Scope.PROVINCIAL}, "item.province")):
        with pytest.raises((Conflict, ValidationError)) as refused, db.transaction() as s:
            bank_items.create_item(s, author, **{"operation_item": "1.2", "scope": Scope.NATIONAL, "use": Use.EXAM,
                                                 "province_code": None, **kwargs})
        assert refused.value.code == code


def _active_bank(db, author, judges=90, singles=45):
    levels = list(CognitiveLevel)
    with db.transaction() as s:
        for n in range(judges + singles):
            item_type = ItemType.JUDGE if n < judges else ItemType.SINGLE
            bank_items.create_item(s, author, operation_item="1.2", scope=Scope.NATIONAL, use=Use.EXAM,
                                   province_code=None, content=content(n, item_type, levels[n % 3]),
                                   status=ItemStatus.ACTIVE)


SMALL = BlueprintDefinition("1.2", (Section(ItemType.JUDGE, 20, 2, {CognitiveLevel.UNDERSTAND: 4,
                                                                     CognitiveLevel.MASTER: 6,
                                                                     CognitiveLevel.PROFICIENT: 10}),
                                    Section(ItemType.SINGLE, 10, 6)), 60, 60, "小测验")


def test_papers_are_frozen_and_exposure_counted(db, authors):
    author, reviewer = authors
    _active_bank(db, author)
    with db.transaction() as s:
        blueprint = blueprints.save_blueprint(s, author, operation_item="1.2", name="小测验", definition=SMALL)
        drawn = papers.draw_papers(s, author, blueprint.id, seeds=[11, 12, 13])
    with db.sessions() as s:
        exposures = s.scalars(sa.select(BankItem.exposure_count)).all()
        assert sum(exposures) == 3 * 30 and max(exposures) == 1  # balanced: 90 picks over 135 items
        stored = FrozenPaper.from_dict(s.get(Paper, drawn[0].id).snapshot)
    question = stored.questions[0]
    # Change the bank afterwards: the frozen paper does not move.
    with db.transaction() as s:
        v2 = bank_items.edit_item(s, author, question.item_id, content(999, ItemType(question.type)))
        bank_items.submit_for_review(s, author, v2.id)
        bank_items.review(s, reviewer, v2.id, approve=True)
    with db.sessions() as s:
        again = FrozenPaper.from_dict(s.get(Paper, drawn[0].id).snapshot)
    assert again == stored and again.questions[0].stem == question.stem != "第999题：低压电工作业安全要求"
    assert again.total_points == 100


def test_a_bank_too_small_for_the_blueprint_names_every_shortage(db, authors):
    author, _ = authors
    _active_bank(db, author, judges=10, singles=5)
    with db.transaction() as s:
        blueprint = blueprints.save_blueprint(s, author, operation_item="1.2", name="小测验", definition=SMALL)
        blueprint_id = blueprint.id
    with pytest.raises(papers.BankShortage) as refused, db.transaction() as s:
        papers.draw_papers(s, author, blueprint_id, count=1)
    rendered = [p.render() for p in refused.value.errors]
    assert any("判断题" in r and "20" in r and "10" in r for r in rendered)
    assert any("单选题" in r and "5" in r for r in rendered)
    with db.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Paper)) == 0


def test_default_blueprint_follows_the_rule_set(db, authors):
    author, _ = authors
    with db.transaction() as s:
        row = blueprints.ensure_default_blueprint(s, author, "1.2", date(2026, 11, 30))
        definition = blueprints.definition_of(row)
        assert [(sec.type, sec.count) for sec in definition.sections] == [(ItemType.JUDGE, 70), (ItemType.SINGLE, 30)]
        assert (definition.duration_minutes, definition.pass_mark, definition.total_points) == (120, 80, 100)
        assert blueprints.ensure_default_blueprint(s, author, "1.2", date(2026, 11, 30)).id == row.id
