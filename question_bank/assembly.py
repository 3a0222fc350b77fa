"""Paper assembly (组卷): draw one paper per candidate from a blueprint, then freeze it.

Quotas are met exactly and no item appears twice. Within each quota cell the least-exposed items are
taken (ties broken at random), so consecutive papers — neighbours in a hall — differ as much as the bank
allows. Option order is shuffled per paper with the key remapped. For a given bank, exposure state and
seed the paper is always the same.

Preparing an ``Assembler`` does the expensive work once (indexing the pool, finding how quota cells
combine); ``draw`` is then cheap, so a whole roster's papers can be drawn before the exam starts.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import permutations
from typing import Any, NamedTuple

import numpy as np

from .blueprint import OTHER_KNOWLEDGE_POINTS, Blueprint, DifficultyBand, Section, blueprint_to_dict
from .items import LETTERS, ItemContent, ItemType
from .problems import N_, BankError, Problem

PLANS_PER_SECTION = 16
PLAN_ATTEMPTS = 400
# Every option order for 2–6 options, so a shuffle is one random index (drawing is on the hot path).
_ORDERS = {n: tuple(permutations(range(n))) for n in range(2, 7)}


@dataclass(frozen=True)
class PoolItem:
    """An active item version the assembler may draw."""

    item_id: int
    version_id: int
    version: int
    content: ItemContent


class PaperQuestion(NamedTuple):
    """One question as frozen into a paper (a tuple: thousands are built per second before an exam)."""

    position: int
    item_id: int
    version_id: int
    version: int
    type: str
    stem: str
    options: tuple[str, ...]          # as shown to this candidate
    option_order: tuple[int, ...]     # original index of each shown option
    key: tuple[int, ...]              # correct options, as shown
    points: float
    knowledge_point: str
    cognitive_level: str
    explanation: str

    @property
    def key_letters(self) -> str:
        if self.type == ItemType.JUDGE.value:
            return "T" if self.key == (0,) else "F"
        return "".join(LETTERS[i] for i in self.key)


@dataclass(frozen=True)
class Paper:
    """The frozen snapshot stored with an attempt: it never changes when the bank changes."""

    seed: int
    blueprint: dict[str, Any]
    questions: tuple[PaperQuestion, ...]

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "blueprint": self.blueprint, "questions": [q._asdict() for q in self.questions]}

    def shown(self) -> list[dict[str, Any]]:
        """The questions as the candidate sees them: never the key, the original option order or explanations."""
        return [{"position": q.position, "type": q.type, "stem": q.stem, "options": list(q.options),
                 "points": q.points} for q in self.questions]

    def shapes(self) -> list[list[Any]]:
        """What a possible answer to each question looks like: ``[type, number of options]`` by position."""
        return [[q.type, len(q.options)] for q in self.questions]

    @property
    def duration_seconds(self) -> float:
        return float(self.blueprint["duration_minutes"]) * 60

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> "Paper":
        questions = tuple(
            PaperQuestion(**{**q, "options": tuple(q["options"]), "option_order": tuple(q["option_order"]),
                             "key": tuple(q["key"])})
            for q in document["questions"]
        )
        return cls(int(document["seed"]), dict(document["blueprint"]), questions)


@cache
def _shown_keys(option_count: int, answer: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """For each option order of ``_ORDERS[option_count]``: where the correct options end up."""
    return tuple(tuple(i for i, original in enumerate(order) if original in answer)
                 for order in _ORDERS[option_count])


def _cell_of(content: ItemContent, section: Section) -> tuple:
    """The quota cell of an item within a section: one coordinate per dimension the section constrains."""
    level = content.cognitive_level if section.level_quotas else None
    band = DifficultyBand.of(content.difficulty) if section.difficulty_quotas else None
    if section.knowledge_point_quotas:
        kp = content.knowledge_point if content.knowledge_point in section.knowledge_point_quotas \
            else OTHER_KNOWLEDGE_POINTS
    else:
        kp = None
    return level, band, kp


def _targets(section: Section) -> list[dict]:
    """Exact counts per coordinate value, one mapping per dimension (None = unconstrained)."""
    kp = dict(section.knowledge_point_quotas)
    if kp:
        kp[OTHER_KNOWLEDGE_POINTS] = section.count - sum(kp.values())
    return [dict(section.level_quotas) or {None: section.count},
            dict(section.difficulty_quotas) or {None: section.count},
            kp or {None: section.count}]


def _label(value) -> str:
    if value == OTHER_KNOWLEDGE_POINTS:
        return "其他知识点"
    return getattr(value, "label_zh", None) or str(value)


class Assembler:
    def __init__(self, blueprint: Blueprint, pool: Sequence[PoolItem], exposure: Mapping[int, int] | None = None,
                 *, plans_per_section: int = PLANS_PER_SECTION) -> None:
        self.blueprint = blueprint
        self.pool = list(pool)
        self._blueprint_dict = blueprint_to_dict(blueprint)
        exposure = exposure or {}
        self.exposure = np.array([exposure.get(p.item_id, 0) for p in self.pool], dtype=np.int64)
        self._sections = []
        problems: list[Problem] = []
        for section in blueprint.sections:
            cells: dict[tuple, list[int]] = {}
            for position, item in enumerate(self.pool):
                if item.content.type is section.type:
                    cells.setdefault(_cell_of(item.content, section), []).append(position)
            cell_positions = {cell: np.array(positions, dtype=np.int64) for cell, positions in cells.items()}
            shortages = self._shortages(section, cell_positions)
            if shortages:
                problems += shortages
                continue
            plans = self._plans(section, {cell: len(p) for cell, p in cell_positions.items()}, plans_per_section)
            if not plans:
                problems.append(Problem("assembly.quotas_incompatible",
                                        N_("%(type)s: the quotas cannot be met together with the items available "
                                           "(each quota alone can); add items or relax the quotas."),
                                        "sections", {"type": section.type.label_zh}))
                continue
            self._sections.append((section, cell_positions, plans))
        if problems:
            raise BankError(problems)
        self._templates = [self._template(item) for item in self.pool]

    def _shortages(self, section: Section, cells: Mapping[tuple, np.ndarray]) -> list[Problem]:
        available = sum(len(p) for p in cells.values())
        if available < section.count:
            return [Problem("assembly.short_type",
                            N_("%(type)s: the blueprint needs %(needed)s, but the bank has only %(available)s active "
                               "items of this type for operation item %(item)s."),
                            "sections", {"type": section.type.label_zh, "needed": section.count,
                                         "available": available, "item": self.blueprint.operation_item})]
        problems = []
        for dimension, targets in enumerate(_targets(section)):
            for value, needed in targets.items():
                if value is None or needed == 0:
                    continue
                have = sum(len(p) for cell, p in cells.items() if cell[dimension] == value)
                if have < needed:
                    problems.append(Problem("assembly.short_quota",
                                            N_("%(type)s · %(quota)s: the blueprint needs %(needed)s, but the bank has "
                                               "only %(available)s active items."),
                                            "sections", {"type": section.type.label_zh, "quota": _label(value),
                                                         "needed": needed, "available": have}))
        return problems

    def _plans(self, section: Section, available: Mapping[tuple, int], wanted: int) -> list[dict[tuple, int]]:
        """Counts per cell meeting every quota exactly; several, so papers also vary in their mix."""
        targets = _targets(section)
        cells = sorted(available, key=repr)
        constrained = [d for d, t in enumerate(targets) if None not in t]
        if not constrained:
            return [{cells[0]: section.count}]
        if len(constrained) == 1:  # the quotas themselves are the only plan
            d = constrained[0]
            plan = {cell: targets[d].get(cell[d], 0) for cell in cells}
            return [{cell: n for cell, n in plan.items() if n}]
        seed = int(hashlib.sha256(repr(blueprint_to_dict(self.blueprint)).encode()).hexdigest()[:12], 16)
        rng = random.Random(seed)
        plans: list[dict[tuple, int]] = []
        seen: set[tuple] = set()
        for _attempt in range(PLAN_ATTEMPTS):
            plan = self._greedy_plan(cells, available, targets, section.count, rng)
            if plan is not None:
                key = tuple(sorted(plan.items(), key=repr))
                if key not in seen:
                    seen.add(key)
                    plans.append(plan)
                if len(plans) >= wanted:
                    break
        return plans

    @staticmethod
    def _greedy_plan(cells, available, targets, count, rng) -> dict[tuple, int] | None:
        remaining = [dict(t) for t in targets]
        plan = dict.fromkeys(cells, 0)
        for _unit in range(count):
            candidates = [c for c in cells if plan[c] < available[c]
                          and all(remaining[d].get(c[d], 0) > 0 for d in range(3))]
            if not candidates:
                return None
            weights = [available[c] - plan[c] for c in candidates]
            cell = rng.choices(candidates, weights)[0]
            plan[cell] += 1
            for d in range(3):
                remaining[d][cell[d]] -= 1
        return {cell: n for cell, n in plan.items() if n}

    @staticmethod
    def _template(item: PoolItem) -> tuple:
        c = item.content
        if c.type is ItemType.JUDGE:  # 正确 / 错误 keep their order
            orders, keys = ((0, 1),), (c.answer,)
        else:
            orders, keys = _ORDERS[len(c.options)], _shown_keys(len(c.options), c.answer)
        return (item.item_id, item.version_id, item.version, c.type.value, c.stem, c.options, orders, keys,
                c.knowledge_point, c.cognitive_level.value, c.explanation)

    def draw(self, seed: int) -> Paper:
        """Assemble and freeze one paper; the items taken count as exposed from now on."""
        rng = np.random.default_rng(seed)
        shuffler = random.Random(seed)
        questions: list[PaperQuestion] = []
        for section, cell_positions, plans in self._sections:
            plan = plans[seed % len(plans)]
            chosen: list[int] = []
            for cell, n in plan.items():
                positions = cell_positions[cell]
                if n >= len(positions):
                    chosen.extend(positions.tolist())
                    continue
                # Least exposed first; the random fraction only breaks ties between equal exposure.
                keys = self.exposure[positions] + rng.random(len(positions))
                chosen.extend(positions[np.argpartition(keys, n - 1)[:n]].tolist())
            shuffler.shuffle(chosen)
            for position in chosen:
                questions.append(self._freeze(len(questions) + 1, position, section.points, shuffler))
            self.exposure[chosen] += 1
        return Paper(seed, self._blueprint_dict, tuple(questions))

    def _freeze(self, number: int, position: int, points: float, shuffler: random.Random) -> PaperQuestion:
        item_id, version_id, version, item_type, stem, options, orders, keys, kp, level, explanation = \
            self._templates[position]
        choice = shuffler.randrange(len(orders)) if len(orders) > 1 else 0
        order, key = orders[choice], keys[choice]
        return PaperQuestion(number, item_id, version_id, version, item_type, stem,
                             tuple([options[i] for i in order]), order, key, points, kp, level, explanation)

    def exposure_of(self) -> dict[int, int]:
        return {item.item_id: int(e) for item, e in zip(self.pool, self.exposure)}


__all__ = ["Assembler", "Paper", "PaperQuestion", "PoolItem"]
