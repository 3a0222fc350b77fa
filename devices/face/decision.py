"""Three-way decisions (通过 / 人工复核 / 不通过) from two thresholds, voted over several frames.

Uncertain cases go to a person: a distance between the accept and review thresholds, disagreeing
frames, or a 1:N best match too close to the second best are never decided automatically.
"""
from __future__ import annotations

import enum
import statistics
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np


class Outcome(enum.Enum):
    ACCEPT = "accept"
    REVIEW = "review"
    REJECT = "reject"


@dataclass(frozen=True)
class Thresholds:
    """distance ≤ accept → accept; ≤ review → review; above → reject."""

    accept: float
    review: float

    def __post_init__(self) -> None:
        if not 0 < self.accept <= self.review:
            raise ValueError(f"thresholds must satisfy 0 < accept ≤ review, got {self.accept} / {self.review}")

    def outcome(self, distance: float) -> Outcome:
        if distance <= self.accept:
            return Outcome.ACCEPT
        if distance <= self.review:
            return Outcome.REVIEW
        return Outcome.REJECT


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    distance: float | None          # median over the usable frames
    distances: tuple[float, ...]    # one per usable frame, in order
    frames_used: int
    reason: str                     # a stable code: why this outcome


def vote(distances: list[float], thresholds: Thresholds, *, min_frames: int) -> Verdict:
    """Accept only if most frames accept and none rejects; reject only if most reject and none accepts;
    too few usable frames is a reject (the candidate retries), anything else is a review."""
    used = tuple(float(d) for d in distances)
    median = statistics.median(used) if used else None
    if len(used) < min_frames:
        return Verdict(Outcome.REJECT, median, used, len(used), "too_few_frames")
    outcomes = [thresholds.outcome(d) for d in used]
    accepts, rejects = outcomes.count(Outcome.ACCEPT), outcomes.count(Outcome.REJECT)
    if accepts * 2 > len(used) and rejects == 0:
        return Verdict(Outcome.ACCEPT, median, used, len(used), "match")
    if rejects * 2 > len(used) and accepts == 0:
        return Verdict(Outcome.REJECT, median, used, len(used), "no_match")
    reason = "frames_disagree" if accepts and rejects else "grey_zone"
    return Verdict(Outcome.REVIEW, median, used, len(used), reason)


@dataclass(frozen=True)
class Identification:
    outcome: Outcome
    key: Hashable | None            # the best-matching roster entry (None when the roster is empty)
    distance: float | None          # its median distance over the frames
    second_distance: float | None
    reason: str


def identify(encodings: list[np.ndarray], roster: Mapping[Hashable, np.ndarray], thresholds: Thresholds,
             margin: float) -> Identification:
    """1:N within a roster: median distance per entry over the frames; the best must beat the second by
    ``margin`` to be accepted, otherwise a person decides."""
    if not roster or not encodings:
        return Identification(Outcome.REJECT, None, None, None, "empty_roster" if not roster else "no_frames")
    keys = list(roster)
    templates = np.stack([np.asarray(roster[k], dtype=np.float64) for k in keys])
    frames = np.stack([np.asarray(e, dtype=np.float64) for e in encodings])
    # distances[i, j]: frame i against roster entry j
    distances = np.linalg.norm(frames[:, None, :] - templates[None, :, :], axis=2)
    per_entry = np.median(distances, axis=0)
    order = np.argsort(per_entry)
    best = float(per_entry[order[0]])
    second = float(per_entry[order[1]]) if len(order) > 1 else None
    key = keys[int(order[0])]
    outcome = thresholds.outcome(best)
    if outcome is Outcome.ACCEPT and second is not None and second - best < margin:
        return Identification(Outcome.REVIEW, key, best, second, "ambiguous")
    reason = {Outcome.ACCEPT: "match", Outcome.REVIEW: "grey_zone", Outcome.REJECT: "no_match"}[outcome]
    return Identification(outcome, key if outcome is not Outcome.REJECT else None, best, second, reason)
