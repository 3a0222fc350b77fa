"""Three-way decisions over several frames, and 1:N identification within a roster with a margin."""
from __future__ import annotations

import numpy as np
import pytest

from devices.face import Outcome, Thresholds, identify, vote

T = Thresholds(accept=0.42, review=0.55)


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError):
        Thresholds(accept=0.6, review=0.5)
    with pytest.raises(ValueError):
        Thresholds(accept=0, review=0.5)


@pytest.mark.parametrize("distances,outcome,reason", [
    ([0.30, 0.35, 0.40], Outcome.ACCEPT, "match"),
    ([0.30, 0.35, 0.50], Outcome.ACCEPT, "match"),          # one grey frame among accepts
    ([0.30, 0.35, 0.70], Outcome.REVIEW, "frames_disagree"),  # never accept when a frame rejects
    ([0.45, 0.50, 0.52], Outcome.REVIEW, "grey_zone"),
    ([0.30, 0.50, 0.52], Outcome.REVIEW, "grey_zone"),       # no majority
    ([0.70, 0.80, 0.50], Outcome.REJECT, "no_match"),
    ([0.70, 0.80, 0.30], Outcome.REVIEW, "frames_disagree"),  # never reject when a frame accepts
    ([0.30, 0.31], Outcome.REJECT, "too_few_frames"),
    ([], Outcome.REJECT, "too_few_frames"),
])
def test_vote(distances, outcome, reason):
    verdict = vote(distances, T, min_frames=3)
    assert (verdict.outcome, verdict.reason) == (outcome, reason)
    assert verdict.frames_used == len(distances)


def test_vote_reports_the_median_distance():
    assert vote([0.5, 0.3, 0.4], T, min_frames=3).distance == pytest.approx(0.4)


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=128)
    return vector / np.linalg.norm(vector)


def test_identify_accepts_a_clear_best_match():
    roster = {"a": _unit(1), "b": _unit(2), "c": _unit(3)}
    frames = [roster["b"] + 0.02 * _unit(10 + i) for i in range(3)]
    result = identify(frames, roster, T, margin=0.1)
    assert (result.outcome, result.key, result.reason) == (Outcome.ACCEPT, "b", "match")
    assert result.second_distance - result.distance >= 0.1


def test_identify_sends_an_ambiguous_match_to_review():
    a = _unit(1)
    roster = {"a": a, "twin": a + 0.05 * _unit(2)}
    result = identify([a + 0.02 * _unit(3)], roster, T, margin=0.1)
    assert (result.outcome, result.reason) == (Outcome.REVIEW, "ambiguous")


def test_identify_rejects_a_stranger_and_an_empty_roster():
    roster = {"a": _unit(1), "b": _unit(2)}
    result = identify([_unit(5)], roster, T, margin=0.1)
    assert (result.outcome, result.key, result.reason) == (Outcome.REJECT, None, "no_match")
    assert identify([_unit(5)], {}, T, margin=0.1).reason == "empty_roster"
