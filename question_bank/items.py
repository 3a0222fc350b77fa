"""Question items (试题): types, cognitive levels, partitions, content and its validation.

Answers are stored as indices into the options. True/false items (判断) have the two fixed options
正确 / 错误 (index 0 is "true"). Multiple choice (多选) is scored all-or-nothing.
"""
from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
from dataclasses import dataclass

from .problems import N_, Problem

MAX_STEM = 500
MAX_OPTION = 200
MAX_EXPLANATION = 1000
MAX_KNOWLEDGE_POINT = 40
MAX_SOURCE = 200
LETTERS = "ABCDEF"
JUDGE_OPTIONS = ("正确", "错误")


class ItemType(enum.Enum):
    JUDGE = "judge"      # 判断题
    SINGLE = "single"    # 单选题
    MULTI = "multi"      # 多选题

    @property
    def label_zh(self) -> str:
        return {"judge": "判断题", "single": "单选题", "multi": "多选题"}[self.value]


class CognitiveLevel(enum.Enum):
    """The outline's three levels (了解 / 掌握 / 熟练掌握)."""

    UNDERSTAND = "understand"
    MASTER = "master"
    PROFICIENT = "proficient"

    @property
    def label_zh(self) -> str:
        return {"understand": "了解", "master": "掌握", "proficient": "熟练掌握"}[self.value]


class Scope(enum.Enum):
    NATIONAL = "national"      # 国家题库
    PROVINCIAL = "provincial"  # 省级题库


class Use(enum.Enum):
    """Exam items are confidential to the exam side; practice items are for training institutions (培考分离)."""

    EXAM = "exam"
    PRACTICE = "practice"


class ItemStatus(enum.Enum):
    DRAFT = "draft"            # 草稿
    IN_REVIEW = "in_review"    # 待审核
    ACTIVE = "active"          # 启用
    RETIRED = "retired"        # 停用 / 已被新版本取代


@dataclass(frozen=True)
class ItemContent:
    """What a candidate sees and what is scored: one version of an item."""

    type: ItemType
    stem: str
    options: tuple[str, ...]
    answer: tuple[int, ...]
    explanation: str
    knowledge_point: str
    cognitive_level: CognitiveLevel
    difficulty: int
    source: str = ""

    @property
    def answer_letters(self) -> str:
        if self.type is ItemType.JUDGE:
            return "T" if self.answer == (0,) else "F"
        return "".join(LETTERS[i] for i in self.answer)

    def content_key(self) -> str:
        """Identity for duplicate detection: the normalised stem and the set of normalised options."""
        parts = [_normalise(self.stem)] + sorted(_normalise(o) for o in self.options)
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


_PUNCTUATION = re.compile(r"[\s\u3000，。、；：？！“”‘’（）《》【】,.;:?!\"'()\[\]<>…—\-_]+")


def _normalise(text: str) -> str:
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text)).lower()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in "\n" for ch in text)


def check_text(value: str, *, field: str, limit: int, required: bool = True) -> list[Problem]:
    if required and not value.strip():
        return [Problem("item.required", N_("This field is required."), field)]
    if len(value) > limit:
        return [Problem("item.too_long", N_("At most %(max)s characters are allowed."), field, {"max": limit})]
    if _has_control(value):
        return [Problem("item.control_characters", N_("The text contains control characters."), field)]
    return []


def build_content(
    *,
    type: ItemType,
    stem: str,
    options: list[str] | tuple[str, ...],
    answer: str,
    explanation: str,
    knowledge_point: str,
    cognitive_level: CognitiveLevel,
    difficulty: int,
    source: str = "",
) -> tuple[ItemContent | None, list[Problem]]:
    """Validate typed values into content; every problem is reported, not just the first."""
    problems: list[Problem] = []
    stem, explanation = stem.strip(), explanation.strip()
    knowledge_point, source = knowledge_point.strip(), source.strip()
    problems += check_text(stem, field="stem", limit=MAX_STEM)
    problems += check_text(explanation, field="explanation", limit=MAX_EXPLANATION)
    problems += check_text(knowledge_point, field="knowledge_point", limit=MAX_KNOWLEDGE_POINT)
    problems += check_text(source, field="source", limit=MAX_SOURCE, required=False)
    if isinstance(difficulty, bool) or not isinstance(difficulty, int) or not 1 <= difficulty <= 5:
        problems.append(Problem("item.difficulty", N_("Difficulty must be a whole number from 1 to 5."), "difficulty"))
    options = tuple(o.strip() for o in options)
    while options and not options[-1]:
        options = options[:-1]
    if type is ItemType.JUDGE:
        if any(options) and _normalised_options(options) != _normalised_options(JUDGE_OPTIONS):
            problems.append(Problem("item.judge_options",
                                    N_("A true/false item has no options of its own (they are 正确 and 错误)."),
                                    "options"))
        options = JUDGE_OPTIONS
        indices = _judge_answer(answer)
        if indices is None:
            problems.append(Problem("item.judge_answer", N_("The answer of a true/false item is 正确 or 错误 (T/F)."),
                                    "answer"))
    else:
        problems += _check_options(options)
        indices, answer_problems = _choice_answer(answer, type, len(options))
        problems += answer_problems
    if problems:
        return None, problems
    return ItemContent(type, stem, options, indices, explanation, knowledge_point, cognitive_level, difficulty,
                       source), []


def _normalised_options(options) -> list[str]:
    return [_normalise(o) for o in options if o]


def _check_options(options: tuple[str, ...]) -> list[Problem]:
    """``options`` has trailing blanks removed already; a blank before a filled option is a gap."""
    if any(not o for o in options):
        return [Problem("item.option_gap", N_("Options must be filled in order, without gaps."), "options")]
    filled = list(options)
    if not 2 <= len(filled) <= len(LETTERS):
        return [Problem("item.option_count", N_("A choice item needs 2 to 6 options; %(count)s were given."),
                        "options", {"count": len(filled)})]
    problems = []
    for index, option in enumerate(filled):
        problems += [Problem(p.code, p.message, f"option_{LETTERS[index]}", p.params)
                     for p in check_text(option, field="options", limit=MAX_OPTION)]
    normalised = [_normalise(o) for o in filled]
    duplicates = sorted({LETTERS[i] for i, n in enumerate(normalised) if normalised.count(n) > 1})
    if duplicates:
        problems.append(Problem("item.duplicate_options", N_("Options %(letters)s say the same thing."), "options",
                                {"letters": "、".join(duplicates)}))
    return problems


def _judge_answer(answer: str) -> tuple[int, ...] | None:
    text = answer.strip().upper()
    if text in ("T", "TRUE", "对", "正确", "√", "Y", "是"):
        return (0,)
    if text in ("F", "FALSE", "错", "错误", "×", "X", "N", "否"):
        return (1,)
    return None


def _choice_answer(answer: str, type: ItemType, option_count: int) -> tuple[tuple[int, ...], list[Problem]]:
    letters = re.sub(r"[\s,，、;；]", "", answer.upper())
    if not letters:
        return (), [Problem("item.answer_missing", N_("The answer is missing."), "answer")]
    if not all(ch in LETTERS for ch in letters):
        return (), [Problem("item.answer_letters", N_("The answer must be option letters such as B or ACD."),
                            "answer")]
    if len(set(letters)) != len(letters):
        return (), [Problem("item.answer_repeated", N_("The answer names an option twice."), "answer")]
    missing = [ch for ch in letters if LETTERS.index(ch) >= option_count]
    if missing:
        return (), [Problem("item.answer_not_an_option",
                            N_("The answer %(letters)s is not among the options (there are %(count)s)."),
                            "answer", {"letters": "".join(missing), "count": option_count})]
    indices = tuple(sorted(LETTERS.index(ch) for ch in letters))
    if type is ItemType.SINGLE and len(indices) != 1:
        return (), [Problem("item.single_answer", N_("A single-choice item has exactly one correct option."),
                            "answer")]
    if type is ItemType.MULTI and not 2 <= len(indices) < option_count:
        return (), [Problem("item.multi_answer",
                            N_("A multiple-choice item has at least two correct options and at least one wrong one."),
                            "answer")]
    return indices, []
