"""Item content: every problem reported with its field, answers in the forms people write, duplicate identity."""
from __future__ import annotations

import pytest

from question_bank.items import JUDGE_OPTIONS, CognitiveLevel, ItemType, build_content

BASE = dict(stem="低压电工作业是指对1千伏以下的电气设备进行的作业。", explanation="见《特种作业目录》。",
            knowledge_point="安全生产法律法规与安全管理", cognitive_level=CognitiveLevel.UNDERSTAND, difficulty=1)


def build(**changes):
    return build_content(**{**BASE, "type": ItemType.SINGLE, "options": ["1千伏", "10千伏", "35千伏", "110千伏"],
                            "answer": "A", **changes})


@pytest.mark.parametrize("answer,expected", [("T", (0,)), ("正确", (0,)), ("√", (0,)), (" f ", (1,)), ("错误", (1,)),
                                             ("×", (1,))])
def test_true_false_answers_in_the_forms_people_write(answer, expected):
    content, problems = build(type=ItemType.JUDGE, options=[], answer=answer)
    assert problems == [] and content.answer == expected and content.options == JUDGE_OPTIONS


def test_choice_answers_are_normalised():
    content, _ = build(type=ItemType.MULTI, options=["甲", "乙", "丙", "丁"], answer="d, a")
    assert content.answer == (0, 3) and content.answer_letters == "AD"


@pytest.mark.parametrize("changes,code,field", [
    ({"stem": "  "}, "item.required", "stem"),
    ({"explanation": ""}, "item.required", "explanation"),
    ({"stem": "题" * 501}, "item.too_long", "stem"),
    ({"stem": "题干\x07"}, "item.control_characters", "stem"),
    ({"difficulty": 6}, "item.difficulty", "difficulty"),
    ({"difficulty": True}, "item.difficulty", "difficulty"),
    ({"options": ["甲"]}, "item.option_count", "options"),
    ({"options": list("abcdefg")}, "item.option_count", "options"),
    ({"options": ["甲", "", "丙"]}, "item.option_gap", "options"),
    ({"options": ["甲", "乙", "甲 "]}, "item.duplicate_options", "options"),
    ({"options": ["甲", "乙", "丙", "丁" * 201]}, "item.too_long", "option_D"),
    ({"answer": ""}, "item.answer_missing", "answer"),
    ({"answer": "A1"}, "item.answer_letters", "answer"),
    ({"answer": "AA"}, "item.answer_repeated", "answer"),
    ({"answer": "E"}, "item.answer_not_an_option", "answer"),
    ({"answer": "AB"}, "item.single_answer", "answer"),
    ({"type": ItemType.MULTI, "answer": "A"}, "item.multi_answer", "answer"),
    ({"type": ItemType.MULTI, "answer": "ABCD"}, "item.multi_answer", "answer"),
    ({"type": ItemType.JUDGE, "options": [], "answer": "B"}, "item.judge_answer", "answer"),
    ({"type": ItemType.JUDGE, "options": ["对", "不对"], "answer": "T"}, "item.judge_options", "options"),
])
def test_each_problem_has_its_code_and_field(changes, code, field):
    content, problems = build(**changes)
    assert content is None
    assert (code, field) in {(p.code, p.field) for p in problems}, problems


def test_all_problems_are_reported_at_once():
    _content, problems = build(stem="", explanation="", difficulty=0, answer="Z")
    assert {p.code for p in problems} == {"item.required", "item.difficulty", "item.answer_letters"}


def test_answer_outside_the_options_names_the_letter():
    _content, problems = build(answer="F")
    assert problems[0].render() == "The answer F is not among the options (there are 4)."


def test_duplicate_identity_ignores_punctuation_spacing_width_and_option_order():
    a, _ = build(stem="低压电工作业是指对1千伏以下的电气设备进行的作业？")
    b, _ = build(stem=" 低压电工作业，是指对１千伏以下的电气设备进行的作业 ", options=["110千伏", "35千伏", "10千伏", "1千伏"],
                 answer="D")
    c, _ = build(stem="高压电工作业是指对1千伏及以上的电气设备进行的作业。")
    assert a.content_key() == b.content_key() != c.content_key()
