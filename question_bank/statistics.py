"""Classical item analysis (经典测量理论 item statistics) from scored responses.

Everything is computed in bulk with numpy over all responses at once (``np.bincount`` and vectorised
arithmetic); the only Python loop runs over items, to build the result objects and their flags.

Definitions (one entry of a :class:`ResponseTable` is one scored response of one paper to one item):

* **p** (difficulty index, 难度): proportion of the item's respondents who answered correctly.
* **r_pb** (corrected point-biserial, 区分度): Pearson correlation of "correct" (0/1) with the
  *rest score* — the paper's total minus the points of this very response — over the item's
  respondents. ``None`` when either side has no variance (everyone right, everyone wrong, or all
  rest scores equal) or when there are fewer than two respondents.
* **D** (upper–lower discrimination): ``p_upper − p_lower``. Papers over the *whole table* are put
  in order of total score and then of paper id (so of two papers with the same total, the one with the
  higher id counts as the better one); the ``k`` lowest form the lower group and the ``k`` highest
  the upper group, where ``k = floor(group_fraction × papers + 0.5)``, at most half the papers (the
  groups never overlap). ``p_upper`` / ``p_lower`` are the proportions correct among the item's
  respondents in each group; ``None`` when the item has no respondent in that group.
* **option shares**: for every option as authored (A–F, not the shuffled order a candidate saw), the
  share of the item's respondents who chose it — overall, in the upper group and in the lower group.
  For true/false items option 0 is 正确 and option 1 is 错误. Multiple choice (多选) is scored
  all-or-nothing; its "wrong options" are those outside the key.

This module is plain Python + numpy; it never imports the application.
"""
from __future__ import annotations

import dataclasses
import math
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .items import LETTERS, ItemContent, ItemType
from .problems import N_, Problem

OPTION_SLOTS = len(LETTERS)            # columns of ResponseTable.chosen (A–F)
# Totals and rest scores are rounded to this many decimals, so that scores that are equal on paper
# (0.1 + 0.2 and 0.3) compare equal for ties and for "no variance", whatever the order of summation.
SCORE_DECIMALS = 6

DEFAULT_GROUP_FRACTION = 0.27          # Kelley's upper/lower 27 %
DEFAULT_MIN_RESPONSES = 30             # fewer responses: only "few responses" is reported

TOO_HARD_BELOW = 0.20                  # p < 0.20
TOO_EASY_ABOVE = 0.95                  # p > 0.95
LOW_DISCRIMINATION_BELOW = 0.15        # 0 ≤ r_pb < 0.15 (r_pb < 0 is "negative discrimination")
DISTRACTOR_UNUSED_BELOW = 0.02         # a wrong option chosen by < 2 % of respondents

FEW_RESPONSES = "stats.few_responses"
TOO_HARD = "stats.too_hard"
TOO_EASY = "stats.too_easy"
LOW_DISCRIMINATION = "stats.low_discrimination"
NEGATIVE_DISCRIMINATION = "stats.negative_discrimination"
DISTRACTOR_UNUSED = "stats.distractor_unused"
DISTRACTOR_ATTRACTS_UPPER = "stats.distractor_attracts_upper"

FLAG_CODES = (FEW_RESPONSES, TOO_HARD, TOO_EASY, LOW_DISCRIMINATION, NEGATIVE_DISCRIMINATION,
              DISTRACTOR_UNUSED, DISTRACTOR_ATTRACTS_UPPER)

# Short labels for the flags column of the plain-text report (the full messages follow the table).
FLAG_LABELS = {
    FEW_RESPONSES: N_("few responses"),
    TOO_HARD: N_("too hard"),
    TOO_EASY: N_("too easy"),
    LOW_DISCRIMINATION: N_("low discrimination"),
    NEGATIVE_DISCRIMINATION: N_("negative discrimination"),
    DISTRACTOR_UNUSED: N_("unused option %(letter)s"),
    DISTRACTOR_ATTRACTS_UPPER: N_("option %(letter)s attracts strong candidates"),
}


# --------------------------------------------------------------------------------------------------
# Input


def _integer_array(name: str, values) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(array.shape, dtype=np.int64)
    if array.dtype == np.bool_:
        raise ValueError(f"{name} must hold integers, not booleans")
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, not {array.dtype}")
    return array.astype(np.int64)


def _bool_array(name: str, values) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == np.bool_:
        return array.copy()
    if array.size == 0:
        return np.zeros(array.shape, dtype=bool)
    if array.dtype.kind not in "iu" or not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold booleans (or 0/1)")
    return array.astype(bool)


@dataclass(frozen=True, eq=False)
class ResponseTable:
    """Scored responses, one entry per response, as equal-length (read-only) numpy arrays.

    ``chosen[i, j]`` says whether response ``i`` chose original option ``j`` (A–F as authored).
    A paper answers an item at most once.
    """

    paper: np.ndarray     # int64 (n,)
    item: np.ndarray      # int64 (n,)
    correct: np.ndarray   # bool (n,)
    points: np.ndarray    # float64 (n,)
    chosen: np.ndarray    # bool (n, 6)

    def __post_init__(self) -> None:
        paper = _integer_array("paper", self.paper)
        item = _integer_array("item", self.item)
        correct = _bool_array("correct", self.correct)
        points_raw = np.asarray(self.points)
        if points_raw.size and points_raw.dtype.kind not in "iuf":
            raise ValueError(f"points must be numbers, not {points_raw.dtype}")
        points = points_raw.astype(np.float64)
        chosen = _bool_array("chosen", self.chosen)
        for name, array in (("paper", paper), ("item", item), ("correct", correct), ("points", points)):
            if array.ndim != 1:
                raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
        n = len(paper)
        lengths = {"paper": n, "item": len(item), "correct": len(correct), "points": len(points)}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"the arrays differ in length: {lengths}")
        if n == 0 and chosen.size == 0:
            chosen = np.zeros((0, OPTION_SLOTS), dtype=bool)
        if chosen.shape != (n, OPTION_SLOTS):
            raise ValueError(f"chosen must have shape ({n}, {OPTION_SLOTS}), got {chosen.shape}")
        if not np.isfinite(points).all():
            raise ValueError("points must be finite numbers")
        if n > 1:
            order = np.lexsort((item, paper))
            same = (paper[order][1:] == paper[order][:-1]) & (item[order][1:] == item[order][:-1])
            if same.any():
                at = order[1:][same][0]
                raise ValueError(f"paper {paper[at]} answers item {item[at]} more than once")
        # The coercions above made private copies; freeze them.
        for name, array in (("paper", paper), ("item", item), ("correct", correct), ("points", points),
                            ("chosen", chosen)):
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    def __len__(self) -> int:
        return len(self.paper)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, int, bool, float, Sequence[int]]]) -> "ResponseTable":
        """From ``(paper, item, correct, points, chosen option indices)`` rows."""
        papers, items, corrects, points = [], [], [], []
        chosen_rows, chosen_options = [], []
        for index, row in enumerate(rows):
            if len(row) != 5:
                raise ValueError(f"row {index} has {len(row)} fields; expected "
                                 "(paper, item, correct, points, chosen option indices)")
            paper, item, correct, score, options = row
            papers.append(paper)
            items.append(item)
            corrects.append(bool(correct))
            points.append(score)
            for option in options:
                if isinstance(option, bool) or not isinstance(option, (int, np.integer)) \
                        or not 0 <= option < OPTION_SLOTS:
                    raise ValueError(f"row {index}: option index {option!r} is not in 0..{OPTION_SLOTS - 1}")
                chosen_rows.append(index)
                chosen_options.append(int(option))
        n = len(papers)
        chosen = np.zeros((n, OPTION_SLOTS), dtype=bool)
        chosen[np.asarray(chosen_rows, dtype=np.int64), np.asarray(chosen_options, dtype=np.int64)] = True
        # Ids are not forced to int64 here, so that 1.5 or "7" is refused rather than truncated.
        return cls(np.asarray(papers), np.asarray(items), np.asarray(corrects, dtype=bool), np.asarray(points),
                   chosen)


@dataclass(frozen=True)
class ItemInfo:
    """What the analysis needs to know about an item: its type, number of options and answer key."""

    item_id: int
    type: ItemType
    option_count: int
    key: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", tuple(sorted(int(k) for k in self.key)))
        if not 2 <= self.option_count <= OPTION_SLOTS:
            raise ValueError(f"item {self.item_id}: option_count must be 2..{OPTION_SLOTS}")
        if self.type is ItemType.JUDGE and self.option_count != 2:
            raise ValueError(f"item {self.item_id}: a true/false item has exactly 2 options")
        if not self.key or len(set(self.key)) != len(self.key) \
                or not all(0 <= k < self.option_count for k in self.key):
            raise ValueError(f"item {self.item_id}: the key {self.key} does not fit {self.option_count} options")
        if self.type is not ItemType.MULTI and len(self.key) != 1:
            raise ValueError(f"item {self.item_id}: a {self.type.value} item has exactly one correct option")

    @classmethod
    def from_content(cls, item_id: int, content: ItemContent) -> "ItemInfo":
        return cls(item_id, content.type, len(content.options), content.answer)


# --------------------------------------------------------------------------------------------------
# Output


@dataclass(frozen=True)
class ItemStatistics:
    item_id: int
    responses: int
    p_value: float
    point_biserial: float | None
    upper_lower: float | None
    p_upper: float | None
    p_lower: float | None
    option_share: tuple[float, ...]            # one per original option (option_count entries)
    option_upper: tuple[float, ...] | None      # None when the item has no respondent in the upper group
    option_lower: tuple[float, ...] | None
    flags: tuple[Problem, ...] = ()

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.flags)


# --------------------------------------------------------------------------------------------------
# Computation


def paper_totals(table: ResponseTable) -> dict[int, float]:
    """Total points of every paper in the table."""
    papers, totals, _ = _totals(table)
    return dict(zip(papers.tolist(), totals.tolist()))


def _totals(table: ResponseTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted unique paper ids, their (rounded) totals, and each response's index into them."""
    papers, paper_index = np.unique(table.paper, return_inverse=True)
    totals = np.round(np.bincount(paper_index, weights=table.points, minlength=len(papers)), SCORE_DECIMALS)
    return papers, totals, paper_index


def _group_size(paper_count: int, group_fraction: float) -> int:
    return min(int(math.floor(group_fraction * paper_count + 0.5)), paper_count // 2)


def _check_fraction(group_fraction: float) -> None:
    if not 0 < group_fraction <= 0.5:
        raise ValueError("group_fraction must be in (0, 0.5]")


def _paper_groups(totals: np.ndarray, papers: np.ndarray, group_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks over ``papers`` (sorted unique ids) for the upper and the lower group."""
    k = _group_size(len(papers), group_fraction)
    order = np.lexsort((papers, totals))          # by total, then by paper id
    upper = np.zeros(len(papers), dtype=bool)
    lower = np.zeros(len(papers), dtype=bool)
    if k:
        lower[order[:k]] = True
        upper[order[-k:]] = True
    return upper, lower


def score_groups(table: ResponseTable, group_fraction: float = DEFAULT_GROUP_FRACTION) -> tuple[list[int], list[int]]:
    """Paper ids of the upper and the lower group (see the module docstring for ties)."""
    _check_fraction(group_fraction)
    papers, totals, _ = _totals(table)
    upper, lower = _paper_groups(totals, papers, group_fraction)
    return papers[upper].tolist(), papers[lower].tolist()


def analyse(table: ResponseTable, items: Mapping[int, ItemInfo], *,
            group_fraction: float = DEFAULT_GROUP_FRACTION,
            min_responses: int = DEFAULT_MIN_RESPONSES) -> list[ItemStatistics]:
    """Statistics of every item with at least one response, sorted by item id.

    Every item in the table must be described in ``items`` (its responses count towards the paper
    totals either way); items in ``items`` without responses are left out.
    """
    _check_fraction(group_fraction)
    if min_responses < 0:
        raise ValueError("min_responses must not be negative")
    for item_id, info in items.items():
        if info.item_id != item_id:
            raise ValueError(f"items[{item_id}] describes item {info.item_id}")
    if len(table) == 0:
        return []

    papers, totals, paper_index = _totals(table)
    item_ids, item_index = np.unique(table.item, return_inverse=True)
    unknown = [i for i in item_ids.tolist() if i not in items]
    if unknown:
        raise ValueError(f"no item information for items {unknown[:10]}")
    m = len(item_ids)
    correct = table.correct.astype(np.float64)

    # The rest score of every response: its paper's total without this response's points.
    rest = np.round(totals[paper_index] - table.points, SCORE_DECIMALS)

    # Difficulty.
    n = np.bincount(item_index, minlength=m).astype(np.float64)
    right = np.bincount(item_index, weights=correct, minlength=m)
    p = right / n

    # Corrected point-biserial, two-pass (centred) for numerical stability.
    rest_mean = np.bincount(item_index, weights=rest, minlength=m) / n
    centred = rest - rest_mean[item_index]
    rest_ss = np.bincount(item_index, weights=centred * centred, minlength=m)
    cross = np.bincount(item_index, weights=correct * centred, minlength=m)
    correct_ss = right * (n - right) / n
    # Exact zero-variance test on the rest score (min == max), not a tolerance on rest_ss.
    by_item = np.argsort(item_index, kind="stable")
    starts = np.concatenate(([0], np.cumsum(n.astype(np.int64))[:-1]))
    rest_sorted = rest[by_item]
    rest_constant = np.minimum.reduceat(rest_sorted, starts) == np.maximum.reduceat(rest_sorted, starts)
    defined = (right > 0) & (right < n) & ~rest_constant
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(defined, cross / np.sqrt(correct_ss * rest_ss), np.nan)
    r = np.clip(r, -1.0, 1.0)

    # Upper and lower groups.
    upper_paper, lower_paper = _paper_groups(totals, papers, group_fraction)
    in_upper = upper_paper[paper_index]
    in_lower = lower_paper[paper_index]
    n_upper = np.bincount(item_index, weights=in_upper, minlength=m)
    n_lower = np.bincount(item_index, weights=in_lower, minlength=m)
    right_upper = np.bincount(item_index, weights=correct * in_upper, minlength=m)
    right_lower = np.bincount(item_index, weights=correct * in_lower, minlength=m)

    # Option counts: one bincount over the (response, option) pairs that were chosen.
    rows, options = np.nonzero(table.chosen)
    cell = item_index[rows] * OPTION_SLOTS + options
    size = m * OPTION_SLOTS
    option_counts = np.bincount(cell, minlength=size).reshape(m, OPTION_SLOTS)
    option_upper = np.bincount(cell, weights=in_upper[rows], minlength=size).reshape(m, OPTION_SLOTS)
    option_lower = np.bincount(cell, weights=in_lower[rows], minlength=size).reshape(m, OPTION_SLOTS)

    # Build the results (the only loop: over items).
    results = []
    n_list, p_list, r_list = n.astype(np.int64).tolist(), p.tolist(), r.tolist()
    nu_list, nl_list = n_upper.tolist(), n_lower.tolist()
    ru_list, rl_list = right_upper.tolist(), right_lower.tolist()
    counts_list, upper_list, lower_list = option_counts.tolist(), option_upper.tolist(), option_lower.tolist()
    for j, item_id in enumerate(item_ids.tolist()):
        info = items[item_id]
        width = info.option_count
        beyond = [LETTERS[o] for o in range(width, OPTION_SLOTS) if counts_list[j][o]]
        if beyond:
            raise ValueError(f"item {item_id} has {width} options but responses chose {''.join(beyond)}")
        count = n_list[j]
        nu, nl = nu_list[j], nl_list[j]
        p_upper = ru_list[j] / nu if nu else None
        p_lower = rl_list[j] / nl if nl else None
        stats = ItemStatistics(
            item_id=item_id,
            responses=count,
            p_value=p_list[j],
            point_biserial=None if math.isnan(r_list[j]) else r_list[j],
            upper_lower=p_upper - p_lower if p_upper is not None and p_lower is not None else None,
            p_upper=p_upper,
            p_lower=p_lower,
            option_share=tuple(c / count for c in counts_list[j][:width]),
            option_upper=tuple(c / nu for c in upper_list[j][:width]) if nu else None,
            option_lower=tuple(c / nl for c in lower_list[j][:width]) if nl else None,
        )
        results.append(_with_flags(stats, info, min_responses))
    return results


def _with_flags(stats: ItemStatistics, info: ItemInfo, min_responses: int) -> ItemStatistics:
    return dataclasses.replace(stats, flags=flags_for(stats, info, min_responses=min_responses))


# --------------------------------------------------------------------------------------------------
# Flags


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _limit_percent(value: float) -> str:
    return f"{value * 100:g}%"


def flags_for(stats: ItemStatistics, info: ItemInfo, *,
              min_responses: int = DEFAULT_MIN_RESPONSES) -> tuple[Problem, ...]:
    """The problems an item's statistics point at (the rules and thresholds are the module constants)."""
    if stats.responses < min_responses:
        return (Problem(FEW_RESPONSES,
                        N_("Only %(count)s candidates have answered this item so far; its statistics are not "
                           "reliable until at least %(min)s have."),
                        None, {"count": stats.responses, "min": min_responses}),)
    flags: list[Problem] = []
    p = stats.p_value
    if p < TOO_HARD_BELOW:
        flags.append(Problem(TOO_HARD,
                             N_("Too hard: only %(p)s of candidates answered correctly (the limit is %(limit)s). "
                                "Check the answer key and the wording, and whether the topic is covered in training."),
                             None, {"p": _percent(p), "limit": _limit_percent(TOO_HARD_BELOW)}))
    if p > TOO_EASY_ABOVE:
        flags.append(Problem(TOO_EASY,
                             N_("Too easy: %(p)s of candidates answered correctly (the limit is %(limit)s), so the "
                                "item hardly separates candidates who know the topic from those who do not."),
                             None, {"p": _percent(p), "limit": _limit_percent(TOO_EASY_ABOVE)}))
    r = stats.point_biserial
    if r is not None and r < 0:
        flags.append(Problem(NEGATIVE_DISCRIMINATION,
                             N_("Negative discrimination (item–rest correlation %(r)s): candidates who score well "
                                "on the rest of the paper get this item wrong more often than weaker candidates. "
                                "Check the answer key first, then look for a misleading stem or a second "
                                "defensible answer."),
                             "answer", {"r": f"{r:.2f}"}))
    elif r is not None and r < LOW_DISCRIMINATION_BELOW:
        flags.append(Problem(LOW_DISCRIMINATION,
                             N_("Low discrimination (item–rest correlation %(r)s, below %(limit)s): candidates who "
                                "score well on the rest of the paper are hardly more likely to answer this item "
                                "correctly. Check for ambiguous wording or a second defensible answer."),
                             None, {"r": f"{r:.2f}", "limit": f"{LOW_DISCRIMINATION_BELOW:.2f}"}))
    if info.type is not ItemType.JUDGE:
        key = set(info.key)
        for option in range(info.option_count):
            if option in key:
                continue
            letter = LETTERS[option]
            share = stats.option_share[option]
            if share < DISTRACTOR_UNUSED_BELOW:
                flags.append(Problem(DISTRACTOR_UNUSED,
                                     N_("Wrong option %(letter)s was chosen by only %(share)s of candidates (the "
                                        "limit is %(limit)s); it distracts almost nobody. Consider replacing it "
                                        "with a more plausible wrong answer."),
                                     f"option_{letter}",
                                     {"letter": letter, "share": _percent(share),
                                      "limit": _limit_percent(DISTRACTOR_UNUSED_BELOW)}))
            if stats.option_upper is not None and stats.option_lower is not None \
                    and stats.option_upper[option] > stats.option_lower[option]:
                flags.append(Problem(DISTRACTOR_ATTRACTS_UPPER,
                                     N_("Wrong option %(letter)s attracts strong candidates: %(upper)s of the "
                                        "top-scoring group chose it, against %(lower)s of the bottom-scoring group. "
                                        "The option may also be correct, or the answer key may be wrong."),
                                     f"option_{letter}",
                                     {"letter": letter, "upper": _percent(stats.option_upper[option]),
                                      "lower": _percent(stats.option_lower[option])}))
    return tuple(flags)


# --------------------------------------------------------------------------------------------------
# Plain-text report


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_report(stats: Sequence[ItemStatistics], translate: Callable[[str], str] = lambda s: s) -> str:
    """A fixed-width table (item, n, p, r_pb, D, flags) followed by the full flag messages, for the CLI."""
    if not stats:
        return translate(N_("No responses to analyse.")) + "\n"
    headings = [translate(N_("Item")), "n", "p", "r_pb", "D", translate(N_("Flags"))]
    rows = []
    for s in stats:
        labels = []
        for flag in s.flags:
            label = translate(FLAG_LABELS.get(flag.code, flag.code))
            labels.append(label % flag.params if flag.params else label)
        rows.append([str(s.item_id), str(s.responses), _number(s.p_value), _number(s.point_biserial),
                     _number(s.upper_lower), "; ".join(labels)])
    widths = [max(_width(row[c]) for row in rows + [headings]) for c in range(len(headings))]
    lines = []
    for row in [headings] + rows:
        cells = [_pad(row[0], widths[0], right=True)] + [_pad(row[c], widths[c], right=True) for c in range(1, 5)]
        lines.append("  ".join(cells + [row[5]]).rstrip())
        if row is headings:
            lines.append("  ".join("-" * w for w in widths))
    details = [(s.item_id, flag) for s in stats for flag in s.flags]
    if details:
        lines.append("")
        for item_id, flag in details:
            lines.append(f"{item_id}: {flag.render(translate)}")
    return "\n".join(lines) + "\n"
