"""Blueprints (组卷规则): what a theory paper for one operation item is made of.

One section per item type, each with a count, points per question and optional exact quotas by
cognitive level, knowledge point and difficulty band. Duration and pass mark default to the rule set
in force; the application passes those numbers in (the bank does not know the regulation).
"""
from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .items import CognitiveLevel, ItemType
from .problems import N_, BankError, Problem

OTHER_KNOWLEDGE_POINTS = "*"
# The outline weights 了解 / 掌握 / 熟练掌握 20 / 30 / 50 % (rules.md §3.2).
DEFAULT_LEVEL_SHARES = {CognitiveLevel.UNDERSTAND: 20, CognitiveLevel.MASTER: 30, CognitiveLevel.PROFICIENT: 50}
# Published compositions; others fall back to a mix with multiple choice (rules.md §3.2).
KNOWN_COMPOSITIONS: dict[str, tuple[tuple[ItemType, int], ...]] = {
    "1.1": ((ItemType.JUDGE, 70), (ItemType.SINGLE, 30)),
    "1.2": ((ItemType.JUDGE, 70), (ItemType.SINGLE, 30)),
}
FALLBACK_COMPOSITION = ((ItemType.JUDGE, 50), (ItemType.SINGLE, 40), (ItemType.MULTI, 10))


class DifficultyBand(enum.Enum):
    EASY = "easy"        # 1–2
    MEDIUM = "medium"    # 3
    HARD = "hard"        # 4–5

    @classmethod
    def of(cls, difficulty: int) -> "DifficultyBand":
        return cls.EASY if difficulty <= 2 else cls.MEDIUM if difficulty == 3 else cls.HARD

    @property
    def label_zh(self) -> str:
        return {"easy": "容易（1–2）", "medium": "中等（3）", "hard": "较难（4–5）"}[self.value]


@dataclass(frozen=True)
class Section:
    type: ItemType
    count: int
    points: float
    level_quotas: Mapping[CognitiveLevel, int] = field(default_factory=dict)
    knowledge_point_quotas: Mapping[str, int] = field(default_factory=dict)
    difficulty_quotas: Mapping[DifficultyBand, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Blueprint:
    operation_item: str
    sections: tuple[Section, ...]
    duration_minutes: int
    pass_mark: float
    name: str = ""

    @property
    def question_count(self) -> int:
        return sum(s.count for s in self.sections)

    @property
    def total_points(self) -> float:
        return sum(s.count * s.points for s in self.sections)


def split_by_shares(total: int, shares: Mapping[Any, int]) -> dict[Any, int]:
    """Whole numbers proportional to ``shares`` that add up to ``total`` (largest remainder)."""
    weight = sum(shares.values())
    exact = {key: total * share / weight for key, share in shares.items()}
    result = {key: int(value) for key, value in exact.items()}
    by_remainder = sorted(exact, key=lambda key: exact[key] - result[key], reverse=True)
    for key in by_remainder[: total - sum(result.values())]:
        result[key] += 1
    return result


def default_blueprint(operation_item: str, *, duration_minutes: int, pass_mark: float,
                      full_marks: int = 100) -> Blueprint:
    composition = KNOWN_COMPOSITIONS.get(operation_item, FALLBACK_COMPOSITION)
    questions = sum(count for _type, count in composition)
    sections = tuple(
        Section(item_type, count, full_marks / questions, split_by_shares(count, DEFAULT_LEVEL_SHARES))
        for item_type, count in composition
    )
    return Blueprint(operation_item, sections, duration_minutes, pass_mark, name="默认组卷规则")


def validate_blueprint(blueprint: Blueprint) -> list[Problem]:
    problems: list[Problem] = []
    if not blueprint.sections:
        problems.append(Problem("blueprint.empty", N_("A blueprint needs at least one section."), "sections"))
    types = [s.type for s in blueprint.sections]
    if len(set(types)) != len(types):
        problems.append(Problem("blueprint.duplicate_type", N_("Each item type may appear in one section only."),
                                "sections"))
    for section in blueprint.sections:
        label = section.type.label_zh
        if section.count < 1 or section.count > 500:
            problems.append(Problem("blueprint.count", N_("%(type)s: the number of questions must be 1 to 500."),
                                    "sections", {"type": label}))
        if not (math.isfinite(section.points) and 0 < section.points <= 100
                and round(section.points * 2) == section.points * 2):
            problems.append(Problem("blueprint.points",
                                    N_("%(type)s: points per question must be a positive multiple of 0.5."),
                                    "sections", {"type": label}))
        for name, quotas in (("认知层次", section.level_quotas), ("难度", section.difficulty_quotas)):
            if quotas and sum(quotas.values()) != section.count:
                problems.append(Problem("blueprint.quota_sum",
                                        N_("%(type)s: the %(kind)s quotas add up to %(sum)s, not %(count)s."),
                                        "sections", {"type": label, "kind": name, "sum": sum(quotas.values()),
                                                     "count": section.count}))
        if any(not isinstance(k, str) or not k.strip() or len(k) > 40 or k == OTHER_KNOWLEDGE_POINTS
               for k in section.knowledge_point_quotas):
            problems.append(Problem("blueprint.knowledge_point_name",
                                    N_("%(type)s: a knowledge-point quota needs the knowledge point's name (at most 40 characters)."),
                                    "sections", {"type": label}))
        if sum(section.knowledge_point_quotas.values()) > section.count:
            problems.append(Problem("blueprint.knowledge_point_sum",
                                    N_("%(type)s: the knowledge-point quotas ask for more questions than the section has."),
                                    "sections", {"type": label}))
        all_quotas = [*section.level_quotas.values(), *section.difficulty_quotas.values(),
                      *section.knowledge_point_quotas.values()]
        if any(q < 0 for q in all_quotas):
            problems.append(Problem("blueprint.negative_quota", N_("%(type)s: a quota is negative."), "sections",
                                    {"type": label}))
    if not 1 <= blueprint.duration_minutes <= 600:
        problems.append(Problem("blueprint.duration", N_("The duration must be 1 to 600 minutes."),
                                "duration_minutes"))
    if not (math.isfinite(blueprint.pass_mark) and 0 < blueprint.pass_mark <= blueprint.total_points):
        problems.append(Problem("blueprint.pass_mark",
                                N_("The pass mark must be above 0 and at most the total of %(total)s points."),
                                "pass_mark", {"total": _number(blueprint.total_points)}))
    return problems


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def blueprint_to_dict(blueprint: Blueprint) -> dict[str, Any]:
    """The JSON form stored with a blueprint (and copied into every paper drawn from it)."""
    return {
        "operation_item": blueprint.operation_item,
        "name": blueprint.name,
        "duration_minutes": blueprint.duration_minutes,
        "pass_mark": blueprint.pass_mark,
        "sections": [
            {
                "type": s.type.value,
                "count": s.count,
                "points": s.points,
                "level_quotas": {k.value: v for k, v in s.level_quotas.items()},
                "knowledge_point_quotas": dict(s.knowledge_point_quotas),
                "difficulty_quotas": {k.value: v for k, v in s.difficulty_quotas.items()},
            }
            for s in blueprint.sections
        ],
    }


def blueprint_from_dict(document: Mapping[str, Any]) -> Blueprint:
    """Parse and validate; raises BankError with every problem."""
    try:
        sections = tuple(
            Section(
                type=ItemType(raw["type"]),
                count=int(raw["count"]),
                points=float(raw["points"]),
                level_quotas={CognitiveLevel(k): int(v) for k, v in (raw.get("level_quotas") or {}).items()},
                knowledge_point_quotas={str(k).strip(): int(v)
                                        for k, v in (raw.get("knowledge_point_quotas") or {}).items()},
                difficulty_quotas={DifficultyBand(k): int(v) for k, v in (raw.get("difficulty_quotas") or {}).items()},
            )
            for raw in document["sections"]
        )
        blueprint = Blueprint(str(document["operation_item"]), sections, int(document["duration_minutes"]),
                              float(document["pass_mark"]), str(document.get("name") or ""))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BankError([Problem("blueprint.malformed", N_("The blueprint is incomplete or has values of the wrong kind."),
                                 "sections")]) from None
    problems = validate_blueprint(blueprint)
    if problems:
        raise BankError(problems)
    return blueprint
