"""Blueprints: defaults from the published composition and the rule set, validation, JSON round trip."""
from __future__ import annotations

import pytest

from question_bank.blueprint import (Blueprint, DifficultyBand, Section, blueprint_from_dict, blueprint_to_dict,
                                     default_blueprint, split_by_shares, validate_blueprint)
from question_bank.items import CognitiveLevel, ItemType
from question_bank.problems import BankError

U, M, P = CognitiveLevel.UNDERSTAND, CognitiveLevel.MASTER, CognitiveLevel.PROFICIENT


def test_low_voltage_default_is_70_true_false_and_30_single_choice():
    blueprint = default_blueprint("1.2", duration_minutes=120, pass_mark=80)
    assert [(s.type, s.count, s.points) for s in blueprint.sections] == [(ItemType.JUDGE, 70, 1), (ItemType.SINGLE, 30, 1)]
    assert blueprint.total_points == 100 and blueprint.duration_minutes == 120 and blueprint.pass_mark == 80
    assert blueprint.sections[0].level_quotas == {U: 14, M: 21, P: 35}
    assert blueprint.sections[1].level_quotas == {U: 6, M: 9, P: 15}
    assert validate_blueprint(blueprint) == []


def test_items_without_a_published_composition_get_the_fallback_mix():
    blueprint = default_blueprint("2.1", duration_minutes=120, pass_mark=80)
    assert [(s.type, s.count) for s in blueprint.sections] == [(ItemType.JUDGE, 50), (ItemType.SINGLE, 40),
                                                              (ItemType.MULTI, 10)]
    assert blueprint.total_points == 100
    assert all(sum(s.level_quotas.values()) == s.count for s in blueprint.sections)


@pytest.mark.parametrize("total,shares,expected", [
    (70, {"a": 20, "b": 30, "c": 50}, {"a": 14, "b": 21, "c": 35}),
    (10, {"a": 20, "b": 30, "c": 50}, {"a": 2, "b": 3, "c": 5}),
    (7, {"a": 1, "b": 1, "c": 1}, {"a": 3, "b": 2, "c": 2}),
])
def test_split_by_shares_adds_up(total, shares, expected):
    assert split_by_shares(total, shares) == expected


def _codes(blueprint) -> set[str]:
    return {p.code for p in validate_blueprint(blueprint)}


def test_validation_reports_every_problem():
    bad = Blueprint("1.2", (
        Section(ItemType.JUDGE, 10, 0.3, {U: 5}),                           # points not a half, levels ≠ count
        Section(ItemType.JUDGE, 0, 1),                                     # duplicate type, empty
        Section(ItemType.SINGLE, 5, 1, {}, {"触电": 9}, {DifficultyBand.EASY: -1, DifficultyBand.HARD: 6}),
        Section(ItemType.MULTI, 5, 1, knowledge_point_quotas={DifficultyBand.EASY: 1}),
    ), duration_minutes=0, pass_mark=500)
    assert _codes(bad) == {"blueprint.points", "blueprint.quota_sum", "blueprint.duplicate_type", "blueprint.count",
                           "blueprint.knowledge_point_sum", "blueprint.negative_quota", "blueprint.duration",
                           "blueprint.knowledge_point_name",
                           "blueprint.pass_mark"}
    assert _codes(Blueprint("1.2", (), 120, 80)) >= {"blueprint.empty"}


def test_json_round_trip_and_malformed_documents():
    blueprint = Blueprint("1.2", (Section(ItemType.SINGLE, 30, 2, {U: 6, M: 9, P: 15}, {"触电危害与救护": 4},
                                          {DifficultyBand.EASY: 10, DifficultyBand.MEDIUM: 10, DifficultyBand.HARD: 10}),),
                          90, 48, "省级模拟")
    assert blueprint_from_dict(blueprint_to_dict(blueprint)) == blueprint
    for broken in ({}, {"sections": "x"}, {**blueprint_to_dict(blueprint), "duration_minutes": "long"},
                   {**blueprint_to_dict(blueprint), "sections": [{"type": "essay", "count": 1, "points": 1}]}):
        with pytest.raises(BankError) as caught:
            blueprint_from_dict(broken)
        assert caught.value.problems[0].code == "blueprint.malformed"
    with pytest.raises(BankError) as caught:
        blueprint_from_dict({**blueprint_to_dict(blueprint), "pass_mark": 0})
    assert [p.code for p in caught.value.problems] == ["blueprint.pass_mark"]
