"""Calibration (阈值标定): genuine and impostor distance distributions of a centre's own consented photos,
false-accept / false-reject rates per threshold, and thresholds for a target false-accept rate.

The dlib model's distances shift with the population it sees (face.md), so each centre measures its own.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from .decision import Outcome, Thresholds


@dataclass(frozen=True)
class Rates:
    threshold: float
    false_accepts: int    # impostor pairs at or below the threshold
    false_rejects: int    # genuine pairs above it
    far: float
    frr: float


@dataclass(frozen=True)
class Calibration:
    genuine: np.ndarray     # distances between two photos of the same person
    impostor: np.ndarray    # distances between photos of different persons

    @classmethod
    def from_encodings(cls, people: Mapping[str, list[np.ndarray]]) -> "Calibration":
        genuine = [np.linalg.norm(a - b) for encodings in people.values()
                   for a, b in itertools.combinations(encodings, 2)]
        impostor = [np.linalg.norm(a - b) for (_, xs), (_, ys) in itertools.combinations(people.items(), 2)
                    for a in xs for b in ys]
        return cls(np.array(genuine, dtype=float), np.array(impostor, dtype=float))

    def rates(self, threshold: float) -> Rates:
        false_accepts = int(np.sum(self.impostor <= threshold))
        false_rejects = int(np.sum(self.genuine > threshold))
        return Rates(threshold, false_accepts, false_rejects,
                     false_accepts / len(self.impostor) if len(self.impostor) else 0.0,
                     false_rejects / len(self.genuine) if len(self.genuine) else 0.0)

    def table(self, start: float = 0.30, stop: float = 0.70, step: float = 0.02) -> list[Rates]:
        return [self.rates(round(t, 4)) for t in np.arange(start, stop + step / 2, step)]

    def accept_for_far(self, target_far: float, step: float = 0.01) -> float | None:
        """The highest threshold (on a ``step`` grid) whose false-accept rate is at most the target; None if
        even the lowest fails. With n impostor pairs a rate below 1/n cannot be shown: collect more photos."""
        best = None
        for threshold in np.arange(step, 1.2 + step / 2, step):
            if self.rates(threshold).far > target_far:
                break
            best = round(float(threshold), 4)
        return best

    def review_for_frr(self, target_frr: float, floor: float, step: float = 0.01) -> float:
        """The lowest threshold (≥ floor) that rejects at most ``target_frr`` of the genuine pairs: above it,
        a distance is more likely an impostor than a bad photo."""
        threshold = floor
        while threshold < 1.2 and self.rates(threshold).frr > target_frr:
            threshold = round(threshold + step, 4)
        return threshold

    def counts_at(self, thresholds: Thresholds) -> dict[str, int]:
        """Pairs at the configured thresholds: accepted impostors, rejected genuines, and pairs sent to review."""
        both = np.concatenate([self.genuine, self.impostor])
        return {
            "genuine": len(self.genuine),
            "impostor": len(self.impostor),
            "false_accepts": int(sum(thresholds.outcome(d) is Outcome.ACCEPT for d in self.impostor)),
            "false_rejects": int(sum(thresholds.outcome(d) is Outcome.REJECT for d in self.genuine)),
            "reviews": int(sum(thresholds.outcome(d) is Outcome.REVIEW for d in both)),
        }


def summary(values: np.ndarray) -> str:
    if not len(values):
        return "none"
    p5, median, p95 = np.percentile(values, [5, 50, 95])
    return (f"n={len(values)} min={values.min():.3f} p5={p5:.3f} median={median:.3f} p95={p95:.3f} "
            f"max={values.max():.3f}")


def plot_png(calibration: Calibration, thresholds: Thresholds, *, width: int = 800, height: int = 400) -> bytes:
    """Histograms of genuine (green) and impostor (red) distances over 0–1.2 with the two thresholds as lines."""
    image = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 50, width - 20, 30, height - 40
    bins = np.linspace(0, 1.2, 61)
    counts = [np.histogram(values, bins)[0] / max(len(values), 1) for values in (calibration.genuine,
                                                                                 calibration.impostor)]
    peak = max(float(c.max()) for c in counts) or 1.0

    def x_of(distance: float) -> int:
        return int(left + (right - left) * distance / 1.2)

    for share, colour in zip(counts, ((40, 160, 40), (40, 40, 200))):  # BGR: green, red
        for n, value in enumerate(share):
            if value:
                y = int(bottom - (bottom - top) * value / peak)
                overlay = image.copy()
                cv2.rectangle(overlay, (x_of(bins[n]), y), (x_of(bins[n + 1]) - 1, bottom), colour, -1)
                image = cv2.addWeighted(overlay, 0.5, image, 0.5, 0)
    cv2.line(image, (left, bottom), (right, bottom), (0, 0, 0), 1)
    for tick in np.arange(0, 1.21, 0.2):
        cv2.line(image, (x_of(tick), bottom), (x_of(tick), bottom + 5), (0, 0, 0), 1)
        cv2.putText(image, f"{tick:.1f}", (x_of(tick) - 12, bottom + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    for value, label, colour in ((thresholds.accept, "accept", (0, 120, 0)), (thresholds.review, "review", (0, 0, 160))):
        cv2.line(image, (x_of(value), top), (x_of(value), bottom), colour, 2)
        cv2.putText(image, f"{label} {value:.2f}", (x_of(value) + 4, top + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    colour, 1)
    cv2.putText(image, "genuine (green) vs impostor (red) distance, share of pairs per bin", (left, 18),
                cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    ok, buffer = cv2.imencode(".png", image)
    return buffer.tobytes()
