"""Classical item analysis: hand-computed examples, every flag at its boundaries, input validation,
a simulated 2PL data set, agreement with a slow pure-Python reference, and speed."""
from __future__ import annotations

import dataclasses
import math
import re
import time
from collections import defaultdict

import numpy as np
import pytest

from question_bank import statistics as st
from question_bank.items import CognitiveLevel, ItemType, build_content
from question_bank.statistics import ItemInfo, ItemStatistics, ResponseTable, analyse, flags_for, format_report

SINGLE, JUDGE, MULTI = ItemType.SINGLE, ItemType.JUDGE, ItemType.MULTI


def single(item_id, key=0, options=4):
    return ItemInfo(item_id, SINGLE, options, (key,))


def codes(stats):
    return [p.code for p in stats.flags]


# --------------------------------------------------------------------------------------------------
# A small example computed by hand
#
#   paper   item 10 (key A)   item 20 (key B)   item 30 (key C)   total
#     1        A ✓               B ✓               C ✓              3
#     2        A ✓               A ✗               C ✓              2
#     3        B ✗               B ✓               C ✓              2
#     4        C ✗               B ✓               D ✗              1
#
# item 10: x = 1 1 0 0, rest = 2 1 2 1 → deviations (.5 .5 -.5 -.5)·(.5 -.5 .5 -.5) sum to 0 → r = 0
# item 20: x = 1 0 1 1, rest = 2 2 1 0 → Sxy = -.75, Sxx = .75, Syy = 2.75 → r = -.75 / √2.0625
# item 30: x = 1 1 1 0, rest = 2 1 1 1 → Sxy = .25, Sxx = .75, Syy = .75 → r = 1/3

HAND_ROWS = [
    (1, 10, True, 1.0, [0]), (2, 10, True, 1.0, [0]), (3, 10, False, 0.0, [1]), (4, 10, False, 0.0, [2]),
    (1, 20, True, 1.0, [1]), (2, 20, False, 0.0, [0]), (3, 20, True, 1.0, [1]), (4, 20, True, 1.0, [1]),
    (1, 30, True, 1.0, [2]), (2, 30, True, 1.0, [2]), (3, 30, True, 1.0, [2]), (4, 30, False, 0.0, [3]),
]
HAND_ITEMS = {10: single(10, 0), 20: single(20, 1), 30: single(30, 2), 99: single(99, 0)}


def test_hand_computed_example_with_a_quarter_in_each_group():
    table = ResponseTable.from_rows(HAND_ROWS)
    assert st.paper_totals(table) == {1: 3.0, 2: 2.0, 3: 2.0, 4: 1.0}
    # k = floor(0.25 × 4 + 0.5) = 1: upper = paper 1, lower = paper 4.
    assert st.score_groups(table, 0.25) == ([1], [4])
    result = analyse(table, HAND_ITEMS, group_fraction=0.25, min_responses=1)
    assert [s.item_id for s in result] == [10, 20, 30]           # item 99 has no responses
    i10, i20, i30 = result

    assert i10.responses == 4 and i10.p_value == 0.5
    assert i10.point_biserial == pytest.approx(0.0, abs=1e-12)
    assert (i10.p_upper, i10.p_lower, i10.upper_lower) == (1.0, 0.0, 1.0)
    assert i10.option_share == (0.5, 0.25, 0.25, 0.0)
    assert i10.option_upper == (1.0, 0.0, 0.0, 0.0)
    assert i10.option_lower == (0.0, 0.0, 1.0, 0.0)
    # r = 0 is "low", not "negative"; D is never chosen; C is chosen by the lower group only.
    assert codes(i10) == [st.LOW_DISCRIMINATION, st.DISTRACTOR_UNUSED]
    assert i10.flags[1].params["letter"] == "D" and i10.flags[1].field == "option_D"

    assert i20.p_value == 0.75
    assert i20.point_biserial == pytest.approx(-0.75 / math.sqrt(0.75 * 2.75))
    assert (i20.p_upper, i20.p_lower, i20.upper_lower) == (1.0, 1.0, 0.0)
    assert codes(i20) == [st.NEGATIVE_DISCRIMINATION, st.DISTRACTOR_UNUSED, st.DISTRACTOR_UNUSED]
    assert [p.params["letter"] for p in i20.flags[1:]] == ["C", "D"]
    assert i20.flags[0].field == "answer"

    assert i30.point_biserial == pytest.approx(1 / 3)
    assert i30.upper_lower == 1.0
    assert i30.option_share == (0.0, 0.0, 0.75, 0.25)


def test_ties_at_the_cut_off_are_broken_by_paper_id():
    table = ResponseTable.from_rows(HAND_ROWS)
    # k = 2; papers 2 and 3 tie at 2 points: the lower id (2) goes to the lower group.
    assert st.score_groups(table, 0.5) == ([1, 3], [2, 4])
    i10 = analyse(table, HAND_ITEMS, group_fraction=0.5, min_responses=1)[0]
    assert (i10.p_upper, i10.p_lower, i10.upper_lower) == (0.5, 0.5, 0.0)
    assert i10.option_upper == (0.5, 0.5, 0.0, 0.0)
    assert i10.option_lower == (0.5, 0.0, 0.5, 0.0)
    # The same result whatever the order of the rows.
    shuffled = ResponseTable.from_rows(HAND_ROWS[::-1])
    assert analyse(shuffled, HAND_ITEMS, group_fraction=0.5, min_responses=1) == \
        analyse(table, HAND_ITEMS, group_fraction=0.5, min_responses=1)


def test_group_size_rounds_and_never_lets_the_groups_overlap():
    assert st._group_size(100, 0.27) == 27
    assert st._group_size(10, 0.27) == 3        # 2.7 → 3
    assert st._group_size(2, 0.27) == 1         # 0.54 → 1
    assert st._group_size(1, 0.27) == 0         # one paper: no groups at all
    assert st._group_size(5, 0.5) == 2          # 2.5 → 3, but at most half
    table = ResponseTable.from_rows([(1, 10, True, 1.0, [0])])
    (only,) = analyse(table, {10: single(10)}, min_responses=1)
    assert (only.p_upper, only.p_lower, only.upper_lower) == (None, None, None)
    assert only.option_upper is None and only.option_lower is None
    assert only.point_biserial is None


def test_an_item_outside_one_group_has_no_d():
    # Item 20 is answered by paper 1 (top) and paper 2 (middle), never by the bottom paper 3.
    rows = [(1, 10, True, 1.0, [0]), (2, 10, True, 1.0, [0]), (3, 10, False, 0.0, [1]),
            (1, 20, True, 1.0, [0]), (2, 20, False, 0.0, [1])]
    table = ResponseTable.from_rows(rows)
    assert st.score_groups(table, 0.27) == ([1], [3])
    i20 = analyse(table, {10: single(10), 20: single(20)}, min_responses=1)[1]
    assert i20.p_upper == 1.0 and i20.p_lower is None and i20.upper_lower is None
    assert i20.option_upper == (1.0, 0.0, 0.0, 0.0) and i20.option_lower is None
    assert st.DISTRACTOR_ATTRACTS_UPPER not in codes(i20)


def test_point_biserial_uses_the_rest_score_and_is_none_without_variance():
    # Item 10 carries the whole difference between papers: against the total it would correlate 1,
    # against the rest (always 1 point) it is undefined.
    rows = [(1, 10, True, 1.0, [0]), (2, 10, False, 0.0, [1]), (3, 10, True, 1.0, [0]),
            (1, 20, True, 1.0, [0]), (2, 20, True, 1.0, [0]), (3, 20, True, 1.0, [0])]
    result = analyse(ResponseTable.from_rows(rows), {10: single(10), 20: single(20)}, min_responses=1)
    assert result[0].point_biserial is None       # rest score constant
    assert result[1].point_biserial is None       # everyone right
    assert not {st.LOW_DISCRIMINATION, st.NEGATIVE_DISCRIMINATION} & set(codes(result[0]) + codes(result[1]))


def test_scores_equal_on_paper_are_equal_whatever_the_summation_order():
    # 0.1 + 0.2 + 0.3 vs 0.3 + 0.2 + 0.1 differ in the last bit in binary floating point.
    rows = [(1, 1, True, 0.1, [0]), (1, 2, True, 0.2, [0]), (1, 3, True, 0.3, [0]), (1, 9, True, 1.0, [0]),
            (2, 3, True, 0.3, [0]), (2, 2, True, 0.2, [0]), (2, 1, True, 0.1, [0]), (2, 9, False, 0.0, [1])]
    items = {i: single(i) for i in (1, 2, 3, 9)}
    result = {s.item_id: s for s in analyse(ResponseTable.from_rows(rows), items, min_responses=1)}
    assert result[9].point_biserial is None


def test_true_false_and_multiple_choice_items():
    judge = ItemInfo(1, JUDGE, 2, (1,))                 # answer 错误
    multi = ItemInfo(2, MULTI, 4, (0, 2))               # answer AC
    rows = []
    for paper in range(40):
        strong = paper >= 20
        # Judge: the strong half answers 错误 (right); the weak half 正确.
        rows.append((paper, 1, strong, 1.0 if strong else 0.0, [1] if strong else [0]))
        # Multi: the strong half chooses AC; the weak half A only, or ABC (B is wrong, D never chosen).
        chosen = [0, 2] if strong else ([0] if paper % 2 else [0, 1, 2])
        rows.append((paper, 2, strong, 2.0 if strong else 0.0, chosen))
    result = analyse(ResponseTable.from_rows(rows), {1: judge, 2: multi})
    j, m = result
    assert j.option_share == (0.5, 0.5)
    assert j.p_value == 0.5 and j.flags == ()           # no distractor flags for true/false items
    assert m.option_share == (1.0, 0.25, 0.75, 0.0)
    assert m.option_upper == (1.0, 0.0, 1.0, 0.0)
    # Only D (unused) is flagged: A and C are in the key, B is chosen by the lower group only.
    assert codes(m) == [st.DISTRACTOR_UNUSED]
    assert m.flags[0].params["letter"] == "D"


def test_item_info_from_content():
    content, problems = build_content(type=MULTI, stem="动火作业前应当做哪些准备？", options=["A", "B", "C", "D"],
                                      answer="ABD", explanation="见规程。", knowledge_point="动火作业",
                                      cognitive_level=CognitiveLevel.MASTER, difficulty=3)
    assert problems == []
    assert ItemInfo.from_content(7, content) == ItemInfo(7, MULTI, 4, (0, 1, 3))
    judge, _ = build_content(type=JUDGE, stem="可以带电作业。", options=[], answer="F", explanation="不可以。",
                             knowledge_point="电工", cognitive_level=CognitiveLevel.UNDERSTAND, difficulty=1)
    assert ItemInfo.from_content(8, judge) == ItemInfo(8, JUDGE, 2, (1,))


# --------------------------------------------------------------------------------------------------
# Flags at their boundaries


def stats_with(**changes) -> ItemStatistics:
    base = ItemStatistics(item_id=1, responses=100, p_value=0.6, point_biserial=0.4, upper_lower=0.5,
                          p_upper=0.9, p_lower=0.4, option_share=(0.6, 0.2, 0.1, 0.1),
                          option_upper=(0.9, 0.05, 0.05, 0.0), option_lower=(0.4, 0.3, 0.1, 0.2))
    return dataclasses.replace(base, **changes)


def flag_codes(info=None, **changes):
    return [p.code for p in flags_for(stats_with(**changes), info or single(1), min_responses=30)]


def test_a_good_item_has_no_flags():
    assert flag_codes() == []


def test_few_responses_suppresses_every_other_flag():
    assert flag_codes(responses=29, p_value=0.05, point_biserial=-0.5) == [st.FEW_RESPONSES]
    assert flag_codes(responses=30) == []
    (problem,) = flags_for(stats_with(responses=29), single(1), min_responses=30)
    assert problem.params == {"count": 29, "min": 30}
    assert flags_for(stats_with(responses=3), single(1), min_responses=0) == ()


@pytest.mark.parametrize("p, expected", [
    (0.19999, [st.TOO_HARD]), (0.20, []), (0.95, []), (0.95001, [st.TOO_EASY]),
])
def test_difficulty_boundaries(p, expected):
    assert flag_codes(p_value=p) == expected


@pytest.mark.parametrize("r, expected", [
    (-0.2, [st.NEGATIVE_DISCRIMINATION]), (-1e-9, [st.NEGATIVE_DISCRIMINATION]), (0.0, [st.LOW_DISCRIMINATION]),
    (0.14999, [st.LOW_DISCRIMINATION]), (0.15, []), (None, []),
])
def test_discrimination_boundaries(r, expected):
    assert flag_codes(point_biserial=r) == expected


def test_distractor_unused_boundary_and_key_options():
    assert flag_codes(option_share=(0.6, 0.2, 0.18, 0.02)) == []
    flags = flags_for(stats_with(option_share=(0.6, 0.2, 0.2, 0.01999)), single(1))
    assert [(p.code, p.params["letter"]) for p in flags] == [(st.DISTRACTOR_UNUSED, "D")]
    # The key is never a "distractor", however rarely it is chosen.
    assert flag_codes(option_share=(0.0, 0.5, 0.5, 0.5), p_value=0.5) == []
    assert flag_codes(ItemInfo(1, JUDGE, 2, (0,)), option_share=(1.0, 0.0), option_upper=(1.0, 0.0),
                      option_lower=(1.0, 0.0)) == []


def test_distractor_attracts_upper_boundary():
    equal = (0.9, 0.1, 0.1, 0.1)
    assert flag_codes(option_upper=equal, option_lower=equal) == []
    flags = flags_for(stats_with(option_upper=(0.5, 0.3, 0.1, 0.1), option_lower=(0.5, 0.2, 0.1, 0.1)), single(1))
    assert [(p.code, p.params["letter"], p.field) for p in flags] == [(st.DISTRACTOR_ATTRACTS_UPPER, "B", "option_B")]
    assert flags[0].params["upper"] == "30.0%" and flags[0].params["lower"] == "20.0%"
    # Multiple choice: options in the key may be chosen more by the upper group; wrong options may not.
    multi = ItemInfo(1, MULTI, 4, (0, 1))
    assert flag_codes(multi, option_upper=(0.9, 0.9, 0.1, 0.1), option_lower=(0.4, 0.4, 0.3, 0.2)) == []
    assert flag_codes(multi, option_upper=(0.9, 0.9, 0.3, 0.1), option_lower=(0.4, 0.4, 0.2, 0.2)) == \
        [st.DISTRACTOR_ATTRACTS_UPPER]
    # True/false items have no distractors; an empty group has nothing to compare.
    judge = ItemInfo(1, JUDGE, 2, (0,))
    assert flag_codes(judge, option_share=(0.6, 0.4), option_upper=(0.5, 0.5), option_lower=(0.9, 0.1)) == []
    assert flag_codes(option_upper=None, option_lower=None) == []


def test_flag_boundaries_on_real_tables():
    """p exactly 0.20 / 0.95 and a wrong option chosen by exactly 2 % are not flagged; one response less is."""
    def table_for(n, right, rare):
        rows = []
        for paper in range(n):
            ok = paper < right
            option = 0 if ok else (3 if paper >= n - rare else 1 + paper % 2)
            rows.append((paper, 1, ok, 1.0 if ok else 0.0, [option]))
            rows.append((paper, 2, paper % 2 == 0, float(paper % 2 == 0), [0 if paper % 2 == 0 else 1]))
        return analyse(ResponseTable.from_rows(rows), {1: single(1), 2: single(2)})[0]

    assert table_for(50, 10, rare=1).p_value == 0.2
    assert st.TOO_HARD not in codes(table_for(50, 10, rare=1))
    assert st.TOO_HARD in codes(table_for(50, 9, rare=1))
    assert st.TOO_EASY not in codes(table_for(40, 38, rare=0))
    assert st.TOO_EASY in codes(table_for(40, 39, rare=0))
    unused = [p.params["letter"] for p in table_for(50, 30, rare=1).flags if p.code == st.DISTRACTOR_UNUSED]
    assert unused == []                      # D: 1 of 50 = exactly 2 %
    unused = [p.params["letter"] for p in table_for(51, 30, rare=1).flags if p.code == st.DISTRACTOR_UNUSED]
    assert unused == ["D"]                   # 1 of 51 < 2 %
    few = analyse(ResponseTable.from_rows([(p, 1, p < 5, float(p < 5), [0]) for p in range(29)]), {1: single(1)})
    assert codes(few[0]) == [st.FEW_RESPONSES]


def test_every_flag_message_renders_with_its_params():
    stats = stats_with(p_value=0.1, point_biserial=-0.3, option_share=(0.1, 0.0, 0.45, 0.45),
                       option_upper=(0.0, 0.0, 0.9, 0.1), option_lower=(0.2, 0.0, 0.4, 0.4))
    flags = flags_for(stats, single(1)) + flags_for(stats_with(p_value=0.99, point_biserial=0.1), single(1)) + \
        flags_for(stats_with(responses=5), single(1))
    assert {p.code for p in flags} == set(st.FLAG_CODES)
    for problem in flags:
        text = problem.render()
        assert "%(" not in text and text.strip()
        label = st.FLAG_LABELS[problem.code] % problem.params
        assert "%(" not in label
    assert set(st.FLAG_LABELS) == set(st.FLAG_CODES)


# --------------------------------------------------------------------------------------------------
# Validation


def test_response_table_validates_its_arrays():
    n = 3
    good = dict(paper=np.arange(n), item=np.ones(n, dtype=np.int64), correct=np.ones(n, dtype=bool),
                points=np.ones(n), chosen=np.zeros((n, 6), dtype=bool))
    table = ResponseTable(**good)
    assert len(table) == 3 and table.paper.dtype == np.int64 and table.points.dtype == np.float64
    with pytest.raises(ValueError):
        table.points[0] = 5.0                    # read-only
    good["points"][0] = 9.0
    assert table.points[0] == 1.0                # a private copy
    bad_cases = [
        dict(paper=np.arange(n + 1)),
        dict(points=np.ones(n - 1)),
        dict(correct=np.ones(n + 1, dtype=bool)),
        dict(chosen=np.zeros((n, 5), dtype=bool)),
        dict(chosen=np.zeros((n + 1, 6), dtype=bool)),
        dict(chosen=np.zeros(n * 6, dtype=bool)),
        dict(paper=np.array([1.5, 2.0, 3.0])),
        dict(item=np.array(["a", "b", "c"])),
        dict(paper=np.arange(n).reshape(n, 1)),
        dict(points=np.array([1.0, np.nan, 1.0])),
        dict(correct=np.array([0, 1, 2])),
        dict(paper=np.zeros(n, dtype=np.int64)),  # paper 0 answers item 1 three times
    ]
    for change in bad_cases:
        with pytest.raises(ValueError):
            ResponseTable(**{**good, **change})
    assert len(ResponseTable(paper=[], item=[], correct=[], points=[], chosen=[])) == 0
    assert ResponseTable(**{**good, "correct": np.array([0, 1, 1])}).correct.tolist() == [False, True, True]


def test_from_rows_validates_rows():
    table = ResponseTable.from_rows([(1, 2, True, 1.5, [0, 5]), (1, 3, 0, 0, ())])
    assert table.chosen.tolist() == [[True, False, False, False, False, True], [False] * 6]
    assert table.correct.tolist() == [True, False] and table.points.tolist() == [1.5, 0.0]
    assert len(ResponseTable.from_rows([])) == 0
    for rows in ([(1, 2, True, 1.0)], [(1, 2, True, 1.0, [6])], [(1, 2, True, 1.0, [-1])],
                 [(1, 2, True, 1.0, [True])], [(1.5, 2, True, 1.0, [0])], [(1, 2, True, "x", [0])],
                 [(1, 2, True, 1.0, [0]), (1, 2, False, 0.0, [1])]):
        with pytest.raises(ValueError):
            ResponseTable.from_rows(rows)


def test_item_info_and_analyse_validate_their_input():
    for args in ((1, SINGLE, 7, (0,)), (1, SINGLE, 1, (0,)), (1, JUDGE, 3, (0,)), (1, SINGLE, 4, (4,)),
                 (1, SINGLE, 4, (0, 1)), (1, MULTI, 4, ()), (1, MULTI, 4, (1, 1))):
        with pytest.raises(ValueError):
            ItemInfo(*args)
    assert ItemInfo(1, MULTI, 4, (2, 0)).key == (0, 2)
    table = ResponseTable.from_rows(HAND_ROWS)
    with pytest.raises(ValueError, match="30"):
        analyse(table, {10: single(10), 20: single(20)})                   # item 30 unknown
    with pytest.raises(ValueError, match="D"):
        analyse(table, {10: single(10), 20: single(20, 1), 30: single(30, 2, options=3)})  # D chosen, 3 options
    with pytest.raises(ValueError):
        analyse(table, {**HAND_ITEMS, 10: single(11)})                     # key and item id disagree
    for fraction in (0, -0.1, 0.51):
        with pytest.raises(ValueError):
            analyse(table, HAND_ITEMS, group_fraction=fraction)
    with pytest.raises(ValueError):
        analyse(table, HAND_ITEMS, min_responses=-1)
    assert analyse(ResponseTable.from_rows([]), HAND_ITEMS) == []


# --------------------------------------------------------------------------------------------------
# An independent, slow, pure-Python reference


def slow_analyse(rows, items, group_fraction, min_responses):
    totals = defaultdict(float)
    for paper, _item, _correct, points, _chosen in rows:
        totals[paper] += points
    totals = {p: round(t, 6) for p, t in totals.items()}
    ordered = sorted(totals, key=lambda p: (totals[p], p))
    k = min(int(group_fraction * len(ordered) + 0.5), len(ordered) // 2)
    lower, upper = set(ordered[:k]), set(ordered[len(ordered) - k:]) if k else set()
    by_item = defaultdict(list)
    for paper, item, correct, points, chosen in rows:
        by_item[item].append((paper, 1.0 if correct else 0.0, round(totals[paper] - points, 6), set(chosen)))
    result = []
    for item in sorted(by_item):
        responses = by_item[item]
        info = items[item]
        n = len(responses)
        xs = [x for _, x, _, _ in responses]
        ys = [y for _, _, y, _ in responses]
        mx, my = sum(xs) / n, sum(ys) / n
        sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
        sxx = sum((x - mx) ** 2 for x in xs)
        syy = sum((y - my) ** 2 for y in ys)
        r = None if len(set(xs)) < 2 or len(set(ys)) < 2 else sxy / math.sqrt(sxx * syy)

        def share(group):
            chosen = [c for paper, _, _, c in responses if group is None or paper in group]
            if not chosen:
                return None, None
            right = sum(x for paper, x, _, _ in responses if group is None or paper in group)
            return right / len(chosen), tuple(sum(o in c for c in chosen) / len(chosen)
                                              for o in range(info.option_count))

        p_upper, option_upper = share(upper)
        p_lower, option_lower = share(lower)
        stats = ItemStatistics(item, n, sum(xs) / n, r,
                               None if p_upper is None or p_lower is None else p_upper - p_lower,
                               p_upper, p_lower, share(None)[1], option_upper, option_lower)
        result.append(dataclasses.replace(stats, flags=flags_for(stats, info, min_responses=min_responses)))
    return result


def assert_same(fast, slow):
    assert [s.item_id for s in fast] == [s.item_id for s in slow]
    for a, b in zip(fast, slow):
        for field in dataclasses.fields(ItemStatistics):
            x, y = getattr(a, field.name), getattr(b, field.name)
            if field.name == "flags":
                assert [(p.code, p.params.get("letter")) for p in x] == [(p.code, p.params.get("letter")) for p in y]
            elif x is None or y is None or isinstance(x, int):
                assert x == y, (a.item_id, field.name)
            else:
                assert x == pytest.approx(y, rel=1e-9, abs=1e-12), (a.item_id, field.name)


def random_rows(rng, papers, items, per_paper):
    rows = []
    for paper in range(papers):
        ability = rng.normal()
        for item in rng.choice(sorted(items), size=per_paper, replace=False).tolist():
            info = items[item]
            if rng.random() < 1 / (1 + math.exp(-(ability - (item % 5 - 2) * 0.5))):
                chosen = list(info.key)
            else:
                count = int(rng.integers(1, info.option_count + 1)) if info.type is MULTI else 1
                chosen = sorted(rng.choice(info.option_count, size=count, replace=False).tolist())
            correct = tuple(chosen) == info.key
            points = {SINGLE: 1.0, JUDGE: 0.5, MULTI: 2.0}[info.type] if correct else 0.0
            rows.append((paper * 7 + 3, item, correct, points, chosen))
    rng.shuffle(rows)
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_equals_the_slow_reference_on_random_data(seed):
    rng = np.random.default_rng(seed)
    items = {}
    for item in range(100, 130):
        kind = [SINGLE, JUDGE, MULTI][item % 3]
        count = 2 if kind is JUDGE else int(rng.integers(3, 7))
        key = tuple(sorted(rng.choice(count, size=2 if kind is MULTI else 1, replace=False).tolist()))
        items[item] = ItemInfo(item, kind, count, key)
    rows = random_rows(rng, papers=120, items=items, per_paper=12)
    table = ResponseTable.from_rows(rows)
    for fraction, minimum in ((0.27, 30), (0.5, 10), (0.1, 60)):
        assert_same(analyse(table, items, group_fraction=fraction, min_responses=minimum),
                    slow_analyse(rows, items, fraction, minimum))


CONSTANT_REST_ROWS = [(1, 10, True, 1.0, [0]), (2, 10, False, 0.0, [1]), (3, 10, True, 1.0, [0]),
                      (1, 20, True, 1.0, [0]), (2, 20, True, 1.0, [0]), (3, 20, True, 1.0, [0])]


@pytest.mark.parametrize("rows", [HAND_ROWS, CONSTANT_REST_ROWS, HAND_ROWS[:5]])
@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.27, 0.5])
def test_vectorised_equals_the_slow_reference_on_small_edge_cases(rows, fraction):
    items = {10: single(10, 0), 20: single(20, 1), 30: single(30, 2)}
    assert_same(analyse(ResponseTable.from_rows(rows), items, group_fraction=fraction, min_responses=2),
                slow_analyse(rows, items, fraction, 2))


def test_vectorised_equals_the_slow_reference_on_simulated_data():
    table, items, _ = simulate(np.random.default_rng(11), candidates=150, n_items=40, per_candidate=15)
    rows = [(p, i, c, pt, np.flatnonzero(ch).tolist()) for p, i, c, pt, ch in
            zip(table.paper.tolist(), table.item.tolist(), table.correct.tolist(), table.points.tolist(),
                table.chosen)]
    assert_same(analyse(table, items), slow_analyse(rows, items, 0.27, 30))


# --------------------------------------------------------------------------------------------------
# A simulated exam (two-parameter logistic IRT model)

MISKEYED, VERY_EASY = 1, 2


def simulate(rng, *, candidates, n_items, per_candidate):
    """Single (4 options), true/false and multiple-choice (4 options, 2 keyed) items under a 2PL model.

    Item 1 is mis-keyed: candidates who know the topic choose A, but the key says B. Item 2 is very easy.
    A candidate who does not answer correctly picks a wrong option at random (multiple choice: the key
    with one option toggled).
    """
    item_ids = np.arange(1, n_items + 1)
    kinds = np.where(item_ids % 10 == 5, 1, np.where(item_ids % 10 == 7, 2, 0))    # 0 single, 1 judge, 2 multi
    kinds[:2] = 0
    option_count = np.array([4, 2, 4])[kinds]
    true_answer = rng.integers(0, option_count)
    true_answer[0] = 0
    a = rng.uniform(1.2, 2.2, n_items)
    b = rng.uniform(-0.8, 0.8, n_items)
    a[0], b[0] = 1.5, -0.5
    a[1], b[1] = 1.5, -4.0
    key_mask = np.zeros((n_items, 6), dtype=bool)          # the key used for scoring
    true_mask = np.zeros((n_items, 6), dtype=bool)         # what those who know the topic choose
    single_like = kinds != 2
    true_mask[np.flatnonzero(single_like), true_answer[single_like]] = True
    multi = np.flatnonzero(kinds == 2)
    true_mask[multi, 0] = True
    true_mask[multi, 2] = True
    key_mask[:] = true_mask
    key_mask[0] = False
    key_mask[0, 1] = True                                  # mis-keyed: B instead of A

    theta = rng.normal(size=candidates)
    assigned = np.argsort(rng.random((candidates, n_items)), axis=1)[:, :per_candidate]
    paper = np.repeat(np.arange(candidates, dtype=np.int64) + 1000, per_candidate)
    item = assigned.ravel()
    knows = rng.random(len(item)) < 1 / (1 + np.exp(-a[item] * (theta[paper - 1000] - b[item])))
    chosen = true_mask[item].copy()
    wrong = np.flatnonzero(~knows)
    # Single / true-false: move to another option; multiple choice: toggle one of the four options.
    k = option_count[item[wrong]]
    is_multi = kinds[item[wrong]] == 2
    shift = np.where(is_multi, rng.integers(0, 4, len(wrong)), 1 + (rng.random(len(wrong)) * (k - 1)).astype(int))
    target = np.where(is_multi, shift, (true_answer[item[wrong]] + shift) % k)
    chosen[wrong[~is_multi]] = False
    chosen[wrong, target] = ~chosen[wrong, target] | ~is_multi
    correct = (chosen == key_mask[item]).all(axis=1)
    weight = np.array([1.0, 1.0, 2.0])[kinds[item]]
    table = ResponseTable(paper=paper, item=item_ids[item], correct=correct, points=correct * weight, chosen=chosen)
    types = [SINGLE, JUDGE, MULTI]
    items = {int(i): ItemInfo(int(i), types[kinds[j]], int(option_count[j]),
                              tuple(np.flatnonzero(key_mask[j]).tolist())) for j, i in enumerate(item_ids)}
    return table, items, (a, b)


def test_simulated_exam_flags_the_miskeyed_and_the_very_easy_item_only():
    table, items, _ = simulate(np.random.default_rng(2026), candidates=1000, n_items=200, per_candidate=50)
    assert len(table) == 50_000
    result = {s.item_id: s for s in analyse(table, items)}
    assert len(result) == 200 and all(s.responses >= 150 for s in result.values())

    miskeyed = result[MISKEYED]
    assert miskeyed.point_biserial < -0.2 and miskeyed.upper_lower < 0
    assert st.NEGATIVE_DISCRIMINATION in codes(miskeyed)
    # The true answer A is a "wrong option" that strong candidates choose.
    assert (st.DISTRACTOR_ATTRACTS_UPPER, "A") in [(p.code, p.params.get("letter")) for p in miskeyed.flags]

    easy = result[VERY_EASY]
    assert easy.p_value > 0.95 and st.TOO_EASY in codes(easy)
    assert st.NEGATIVE_DISCRIMINATION not in codes(easy)

    good = {i: s for i, s in result.items() if i not in (MISKEYED, VERY_EASY)}
    flagged = {i: codes(s) for i, s in good.items() if s.flags}
    assert flagged == {}
    assert min(s.point_biserial for s in good.values()) > 0.2
    assert min(s.upper_lower for s in good.values()) > 0.2

    report = format_report(list(result.values()))
    assert "negative discrimination" in report and "too easy" in report


def test_two_hundred_thousand_responses_in_well_under_a_second():
    table, items, _ = simulate(np.random.default_rng(7), candidates=4000, n_items=200, per_candidate=50)
    assert len(table) == 200_000
    analyse(table, items)                                  # warm up
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        result = analyse(table, items)
        best = min(best, time.perf_counter() - started)
    assert len(result) == 200
    assert best < 2.0, f"{best:.3f} s"


# --------------------------------------------------------------------------------------------------
# The plain-text report


def test_report_is_a_fixed_width_table_with_the_messages_below():
    table = ResponseTable.from_rows(HAND_ROWS)
    result = analyse(table, HAND_ITEMS, group_fraction=0.25, min_responses=1)
    result.append(ItemStatistics(1234, 1, 1.0, None, None, None, None, (1.0, 0.0), None, None))
    text = format_report(result)
    lines = text.splitlines()
    assert lines[0].split() == ["Item", "n", "p", "r_pb", "D", "Flags"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:5] == ["10", "4", "0.500", "0.000", "1.000"]
    assert "low discrimination; unused option D" in lines[2]
    assert lines[3].split()[:5] == ["20", "4", "0.750", "-0.522", "0.000"]
    assert lines[5].split() == ["1234", "1", "1.000", "-", "-"]
    # Numeric columns are right-aligned: they end at the same position on every row.
    for column in range(5):
        ends = {[m.end() for m in re.finditer(r"\S+", line)][column] for line in lines[2:6]}
        assert len(ends) == 1
    assert "20: Negative discrimination (item–rest correlation -0.52)" in text
    assert format_report([]) == "No responses to analyse.\n"


def test_report_translates_and_aligns_wide_characters():
    zh = {"Item": "试题", "Flags": "提示", "unused option %(letter)s": "干扰项%(letter)s无人选",
          "low discrimination": "区分度低", "negative discrimination": "负区分度",
          "No responses to analyse.": "没有可分析的作答。"}
    translate = lambda s: zh.get(s, s)   # noqa: E731
    result = analyse(ResponseTable.from_rows(HAND_ROWS), HAND_ITEMS, group_fraction=0.25, min_responses=1)
    lines = format_report(result, translate).splitlines()
    assert lines[0].startswith("试题")
    assert lines[1].startswith("----  ")          # 试题 is four columns wide
    assert lines[2].startswith("  10  ")
    assert "区分度低; 干扰项D无人选" in lines[2]
    assert format_report([], translate) == "没有可分析的作答。\n"
